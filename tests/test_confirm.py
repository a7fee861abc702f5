"""lint --verify and migrate --verify against a real registry."""

from __future__ import annotations

import json
from pathlib import Path

from tests.registry_fixtures import push_image, unique_repo
from tests.test_cli import invoke


def test_migrate_verify_applies_confirmed_and_refuses_refuted(registry, tmp_path: Path) -> None:
    good = unique_repo("app")
    push_image(registry, good, "1.0")
    host = registry.host
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {host}/{good}-arm:1.0 AS a\nFROM {host}/{unique_repo('gone')}-arm64:1.0\n")
    before = dockerfile.read_text()

    plain = invoke("migrate", "--allow-dirty", str(tmp_path))
    assert plain.exit_code == 0 and dockerfile.read_text() == before  # a heuristic alone is never applied

    result = invoke("migrate", "--allow-dirty", "--verify", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = dockerfile.read_text().splitlines()
    assert lines[0] == f"FROM {host}/{good}:1.0 AS a"
    assert lines[1].endswith("-arm64:1.0")  # the unified name does not exist: left alone
    assert "not applied" in result.stderr and "not found" in result.stderr


def test_lint_verify_reports_base_image_missing_a_platform(registry, tmp_path: Path) -> None:
    single = unique_repo("single")
    both = unique_repo("both")
    push_image(registry, single, "1", platforms=["linux/amd64"], single=True)
    push_image(registry, both, "1")
    (tmp_path / "Dockerfile").write_text(f"FROM {registry.host}/{both}:1 AS a\nFROM {registry.host}/{single}:1\n")
    assert invoke("lint", str(tmp_path)).exit_code == 0
    result = invoke("lint", "--verify", "--format", "json", str(tmp_path))
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)
    assert finding["code"] == "OT203" and finding["line"] == 2 and single in finding["message"]
