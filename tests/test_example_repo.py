"""The all-formats example repository: migrate produces exactly the expected tree, a second run
changes nothing, and lint lists every finding with its position (snapshot)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from onetag.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
SOURCE = EXAMPLES / "all-formats"
EXPECTED = EXAMPLES / "all-formats.expected"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "test_example_repo"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(SOURCE, target)
    monkeypatch.chdir(target)
    return target


def test_migrate_gives_the_expected_tree(copy: Path) -> None:
    result = _invoke("migrate", "--allow-dirty", ".")
    assert result.exit_code == 0, result.output
    got, want = _tree(copy), _tree(EXPECTED)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], f"{name} differs from all-formats.expected/{name}"
    assert os.access(copy / "build.sh", os.X_OK), "migrate kept the file mode"


def test_second_migrate_changes_nothing(copy: Path) -> None:
    assert _invoke("migrate", "--allow-dirty", ".").exit_code == 0
    first = _tree(copy)
    result = _invoke("migrate", "--check", ".")
    assert result.exit_code == 0, result.output
    assert _tree(copy) == first


def test_migrate_lists_what_needs_a_human(copy: Path) -> None:
    result = _invoke("migrate", "--allow-dirty", ".")
    left = [line for line in result.output.splitlines() if "left for you" in line]
    assert any(line.startswith("README.md:17:1: OT105") for line in left)
    assert any(line.startswith("docker-compose.yml:4:13: OT201") for line in left)


def test_lint_snapshot(copy: Path, snapshot) -> None:
    result = _invoke("lint", "--format", "json", ".")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    shown = [
        {k: f[k] for k in ("path", "line", "col", "end_line", "end_col", "code", "fixable", "message")}
        for f in findings
    ]
    snapshot.snapshot_dir = SNAPSHOTS
    snapshot.assert_match(json.dumps(shown, indent=2) + "\n", "lint.json")
