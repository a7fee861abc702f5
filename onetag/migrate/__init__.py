"""Format handlers, one module each, collected in one explicit table.

A handler module has ``NAME`` and ``scan(text, ctx) -> Scan``: it locates image references
and format-specific problems with exact spans, and never writes, prints or exits. Which files
go to which handler is decided here by name, so discovery imports no parser.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import re
from functools import lru_cache
from types import ModuleType

# format -> handler module. Order matters for routing: the first format whose patterns match wins.
HANDLERS: dict[str, str] = {
    "dockerfile": "onetag.migrate.dockerfile",
    "packagejson": "onetag.migrate.packagejson",
    "jsonc": "onetag.migrate.jsonc",
    "markdown": "onetag.migrate.markdown",
    "yaml": "onetag.migrate.yaml",
    "python": "onetag.migrate.python",
    "shell": "onetag.migrate.shell",
}

# format -> file-name globs (matched against the name) or path globs (when they hold a "/").
PATTERNS: dict[str, tuple[str, ...]] = {
    "dockerfile": ("Dockerfile", "Containerfile", "*.Dockerfile", "*.dockerfile", "Dockerfile.*",
                   "Containerfile.*", "*.containerfile", "*.Containerfile"),
    "packagejson": ("package.json",),
    "jsonc": ("*.json", "*.jsonc", "*.json5", ".devcontainer.json"),
    "markdown": ("*.md", "*.markdown", "*.mdx"),
    "yaml": ("*.yml", "*.yaml"),
    "python": ("*.py",),
    "shell": ("*.sh", "*.bash", "Makefile", "makefile", "GNUmakefile", "*.mk"),
}

# Fenced-code info strings -> format, for handlers that hand nested code on.
FENCE_FORMATS: dict[str, str] = {
    "dockerfile": "dockerfile", "docker": "dockerfile", "containerfile": "dockerfile",
    "sh": "shell", "bash": "shell", "shell": "shell", "console": "shell", "zsh": "shell",
    "shell-session": "shell", "shellsession": "shell",
    "yaml": "yaml", "yml": "yaml",
    "json": "jsonc", "jsonc": "jsonc", "json5": "jsonc",
    "python": "python", "py": "python",
}


def format_for(path: str) -> str | None:
    """The format of a file, from its path, or None when no handler reads it."""
    name = path.rsplit("/", 1)[-1]
    match = _routing().match(name)
    if match is None:
        return None
    fmt = match.lastgroup
    return fmt if available(fmt) else None


@lru_cache(maxsize=None)
def _routing() -> re.Pattern[str]:
    # One alternation of every format's globs, in table order: one regex match per file name.
    alternatives = (
        f"(?P<{fmt}>" + "|".join(fnmatch.translate(p).replace("\\Z", "").replace("(?s:", "(?:") for p in patterns) + ")"
        for fmt, patterns in PATTERNS.items()
    )
    return re.compile(r"(?s:" + "|".join(alternatives) + r")\Z")


@lru_cache(maxsize=None)
def available(fmt: str) -> bool:
    module = HANDLERS.get(fmt)
    return module is not None and importlib.util.find_spec(module) is not None


@lru_cache(maxsize=None)
def handler(fmt: str) -> ModuleType:
    """Import the handler for ``fmt`` (lazily: most runs need one or two)."""
    return importlib.import_module(HANDLERS[fmt])
