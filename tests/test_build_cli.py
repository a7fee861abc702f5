"""`onetag build`: defaults, --dry-run output, refusals, and the runner's failure advice.

docker buildx cannot run on the test machine (no daemon), so its runner is exercised against a
stub `docker` that replays output recorded from real failures (fixtures/build/docker-output/).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from onetag.build.run import advise

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = ROOT / "fixtures" / "build" / "docker-output"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "npm_package_version"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "onetag", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # stops config and package.json lookups here
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "package.json").write_text(json.dumps({"name": "app", "version": "0.0.9"}))
    return tmp_path


def test_dry_run_matches_the_seed_command(project):
    proc = run(["build", "--push", "--dry-run", "--image", "acme/sandbox"], project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "docker buildx build --platform linux/amd64,linux/arm64 -t acme/sandbox:0.0.9 --push .\n"


def test_dry_run_adds_only_the_flags_asked_for(project):
    proc = run(["build", "--push", "--dry-run", "--image", "acme/sandbox", "--tag", "1.0", "--tag", "latest",
                "--platform", "linux/amd64", "--platform", "linux/arm64,linux/arm/v7", "--no-provenance"], project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 --provenance=false "
        "-t acme/sandbox:1.0 -t acme/sandbox:latest --push .\n"
    )


def test_defaults_come_from_config(project):
    (project / ".onetag.toml").write_text(
        'platforms = ["linux/arm64", "linux/amd64"]\n[build]\nimage = "ghcr.io/acme/app"\ntag = "edge"\n'
    )
    proc = run(["build", "--dry-run"], project)
    assert proc.stdout == "docker buildx build --platform linux/arm64,linux/amd64 -t ghcr.io/acme/app:edge .\n"


def test_image_from_a_package_json_script_and_npm_version(project):
    (project / "package.json").write_text(json.dumps({
        "version": "2.1.0",
        "scripts": {"docker:build": "docker buildx build --platform linux/amd64 -t acme/sandbox:$npm_package_version ."},
    }))
    proc = run(["build", "--dry-run", "--push", "--tag", "$npm_package_version"], project, {"npm_package_version": "2.1.1"})
    assert proc.stdout == "docker buildx build --platform linux/amd64,linux/arm64 -t acme/sandbox:2.1.1 --push .\n"


def test_image_from_a_per_arch_script_is_the_unified_name(project):
    (project / "package.json").write_text(json.dumps({
        "version": "0.0.9",
        "scripts": {"docker:build:arm": "docker build --platform linux/arm64 -t acme/sandbox-arm:$npm_package_version ."},
    }))
    proc = run(["build", "--dry-run", "--push"], project)
    assert proc.stdout == "docker buildx build --platform linux/amd64,linux/arm64 -t acme/sandbox:0.0.9 --push .\n"


def test_the_bundled_example_gives_the_seed_command():
    example = ROOT / "fixtures" / "examples" / "sandbox-sdk" / "packages" / "sandbox"
    if not example.is_dir():
        pytest.skip("the bundled example is not in this checkout")
    proc = run(["build", "--push", "--dry-run"], example)
    assert proc.stdout == "docker buildx build --platform linux/amd64,linux/arm64 -t ghostwriternr/cloudflare-sandbox:0.0.9 --push .\n"


def test_loopback_registry_needs_no_insecure_flag(project):
    proc = run(["build", "--dry-run", "--push", "--backend", "buildah", "--image", "127.0.0.1:5000/acme/app"], project)
    assert "buildah build --tls-verify=false " in proc.stdout
    assert "buildah manifest push --all --tls-verify=false " in proc.stdout


def test_tag_from_git_tag_at_head(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(tmp_path)]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    subprocess.run([*git, "tag", "v1.2.3"], check=True)
    proc = run(["build", "--dry-run", "--image", "acme/app"], tmp_path)
    assert proc.stdout == "docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1.2.3 .\n"


def test_native_dry_run_shows_where_digests_go(project):
    proc = run(["build", "--dry-run", "--push", "--strategy", "native", "--image", "acme/app"], project)
    lines = proc.stdout.splitlines()
    assert len(lines) == 3
    assert "push-by-digest=true" in lines[0] and "--platform linux/amd64" in lines[0]
    assert lines[2] == ("docker buildx imagetools create -t acme/app:0.0.9 'acme/app@<digest:linux/amd64>' "
                        "'acme/app@<digest:linux/arm64>'")


def test_merge_reads_digest_files(project):
    digests = ["sha256:" + c * 64 for c in "ab"]
    (project / "amd64.json").write_text(json.dumps({"containerimage.digest": digests[0]}))
    (project / "arm64.digest").write_text(digests[1] + "\n")
    proc = run(["build", "--dry-run", "--image", "acme/app", "--merge", "amd64.json", "--merge", "arm64.digest"], project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"docker buildx imagetools create -t acme/app:0.0.9 acme/app@{digests[0]} acme/app@{digests[1]}\n"


REFUSED = [
    pytest.param(["--load"], "--load cannot take a multi-platform image", id="load-multi-platform"),
    pytest.param(["--image", "Acme/App"], "--image 'Acme/App'", id="bad-image"),
    pytest.param(["--image", "acme/app@sha256:" + "a" * 64], "a digest cannot be built to", id="digest-image"),
    pytest.param(["--tag", "bad tag!"], "not a valid image tag", id="bad-tag"),
    pytest.param(["-f", "nope/Dockerfile"], "-f nope/Dockerfile: no such file", id="missing-dockerfile"),
    pytest.param(["--backend", "buildah", "--builder", "b"], "--builder is a docker buildx option", id="builder-not-buildx"),
]


@pytest.mark.parametrize(("extra", "message"), REFUSED)
def test_refusals_are_one_line_exit_2(project, extra, message):
    args = ["build", "--dry-run"] + (["--image", "acme/app"] if "--image" not in extra else []) + extra
    proc = run(args, project)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("onetag: error: ") and message in lines[0], proc.stderr


def test_no_image_anywhere(project):
    proc = run(["build", "--dry-run"], project)
    assert proc.returncode == 2
    assert "no image name: pass --image NAME" in proc.stderr


ADVICE = [
    ("exec-format-error.txt", "register QEMU"),
    ("buildah-exec-format.txt", "register QEMU"),
    ("docker-driver.txt", "docker buildx create --use --driver docker-container"),
    ("docker-driver-old.txt", "docker buildx create --use --driver docker-container"),
    ("load-manifest-list.txt", "--load cannot store a multi-platform image"),
    ("unauthorized.txt", "docker login"),
    ("buildah-unauthorized.txt", "docker login"),
    ("missing-dockerfile.txt", "no Dockerfile found"),
    ("no-platform-in-base.txt", "a base image (FROM) has no variant"),
]


@pytest.mark.parametrize(("name", "expected"), ADVICE, ids=[a[0] for a in ADVICE])
def test_recorded_failures_map_to_advice(name, expected):
    assert expected in advise((OUTPUTS / name).read_text())


def test_unknown_failure_has_no_advice():
    assert advise("ERROR: something nobody has seen before\n") is None


@pytest.fixture
def docker_stub(tmp_path: Path) -> Path:
    """A `docker` that replays a recorded output (ONETAG_STUB_OUTPUT) and exits 1."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    stub = bindir / "docker"
    stub.write_text(f"#!{sys.executable}\nimport os, sys\n"
                    "sys.stdout.write(open(os.environ['ONETAG_STUB_OUTPUT']).read())\nsys.exit(1)\n")
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return bindir


@pytest.mark.parametrize(("name", "expected"), [
    ("exec-format-error.txt", "register QEMU"),
    ("unauthorized.txt", "docker login"),
    ("docker-driver.txt", "docker buildx create"),
])
def test_buildx_runner_streams_output_and_maps_the_failure(project, docker_stub, name, expected):
    env = {"PATH": f"{docker_stub}{os.pathsep}{os.environ['PATH']}", "ONETAG_STUB_OUTPUT": str(OUTPUTS / name)}
    proc = run(["build", "--push", "--image", "acme/app"], project, env)
    assert proc.returncode == 1
    assert (OUTPUTS / name).read_text() in proc.stderr  # streamed through
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("onetag: error: build linux/amd64, linux/arm64 failed (docker exited 1): ")
    assert expected in last


def test_missing_tool_is_a_usage_error(project, tmp_path):
    proc = run(["build", "--image", "acme/app", "--backend", "podman"], project, {"PATH": str(tmp_path / "empty")})
    assert proc.returncode == 2
    assert "podman is not installed" in proc.stderr
