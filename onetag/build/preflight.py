"""`onetag doctor`: what build and verify need on this machine, what is missing, how to fix it.

Each check is a function returning ``Check``s; ``run_checks`` calls them in a fixed order. A
check never prints a credential: it says only where one would come from.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from onetag.build.defaults import host_arch

BINFMT = Path("/proc/sys/fs/binfmt_misc")
# platform architecture -> the name qemu-user-static registers in binfmt_misc
QEMU_NAMES = {"amd64": "x86_64", "arm64": "aarch64", "arm": "arm", "386": "i386", "ppc64le": "ppc64le",
              "s390x": "s390x", "riscv64": "riscv64", "mips64le": "mips64el"}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok" | "missing" | "warn" | "skipped"
    detail: str
    fix: str = ""
    blocks_build: bool = True  # a missing item that stops a build (credentials only stop a push)

    def line(self) -> str:
        text = f"{self.status:<8} {self.name}: {self.detail}"
        return f"{text}\n         fix: {self.fix}" if self.fix and self.status != "ok" else text


def _run(argv: list[str], timeout: float = 30) -> tuple[int, str]:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return 127, ""
    except (OSError, subprocess.TimeoutExpired) as err:
        return 1, str(err)
    return proc.returncode, proc.stdout + proc.stderr


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def check_backend(backend: str, platforms: tuple[str, ...]) -> list[Check]:
    if backend == "buildx":
        return _check_buildx(platforms)
    checks = []
    if shutil.which(backend) is None:
        return [Check(backend, "missing", "not installed", f"apt-get install {backend}")]
    checks.append(Check(backend, "ok", _first_line(_run([backend, "--version"])[1])))
    runtime = next((r for r in ("crun", "runc") if shutil.which(r)), None)
    checks.append(Check("OCI runtime", "ok" if runtime else "missing", runtime or "neither runc nor crun found",
                        "apt-get install runc"))
    return checks


def _check_buildx(platforms: tuple[str, ...]) -> list[Check]:
    if shutil.which("docker") is None:
        return [Check("docker", "missing", "not installed", "install Docker Engine or Docker Desktop (docs.docker.com/engine/install)")]
    checks = [Check("docker", "ok", _first_line(_run(["docker", "--version"])[1]))]
    code, out = _run(["docker", "buildx", "version"])
    if code != 0:
        checks.append(Check("docker buildx", "missing", "the buildx plugin is not installed",
                            "install docker-buildx-plugin (Docker's apt repository) or docker-buildx (Debian)"))
        return checks
    checks.append(Check("docker buildx", "ok", _first_line(out)))
    code, out = _run(["docker", "buildx", "inspect", "--bootstrap"], timeout=120)
    if code != 0:
        checks.append(Check("buildx builder", "missing", _first_line(out) or "cannot inspect the builder",
                            "start the Docker daemon, or `docker buildx create --use --driver docker-container`"))
        return checks
    checks += inspect_builder(out, platforms)
    return checks


def inspect_builder(output: str, platforms: tuple[str, ...]) -> list[Check]:
    """Read ``docker buildx inspect --bootstrap``: the driver, and whether it can build ``platforms``."""
    driver = (re.search(r"^Driver:\s*(\S+)", output, re.MULTILINE) or [None, "unknown"])[1]
    found = re.search(r"^Platforms:\s*(.+)$", output, re.MULTILINE)
    offered = {p.strip().rstrip("*") for p in found[1].split(",")} if found else set()
    checks = []
    if driver == "docker" and len(platforms) > 1 and not offered.issuperset(platforms):
        checks.append(Check("buildx driver", "missing", "the `docker` driver cannot build multi-platform images "
                            "unless the containerd image store is on",
                            "`docker buildx create --use --driver docker-container`, or enable the containerd image store"))
    else:
        checks.append(Check("buildx driver", "ok", driver))
    lacking = [p for p in platforms if p not in offered and _short(p) not in offered]
    if lacking:
        checks.append(Check("builder platforms", "missing", f"cannot build {', '.join(lacking)}",
                            "register QEMU: `docker run --privileged --rm tonistiigi/binfmt --install all`, "
                            "then `docker buildx inspect --bootstrap`"))
    else:
        checks.append(Check("builder platforms", "ok", ", ".join(sorted(offered))))
    return checks


def _short(platform: str) -> str:
    return platform.rsplit("/", 1)[0] if platform.count("/") == 2 else platform


def check_emulation(platforms: tuple[str, ...], needs_run: bool) -> list[Check]:
    """Foreign platforms need QEMU in binfmt_misc, with the F flag (so chroots and containers find it)."""
    foreign = sorted({p.split("/")[1] for p in platforms if p.count("/") >= 1 and p.split("/")[1] != host_arch()})
    if not foreign:
        return [Check("emulation", "ok", "no foreign platform to build")]
    status = "missing" if needs_run else "warn"
    why = "" if needs_run else " (the Dockerfile has no RUN step, so the build does not need it)"
    if not (BINFMT / "status").exists():
        return [Check("binfmt_misc", status, f"not mounted at {BINFMT}{why}",
                      f"as root: mount -t binfmt_misc binfmt_misc {BINFMT}", blocks_build=needs_run)]
    checks = []
    for arch in foreign:
        name = f"qemu-{QEMU_NAMES.get(arch, arch)}"
        entry = BINFMT / name
        text = entry.read_text() if entry.exists() else ""
        flags = (re.search(r"^flags:\s*(\S*)", text, re.MULTILINE) or [None, ""])[1]
        if not text or "enabled" not in text.splitlines()[0]:
            detail, fix = f"{name} is not registered{why}", (
                f"as root: apt-get install qemu-user-static binfmt-support && update-binfmts --enable {name}"
                " (or `docker run --privileged --rm tonistiigi/binfmt --install all`)")
        elif "F" not in flags:
            detail, fix = f"{name} is registered without the F flag{why}", (
                "re-register it with the F (fix binary) flag: `docker run --privileged --rm tonistiigi/binfmt --install all`")
        else:
            checks.append(Check(f"QEMU for {arch}", "ok", f"{name} registered (flags {flags})"))
            continue
        checks.append(Check(f"QEMU for {arch}", status, detail, fix, blocks_build=needs_run))
    return checks


def check_credentials(backend: str, host: str | None) -> list[Check]:
    """Where push credentials for ``host`` would come from; the secret itself is never read out."""
    if host is None:
        return [Check("registry credentials", "skipped", "no image given (--image or [build] image)", blocks_build=False)]
    from onetag.verify.auth import DOCKER_HUB_KEY, CredentialError, CredentialStore, config_key

    hub = config_key(host) == DOCKER_HUB_KEY
    shown = "Docker Hub" if hub else host

    paths = []
    if backend in ("buildah", "podman"):
        auth_file = os.environ.get("REGISTRY_AUTH_FILE") or (
            Path(os.environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json" if os.environ.get("XDG_RUNTIME_DIR")
            else Path("/run/containers/0/auth.json"))
        paths.append(Path(auth_file))
    paths.append(None)  # Docker's config.json, which buildah and podman read too
    login = ("docker login" if backend == "buildx" else f"{backend} login") + ("" if hub else f" {host}")
    for path in paths:
        try:
            where = CredentialStore(path).describe(host)
        except CredentialError as err:
            return [Check(f"credentials for {shown}", "warn", str(err), login, blocks_build=False)]
        if not where.startswith("no credentials"):
            return [Check(f"credentials for {shown}", "ok", f"found ({where})", blocks_build=False)]
    return [Check(f"credentials for {shown}", "warn", "none found (a registry that requires login needs them for --push)",
                  login, blocks_build=False)]


def check_dockerfile(path: Path) -> tuple[list[Check], bool]:
    """The Dockerfile's multi-arch readiness (OT201/OT202 when the lint rules exist); and whether it has RUN."""
    if not path.is_file():
        return [Check("Dockerfile", "missing", f"{path} not found", "pass -f PATH or run from the project root")], False
    text = path.read_text(encoding="utf-8", errors="replace")
    has_run = re.search(r"^\s*RUN\b", text, re.MULTILINE | re.IGNORECASE) is not None
    findings = _readiness_findings(path)
    if findings is None:
        return [Check("Dockerfile", "ok", f"{path} (multi-arch rules not available in this install)",
                      blocks_build=False)], has_run
    if not findings:
        return [Check("Dockerfile", "ok", f"{path}: ready for every platform (no OT201/OT202 findings)",
                      blocks_build=False)], has_run
    return [Check(f"Dockerfile {f.code}", "warn", f"{path}:{f.line}: {f.message}", f"`onetag rules {f.code}`",
                  blocks_build=False) for f in findings], has_run


def _readiness_findings(path: Path) -> list | None:
    """OT201/OT202 findings for the Dockerfile from the lint engine, or None where it is absent."""
    try:
        from onetag.config import load_config
        from onetag.engine import Options, build_findings, scan_paths
    except ImportError:
        return None
    config = load_config(path)
    run = scan_paths([path], config)
    found = build_findings(run, config, Options(select=("OT201", "OT202")))
    return [f for findings in found.values() for f in findings if f.code in ("OT201", "OT202")]


def run_checks(backend: str, platforms: tuple[str, ...], host: str | None, dockerfile: Path) -> list[Check]:
    dockerfile_checks, has_run = check_dockerfile(dockerfile)
    return [
        *check_backend(backend, platforms),
        *check_emulation(platforms, needs_run=has_run or not dockerfile.is_file()),
        *check_credentials(backend, host),
        *dockerfile_checks,
    ]


def can_build(checks: list[Check]) -> bool:
    return not any(c.status == "missing" and c.blocks_build for c in checks)
