"""Defaults the project itself tells: its image name, its version tag, the host's facts."""

from __future__ import annotations

import json
import platform as _platform
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from onetag.errors import UsageError

_TAG = re.compile(r"[\w][\w.-]{0,127}")
_NPM_VERSION = ("$npm_package_version", "${npm_package_version}", "%npm_package_version%")
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
           "i686": "386", "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


def host_arch() -> str:
    machine = _platform.machine().lower()
    return _GOARCH.get(machine, machine)


def tool_version(tool: str) -> tuple[int, ...] | None:
    """``buildah --version`` -> (1, 28, 2); None when the tool is absent or says nothing we read."""
    if shutil.which(tool) is None:
        return None
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(g) for g in match.groups() if g is not None) if match else None


def _package_json(start: Path) -> tuple[Path, dict] | None:
    for directory in (start.resolve(), *start.resolve().parents):
        candidate = directory / "package.json"
        if candidate.is_file():
            try:
                return candidate, json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise UsageError(f"{candidate}: cannot read it as JSON ({err})") from None
        if (directory / ".git").exists():
            return None
    return None


def _git_tag(context: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(context), "describe", "--tags", "--exact-match", "HEAD"],
            capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _clean_tag(tag: str, source: str) -> str:
    if re.fullmatch(r"v\d.*", tag):
        tag = tag[1:]  # v1.2.3 -> 1.2.3, as docker/metadata-action's semver pattern does
    if not _TAG.fullmatch(tag):
        raise UsageError(f"{source}: {tag!r} is not a valid image tag (letters, digits, _ . -; at most 128)")
    return tag


def default_tag(context: Path) -> str | None:
    """package.json ``version`` in CONTEXT or above, else the git tag at HEAD (a leading v dropped)."""
    found = _package_json(context)
    if found and isinstance(found[1].get("version"), str):
        return _clean_tag(found[1]["version"], str(found[0]))
    tag = _git_tag(context)
    return _clean_tag(tag, "git tag at HEAD") if tag else None


def resolve_tags(given: tuple[str, ...], context: Path, environ: dict[str, str]) -> tuple[str, ...]:
    """The user's --tag values ($npm_package_version resolved), else the project's version."""
    tags = []
    for tag in given:
        if tag in _NPM_VERSION:
            version = environ.get("npm_package_version") or default_tag(context)
            if not version:
                raise UsageError(f"--tag {tag}: no npm_package_version in the environment and no package.json version")
            tag = version
        tags.append(_clean_tag(tag, "--tag"))
    if tags:
        return tuple(dict.fromkeys(tags))
    tag = default_tag(context)
    return (tag,) if tag else ()


def default_image(context: Path) -> str | None:
    """The image a package.json script builds with ``docker build -t NAME``, without its tag."""
    found = _package_json(context)
    scripts = found[1].get("scripts", {}) if found else {}
    for script in scripts.values() if isinstance(scripts, dict) else ():
        try:
            words = shlex.split(str(script))
        except ValueError:
            continue
        if "build" not in words or not any(w.endswith("docker") or w in ("buildah", "podman") for w in words):
            continue
        for i, word in enumerate(words[:-1]):
            if word in ("-t", "--tag"):
                return _unified(_strip_tag(words[i + 1]))
    return None


def _unified(name: str) -> str:
    """``acme/app-arm`` -> ``acme/app``: the script may be the per-arch one."""
    from onetag.archnames import detect

    proposal = detect(name)
    return proposal.new if proposal else name


def _strip_tag(ref: str) -> str:
    name = ref.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name
