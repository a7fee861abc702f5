"""``onetag verify`` end to end: the real CLI against a real registry, text and json, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry_fixtures import delete_blob, push_image, unique_repo

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.registry


def onetag(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    # An empty Docker config: the developer's own credentials never take part.
    full_env = {**os.environ, "DOCKER_CONFIG": str(ROOT / "fixtures" / "verify" / "docker-config"), **(env or {})}
    full_env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "onetag", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full_env, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def repo(registry) -> str:  # noqa: ANN001
    name = unique_repo("cli")
    push_image(registry, name, "good")
    push_image(registry, name, "list", ["linux/amd64", "linux/arm64/v8"], docker=True)
    push_image(registry, name, "liar", config_arch_override={"linux/arm64": "linux/amd64"})
    push_image(registry, name, "amd64only", ["linux/amd64"])
    push_image(registry, name, "single", ["linux/amd64"], single=True)
    noblob = push_image(registry, name, "noblob")
    delete_blob(registry, name, noblob.configs["linux/arm64"])
    return f"{registry.host}/{name}"


D = r"sha256:[0-9a-f]{12}"
# tag, extra args, exit code, the text line (regex; IMAGE is the image), problem in json (or None)
MATRIX = [
    pytest.param("good", [], 0, rf"ok    IMAGE  linux/amd64 linux/arm64  {D}", None, id="good"),
    pytest.param("good", ["--deep"], 0, rf"ok    IMAGE  linux/amd64 linux/arm64  {D}", None, id="good-deep"),
    pytest.param("list", ["--deep"], 0, rf"ok    IMAGE  linux/amd64 linux/arm64  {D}", None, id="docker-list-arm64-v8"),
    pytest.param("liar", ["--deep"], 1, rf"FAIL  IMAGE  linux/arm64 entry {D} claims linux/arm64, but its config says linux/amd64",
                 "claims linux/arm64, but its config says linux/amd64", id="config-mismatch"),
    pytest.param("amd64only", [], 1, r"FAIL  IMAGE  linux/arm64 missing; the index has linux/amd64",
                 "linux/arm64 missing", id="platform-missing"),
    pytest.param("single", [], 1, r"FAIL  IMAGE  single-platform image \(linux/amd64 only, no index\); rebuild it for "
                 r"linux/amd64,linux/arm64: onetag build --platform linux/amd64,linux/arm64 --push", "single-platform", id="single"),
    pytest.param("noblob", ["--deep"], 1, r"FAIL  IMAGE  linux/arm64 config blob sha256:[0-9a-f]{64} missing from \S+",
                 "config blob", id="blob-missing"),
    pytest.param("nope", [], 1, r"FAIL  IMAGE  tag 'nope' not found in \S+", "tag 'nope' not found", id="tag-missing"),
]


@pytest.mark.parametrize(("tag", "args", "code", "line", "problem"), MATRIX)
def test_text_and_json(repo: str, tag: str, args: list[str], code: int, line: str, problem: str | None) -> None:
    image = f"{repo}:{tag}"
    rc, out, err = onetag("verify", *args, image)
    assert rc == code, err
    assert re.fullmatch(line.replace("IMAGE", re.escape(image)), out.rstrip("\n")), out
    rc, out, err = onetag("verify", "--format", "json", *args, image)
    assert rc == code, err
    doc = json.loads(out)
    (item,) = doc["images"]
    assert doc["ok"] is (code == 0) and item["image"] == image and item["ok"] is (code == 0)
    if problem is None:
        assert item["problems"] == [] and item["digest"].startswith("sha256:")
        assert [p["platform"] for p in item["found"]] == ["linux/amd64", "linux/arm64"]
        assert all(p["digest"].startswith("sha256:") for p in item["found"] + item["platforms"])
    else:
        assert len(item["problems"]) == 1 and problem in item["problems"][0]


def test_missing_repository(registry) -> None:  # noqa: ANN001
    rc, out, _ = onetag("verify", f"{registry.host}/cli/never-pushed:1")
    assert rc == 1
    assert out == f"FAIL  {registry.host}/cli/never-pushed:1  repository {registry.host}/cli/never-pushed not found\n"


def test_many_images_one_line_each(repo: str) -> None:
    images = [f"{repo}:{t}" for t in ("good", "amd64only", "list", "good")]
    rc, out, _ = onetag("verify", *images)
    assert rc == 1
    assert [line.split()[0:2] for line in out.splitlines()] == [["ok", images[0]], ["FAIL", images[1]], ["ok", images[2]]]


def test_platform_option_overrides(repo: str) -> None:
    assert onetag("verify", "--platform", "linux/amd64", f"{repo}:amd64only")[0] == 0
    rc, out, _ = onetag("verify", "--platform", "linux/amd64,linux/arm/v7", f"{repo}:good")
    assert rc == 1 and "linux/arm/v7 missing; the index has linux/amd64, linux/arm64" in out


def test_config_platforms_are_the_default(repo: str, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".onetag.toml").write_text('platforms = ["linux/amd64"]\n')
    assert onetag("verify", f"{repo}:amd64only", cwd=tmp_path)[0] == 0
    (tmp_path / ".onetag.toml").write_text("[verify]\ndeep = true\n")
    rc, out, _ = onetag("verify", f"{repo}:liar", cwd=tmp_path)
    assert rc == 1 and "config says linux/amd64" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([], "name at least one IMAGE, or --from PATH", id="nothing"),
        pytest.param(["--platform", "linux", "x"], "--platform: invalid platform 'linux'", id="bad-platform"),
        pytest.param(["Not/Valid:Ref"], "invalid reference format", id="bad-reference"),
        pytest.param(["--format", "yaml", "x"], "Invalid value for '--format'", id="bad-format"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    rc, out, err = onetag("verify", *args)
    assert rc == 2 and message in err and out == ""


def test_registry_down_fails_fast() -> None:
    from tests.registry_fixtures import free_port

    import time

    start = time.monotonic()
    rc, out, _ = onetag("verify", f"127.0.0.1:{free_port()}/x/y:1")
    assert rc == 1 and "connection refused (is the registry running?)" in out
    assert time.monotonic() - start < 10


def test_from_path_verifies_unique_references_and_lists_skipped(repo: str, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(
        f"FROM {repo}:good AS base\nFROM ${{REGISTRY}}/app:1.0\nFROM {repo}:amd64only\nFROM {repo}:good\n"
    )
    rc, out, _ = onetag("verify", "--from", str(tmp_path), cwd=tmp_path)
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"ok    {repo}:good ")
    assert lines[1].startswith(f"FAIL  {repo}:amd64only  linux/arm64 missing")
    assert lines[2] == "skip  ${REGISTRY}/app:1.0  Dockerfile:2: contains an unresolved variable; verify the expanded name instead"
    doc = json.loads(onetag("verify", "--format", "json", "--from", str(tmp_path), cwd=tmp_path)[1])
    assert doc["images"][0]["where"] == ["Dockerfile:1", "Dockerfile:4"]
    assert doc["skipped"] == [{"reference": "${REGISTRY}/app:1.0", "where": "Dockerfile:2",
                               "reason": "contains an unresolved variable; verify the expanded name instead"}]


def test_command_import_does_not_load_httpx() -> None:
    code = "import sys, onetag.cli, onetag.verify.command; assert 'httpx' not in sys.modules, 'httpx imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_help_says_deep_costs_pulls() -> None:
    rc, out, _ = onetag("verify", "--help")
    assert rc == 0 and "one pull per platform" in " ".join(out.split())
