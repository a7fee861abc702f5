"""Configuration: ``.onetag.toml`` or ``[tool.onetag]`` in pyproject.toml, validated strictly."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onetag.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64")
_PLATFORM_RE = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$")
_SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class BuildConfig:
    image: str | None = None
    context: str | None = None
    dockerfile: str | None = None
    tag: str | None = None
    backend: str | None = None


@dataclass(frozen=True)
class VerifyConfig:
    deep: bool = False
    timeout: float = 30.0


@dataclass(frozen=True)
class Config:
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    images: dict[str, str] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    max_file_size: int = 5 * 1024 * 1024
    build: BuildConfig = BuildConfig()
    verify: VerifyConfig = VerifyConfig()
    source: Path | None = None  # the file it came from
    root: Path | None = None  # the folder paths in it are relative to


def find_config_file(start: Path) -> tuple[Path, bool] | None:
    """The nearest ``.onetag.toml`` (or pyproject.toml with ``[tool.onetag]``) at or above start."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        own = candidate / ".onetag.toml"
        if own.is_file():
            return own, False
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and b"[tool.onetag" in pyproject.read_bytes():
            return pyproject, True
        if (candidate / ".git").exists():
            break
    return None


def load_config(start: Path) -> Config:
    """Load and validate the configuration that applies to ``start``; defaults when there is none."""
    found = find_config_file(start)
    if found is None:
        return Config()
    return load_config_file(*found)


def load_config_file(path: Path, in_pyproject: bool | None = None) -> Config:
    """Load and validate one configuration file (``[tool.onetag]`` when it is a pyproject.toml)."""
    if in_pyproject is None:
        in_pyproject = path.name == "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read configuration: {err}") from None
    if in_pyproject:
        data = data.get("tool", {}).get("onetag", {})
        prefix = "tool.onetag."
    else:
        prefix = ""
    return parse_config(data, path, prefix)


def parse_config(data: dict[str, Any], path: Path, prefix: str = "") -> Config:
    """Validate a decoded TOML table; an unknown key or bad value is a one-line ConfigError."""
    where = _Where(path, prefix)
    known = {"platforms", "exclude", "ignore", "images", "severity", "max-file-size", "build", "verify"}
    where.no_unknown(data, known, "")
    build = data.get("build", {})
    verify = data.get("verify", {})
    where.table(build, "build")
    where.table(verify, "verify")
    where.no_unknown(build, {"image", "context", "dockerfile", "tag", "backend"}, "build.")
    where.no_unknown(verify, {"deep", "timeout"}, "verify.")
    platforms = tuple(where.strings(data, "platforms", DEFAULT_PLATFORMS))
    for platform in platforms:
        if not _PLATFORM_RE.match(platform):
            where.fail("platforms", f"{platform!r} is not a platform like linux/arm64")
    images = where.string_table(data, "images")
    severity = where.string_table(data, "severity")
    for code, level in severity.items():
        if level not in _SEVERITIES:
            where.fail(f"severity.{code}", f"must be one of {', '.join(_SEVERITIES)}")
    backend = where.opt_str(build, "backend", "build.")
    if backend not in (None, "buildx", "buildah", "podman", "auto"):
        where.fail("build.backend", "must be buildx, buildah, podman or auto")
    return Config(
        platforms=platforms or DEFAULT_PLATFORMS,
        exclude=tuple(where.strings(data, "exclude", ())),
        ignore=tuple(where.strings(data, "ignore", ())),
        images=images,
        severity=severity,
        max_file_size=where.number(data, "max-file-size", 5 * 1024 * 1024, ""),
        build=BuildConfig(
            image=where.opt_str(build, "image", "build."),
            context=where.opt_str(build, "context", "build."),
            dockerfile=where.opt_str(build, "dockerfile", "build."),
            tag=where.opt_str(build, "tag", "build."),
            backend=backend,
        ),
        verify=VerifyConfig(
            deep=where.boolean(verify, "deep", False, "verify."),
            timeout=float(where.number(verify, "timeout", 30.0, "verify.")),
        ),
        source=path,
        root=path.parent,
    )


class _Where:
    """Validation helpers that name the file and the full key in every error."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.path = path
        self.prefix = prefix

    def fail(self, key: str, problem: str) -> None:
        raise ConfigError(f"{self.path}: {self.prefix}{key}: {problem}")

    def no_unknown(self, table: dict[str, Any], known: set[str], sub: str) -> None:
        for key in table:
            if key not in known:
                self.fail(sub + key, f"unknown key (known: {', '.join(sorted(known))})")

    def table(self, value: Any, key: str) -> None:
        if not isinstance(value, dict):
            self.fail(key, "must be a table")

    def strings(self, table: dict[str, Any], key: str, default: tuple[str, ...]) -> list[str]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of strings")
        return value

    def string_table(self, table: dict[str, Any], key: str) -> dict[str, str]:
        value = table.get(key, {})
        self.table(value, key)
        for k, v in value.items():
            if not isinstance(v, str):
                self.fail(f"{key}.{k}", "must be a string")
        return dict(value)

    def opt_str(self, table: dict[str, Any], key: str, sub: str) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            self.fail(sub + key, "must be a string")
        return value

    def boolean(self, table: dict[str, Any], key: str, default: bool, sub: str) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(sub + key, "must be true or false")
        return value

    def number(self, table: dict[str, Any], key: str, default: float, sub: str) -> Any:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            self.fail(sub + key, "must be a positive number")
        return value
