"""`onetag doctor`: each check's verdict, from recorded tool output, fake binfmt entries and this machine."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from onetag.build import preflight
from onetag.build.preflight import Check, can_build, check_credentials, check_emulation, inspect_builder

INSPECT_CONTAINER = """\
Name:          multi
Driver:        docker-container
Last Activity: 2025-01-10 10:00:00 +0000 UTC

Nodes:
Name:      multi0
Endpoint:  unix:///var/run/docker.sock
Status:    running
BuildKit:  v0.18.2
Platforms: linux/amd64, linux/amd64/v2, linux/arm64, linux/riscv64, linux/arm/v7, linux/arm/v6
"""

INSPECT_DOCKER_DRIVER = """\
Name:   default
Driver: docker

Nodes:
Name:      default
Endpoint:  default
Status:    running
BuildKit:  v0.17.3
Platforms: linux/amd64, linux/amd64/v2, linux/386
"""


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_container_driver_with_every_platform():
    checks = _by_name(inspect_builder(INSPECT_CONTAINER, ("linux/amd64", "linux/arm64", "linux/arm/v7")))
    assert checks["buildx driver"].status == "ok" and checks["buildx driver"].detail == "docker-container"
    assert checks["builder platforms"].status == "ok"


def test_docker_driver_cannot_build_multi_platform():
    checks = _by_name(inspect_builder(INSPECT_DOCKER_DRIVER, ("linux/amd64", "linux/arm64")))
    assert checks["buildx driver"].status == "missing"
    assert "containerd image store" in checks["buildx driver"].detail
    assert checks["builder platforms"].status == "missing"
    assert "linux/arm64" in checks["builder platforms"].detail
    assert not can_build(list(checks.values()))


def test_docker_driver_is_fine_for_one_platform():
    checks = _by_name(inspect_builder(INSPECT_DOCKER_DRIVER, ("linux/amd64",)))
    assert checks["buildx driver"].status == "ok" and checks["builder platforms"].status == "ok"


@pytest.fixture
def binfmt(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight, "BINFMT", tmp_path)
    monkeypatch.setattr(preflight, "host_arch", lambda: "amd64")
    (tmp_path / "status").write_text("enabled\n")
    return tmp_path


def _entry(flags: str, state: str = "enabled") -> str:
    return f"{state}\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: {flags}\noffset 0\n"


EMULATION = [
    pytest.param({"qemu-aarch64": _entry("PF")}, True, "ok", True, id="registered-with-F"),
    pytest.param({"qemu-aarch64": _entry("P")}, True, "missing", False, id="without-F-flag"),
    pytest.param({"qemu-aarch64": _entry("PF", "disabled")}, True, "missing", False, id="disabled"),
    pytest.param({}, True, "missing", False, id="absent"),
    pytest.param({}, False, "warn", True, id="absent-but-no-RUN-step"),
]


@pytest.mark.parametrize(("entries", "needs_run", "status", "buildable"), EMULATION)
def test_qemu_in_binfmt_misc(binfmt, entries, needs_run, status, buildable):
    for name, text in entries.items():
        (binfmt / name).write_text(text)
    checks = check_emulation(("linux/amd64", "linux/arm64"), needs_run)
    assert [c.status for c in checks] == [status]
    assert can_build(checks) is buildable
    if status != "ok":
        assert "qemu" in checks[0].fix or "binfmt" in checks[0].fix


def test_binfmt_not_mounted(binfmt):
    (binfmt / "status").unlink()
    [check] = check_emulation(("linux/arm64",), True)
    assert check.status == "missing" and "mount -t binfmt_misc" in check.fix


def test_native_platforms_need_no_emulation(binfmt):
    assert [c.status for c in check_emulation(("linux/amd64",), True)] == ["ok"]


SECRET = "hunter2-never-print-me"


def test_credentials_found_without_printing_them(tmp_path, monkeypatch):
    auth = base64.b64encode(f"me:{SECRET}".encode()).decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    [check] = check_credentials("buildx", "registry-1.docker.io")
    assert check.status == "ok" and check.name == "credentials for Docker Hub"
    assert SECRET not in check.line() and auth not in check.line()


def test_credentials_missing_is_a_warning_with_the_login_command(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "auth.json"))
    [check] = check_credentials("buildah", "ghcr.io")
    assert check.status == "warn" and check.fix == "buildah login ghcr.io"
    assert can_build([check])


def test_buildah_auth_file_counts(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    (tmp_path / "auth.json").write_text(json.dumps({"auths": {"ghcr.io": {"auth": "eDp5"}}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "auth.json"))
    [check] = check_credentials("podman", "ghcr.io")
    assert check.status == "ok" and str(tmp_path / "auth.json") in check.detail


def _doctor(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOCKER_CONFIG=str(cwd / ".docker-empty"), REGISTRY_AUTH_FILE=str(cwd / "auth-none.json"))
    return subprocess.run([sys.executable, "-m", "onetag", "doctor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY app /app\n")
    return tmp_path


def test_doctor_tells_the_truth_about_buildah_here(project):
    proc = _doctor(["--backend", "buildah", "--image", "127.0.0.1:5000/acme/app"], project)
    lines = proc.stdout.splitlines()
    if shutil.which("buildah"):
        version = subprocess.run(["buildah", "--version"], capture_output=True, text=True).stdout.strip()
        assert f"ok       buildah: {version}" in lines
    else:
        assert "missing  buildah: not installed" in lines
    runtime = shutil.which("crun") or shutil.which("runc")
    assert any(line.startswith("ok       OCI runtime" if runtime else "missing  OCI runtime") for line in lines)
    assert "warn     credentials for 127.0.0.1:5000: none found" in proc.stdout
    expected = 0 if shutil.which("buildah") and runtime else 1
    assert proc.returncode == expected, proc.stdout + proc.stderr
    assert lines[-1] == ("a build can run" if expected == 0 else "a build cannot run yet: fix the lines marked missing")


def test_doctor_tells_the_truth_about_buildx_here(project):
    proc = _doctor(["--backend", "buildx", "--platform", "linux/amd64"], project)
    has_docker = shutil.which("docker") is not None
    has_buildx = has_docker and subprocess.run(["docker", "buildx", "version"], capture_output=True).returncode == 0
    if not has_docker:
        assert "missing  docker: not installed" in proc.stdout
    elif not has_buildx:
        assert "missing  docker buildx: the buildx plugin is not installed" in proc.stdout
    if not has_buildx:
        assert proc.returncode == 1
    assert "skipped  registry credentials: no image given" in proc.stdout


def test_doctor_reports_a_missing_dockerfile(tmp_path):
    (tmp_path / ".git").mkdir()
    proc = _doctor(["--backend", "buildah"], tmp_path)
    assert "missing  Dockerfile: " in proc.stdout and proc.returncode == 1


def test_doctor_reports_multi_arch_readiness_findings(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(
        "FROM --platform=linux/amd64 alpine:3.20\nRUN wget https://example.com/tool-linux-amd64.tar.gz\n"
    )
    proc = _doctor(["--backend", "buildah"], tmp_path)
    lines = proc.stdout.splitlines()
    assert any(line.startswith("warn     Dockerfile OT201: Dockerfile:1: ") for line in lines), proc.stdout
    assert any(line.startswith("warn     Dockerfile OT202: Dockerfile:2: ") for line in lines), proc.stdout


def test_doctor_a_ready_dockerfile(project):
    proc = _doctor(["--backend", "buildah"], project)
    assert "ok       Dockerfile: Dockerfile: ready for every platform (no OT201/OT202 findings)" in proc.stdout
