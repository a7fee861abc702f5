"""End to end with buildah: real two-platform images, pushed to a real registry, verified deeply.

buildah runs with vfs storage and chroot isolation in a per-session temp root (through
CONTAINERS_STORAGE_CONF), so the machine's own image store is never touched. The payload is
Debian's busybox-static for amd64 and arm64: the FROM-scratch case needs no emulation, the RUN
case executes the arm64 busybox under qemu-aarch64 (registered in binfmt_misc when we are root).
"""

from __future__ import annotations

import gzip
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.buildah, pytest.mark.registry]

ON_CI = os.environ.get("CI", "").lower() == "true"
BINFMT = Path("/proc/sys/fs/binfmt_misc")
QEMU_AARCH64_REGISTER = (
    ":qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:"
    "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:"
    "/usr/bin/qemu-aarch64-static:F"
)
EM_X86_64, EM_AARCH64 = 62, 183
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFESTS = ",".join([
    OCI_INDEX, "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
])


def _unavailable(reason: str) -> None:
    if ON_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def ensure_qemu_aarch64() -> str | None:
    """Register qemu-aarch64 (F flag) when absent and we are root; None when ready, else why not."""
    if platform.machine() in ("aarch64", "arm64"):
        return None
    entry = BINFMT / "qemu-aarch64"
    if not (BINFMT / "status").exists() and os.geteuid() == 0:
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], capture_output=True)
    if not (BINFMT / "status").exists():
        return "binfmt_misc is not mounted and cannot be mounted here (the kernel or container forbids it)"
    if not entry.exists() and os.geteuid() == 0:
        if shutil.which("update-binfmts") and Path("/usr/share/binfmts/qemu-aarch64").exists():
            subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], capture_output=True)
        if not entry.exists() and Path("/usr/bin/qemu-aarch64-static").exists():
            try:
                (BINFMT / "register").write_text(QEMU_AARCH64_REGISTER)
            except OSError as err:
                return f"the kernel refused to register qemu-aarch64 in binfmt_misc: {err}"
    if not entry.exists():
        return "qemu-aarch64 is not registered in binfmt_misc (run as root, or install qemu-user-static)"
    if "enabled" not in entry.read_text():
        return "qemu-aarch64 is registered in binfmt_misc but disabled"
    return None


@pytest.fixture(scope="session")
def buildah_env(tmp_path_factory) -> dict[str, str]:
    if shutil.which("buildah") is None or shutil.which("runc") is None:
        _unavailable("buildah/runc not installed (scripts/setup.sh installs them)")
    root = tmp_path_factory.mktemp("buildah")
    conf = root / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "vfs"\ngraphroot = "{root}/root"\nrunroot = "{root}/run"\n')
    env = dict(os.environ, CONTAINERS_STORAGE_CONF=str(conf), BUILDAH_ISOLATION="chroot")
    env.pop("npm_package_version", None)
    return env


def _download_busybox(cache: Path) -> None:
    cmd = ["apt-get", "download", "busybox-static:amd64", "busybox-static:arm64"]
    if subprocess.run(cmd, cwd=cache, capture_output=True).returncode == 0:
        return
    if os.geteuid() == 0:  # the arm64 package list is missing: add the architecture once
        subprocess.run(["dpkg", "--add-architecture", "arm64"], check=True)
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=True)
        if subprocess.run(cmd, cwd=cache, capture_output=True).returncode == 0:
            return
    _unavailable("cannot download busybox-static for amd64 and arm64 with apt-get (needs `dpkg --add-architecture arm64`)")


@pytest.fixture(scope="session")
def busybox(tmp_path_factory) -> dict[str, Path]:
    """arch -> a static busybox binary for that architecture, from Debian's packages."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        _unavailable("apt-get/dpkg-deb missing: the busybox payload comes from Debian packages")
    cache = Path(os.environ.get("ONETAG_TEST_CACHE", Path.home() / ".cache" / "onetag-tests")) / "busybox"
    cache.mkdir(parents=True, exist_ok=True)
    if len(list(cache.glob("busybox-static_*.deb"))) < 2:
        _download_busybox(cache)
    out = tmp_path_factory.mktemp("busybox")
    bins = {}
    for arch in ("amd64", "arm64"):
        deb = sorted(cache.glob(f"busybox-static_*_{arch}.deb"))[-1]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(out / arch)], check=True)
        bins[arch] = out / arch / "bin" / "busybox"
    return bins


def onetag(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onetag", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def _layers_of(registry, repo: str, tag: str) -> dict[str, dict[str, bytes]]:
    """platform arch -> {path in the image: file content}, read from the registry's blobs."""
    with registry.http() as http:
        index = http.get(f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFESTS}).json()
        files = {}
        for entry in index["manifests"]:
            manifest = http.get(f"/v2/{repo}/manifests/{entry['digest']}", headers={"Accept": MANIFESTS}).json()
            content: dict[str, bytes] = {}
            for layer in manifest["layers"]:
                blob = http.get(f"/v2/{repo}/blobs/{layer['digest']}", follow_redirects=True).content
                with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
                    for member in tar.getmembers():
                        if member.isfile():
                            content[member.name.lstrip("./")] = tar.extractfile(member).read()
            files[entry["platform"]["architecture"]] = content
    return files


def _elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


@pytest.fixture(scope="session")
def base_image(registry, buildah_env, busybox, tmp_path_factory) -> tuple[str, subprocess.CompletedProcess]:
    """FROM scratch + COPY of the per-arch busybox: two platforms, no emulation needed."""
    ctx = tmp_path_factory.mktemp("scratch-ctx")
    for arch, binary in busybox.items():
        shutil.copy(binary, ctx / f"busybox-{arch}")
    (ctx / "Dockerfile").write_text("FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n")
    image = f"{registry.host}/onetag-e2e/base"
    proc = onetag(["build", ".", "--backend", "buildah", "--push", "--insecure", "--image", image, "--tag", "1"],
                  buildah_env, ctx)
    return image, proc


def test_scratch_copy_two_platforms_pushed_and_verified(base_image, registry):
    image, proc = base_image
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{image}:1  verified" in proc.stdout
    for platform_name in ("linux/amd64", "linux/arm64"):
        assert any(line.strip().startswith(platform_name) and "sha256:" in line for line in proc.stdout.splitlines())
    assert "index            sha256:" in proc.stdout
    files = _layers_of(registry, "onetag-e2e/base", "1")
    assert _elf_machine(files["arm64"]["bin/busybox"]) == EM_AARCH64
    assert _elf_machine(files["amd64"]["bin/busybox"]) == EM_X86_64


def test_rebuild_replaces_the_stale_manifest_list(base_image, registry, buildah_env, tmp_path):
    """A second run with the same name must not append entries to the old list."""
    image, first = base_image
    assert first.returncode == 0, first.stdout + first.stderr
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {image}:1\nCOPY marker /marker\n")
    (ctx / "marker").write_text("x\n")
    args = ["build", ".", "--backend", "buildah", "--push", "--insecure", "--image", f"{registry.host}/onetag-e2e/again", "--tag", "1"]
    for _ in range(2):
        proc = onetag(args, buildah_env, ctx)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    with registry.http() as http:
        index = http.get("/v2/onetag-e2e/again/manifests/1", headers={"Accept": MANIFESTS}).json()
    assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"]


@pytest.mark.parametrize("strategy", ["emulate", "native"])
def test_run_step_executes_each_architecture(base_image, registry, buildah_env, tmp_path, strategy):
    """RUN on the arm64 variant executes an aarch64 busybox: through QEMU on an x86_64 host."""
    reason = ensure_qemu_aarch64()
    if reason:
        _unavailable(reason)
    image, first = base_image
    assert first.returncode == 0, first.stdout + first.stderr
    (tmp_path / "Dockerfile").write_text(
        f"FROM {image}:1\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox uname -m > /arch.txt\"]\n"
    )
    repo = f"onetag-e2e/run-{strategy}"
    proc = onetag(["build", ".", "--backend", "buildah", "--strategy", strategy, "--push", "--insecure",
                   "--image", f"{registry.host}/{repo}", "--tag", "2.0", "--tag", "latest"], buildah_env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{registry.host}/{repo}:2.0  verified" in proc.stdout
    assert f"{registry.host}/{repo}:latest  verified" in proc.stdout
    files = _layers_of(registry, repo, "2.0")
    assert files["arm64"]["arch.txt"] == b"aarch64\n"
    assert files["amd64"]["arch.txt"] == b"x86_64\n"


def test_missing_dockerfile_is_one_line_before_anything_runs(buildah_env, registry, tmp_path):
    proc = onetag(["build", ".", "--backend", "buildah", "--push", "--image", f"{registry.host}/x/y", "--tag", "1"],
                  buildah_env, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["onetag: error: no Dockerfile or Containerfile in .: pass -f/--file PATH"]


def test_multi_stage_build_platform_does_not_leak_into_the_final_stage(base_image, registry, buildah_env, tmp_path):
    """Each final stage holds its own platform's base image, even when the build stage uses the same image.

    buildah 1.28 ignores `--platform=$BUILDPLATFORM` (the build stage runs emulated); pinning
    BUILDPLATFORM there made the arm64 variant ship the amd64 busybox, which this test caught.
    """
    reason = ensure_qemu_aarch64()
    if reason:
        _unavailable(reason)
    image, first = base_image
    assert first.returncode == 0, first.stdout + first.stderr
    (tmp_path / "Dockerfile").write_text(
        f"FROM --platform=$BUILDPLATFORM {image}:1 AS build\n"
        "ARG TARGETARCH\n"
        'RUN ["/bin/busybox", "sh", "-c", "echo $TARGETARCH > /target.txt; /bin/busybox uname -m > /built-on.txt"]\n'
        f"FROM {image}:1\n"
        "COPY --from=build /target.txt /built-on.txt /\n"
    )
    repo = "onetag-e2e/multistage"
    proc = onetag(["build", ".", "--backend", "buildah", "--push", "--image", f"{registry.host}/{repo}", "--tag", "1"],
                  buildah_env, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{registry.host}/{repo}:1  verified" in proc.stdout  # --deep: configs match the index
    files = _layers_of(registry, repo, "1")
    uname = {"amd64": b"x86_64\n", "arm64": b"aarch64\n"}
    host = uname.get({"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), ""))
    for arch, em in (("amd64", EM_X86_64), ("arm64", EM_AARCH64)):
        assert files[arch]["target.txt"] == f"{arch}\n".encode()
        assert _elf_machine(files[arch]["bin/busybox"]) == em
        assert files[arch]["built-on.txt"] in (host, uname[arch])  # native build stage, or emulated on old buildah
