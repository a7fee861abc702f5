"""Which files to read, and in which format: respects .gitignore and config ``exclude``.

In a git work tree git itself lists the files (tracked and untracked-but-not-ignored), which is
exact and fast; elsewhere the tree is walked with every .gitignore applied.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from onetag.config import Config
from onetag.migrate import format_for

_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".hg", ".svn"}


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute
    rel: str  # as shown to the user (relative to the current folder when below it)
    fmt: str


@dataclass
class Discovery:
    files: list[Candidate]
    notices: list[str]  # one line each: what was skipped and why


def discover(paths: list[Path], config: Config, *, cwd: Path | None = None) -> Discovery:
    """Every file under ``paths`` that a handler reads, sorted, deduplicated."""
    cwd = (cwd or Path.cwd()).resolve()
    exclude = _exclude_matcher(config)
    seen: set[Path] = set()
    files: list[Candidate] = []
    notices: list[str] = []
    for given in paths:
        target = given if given.is_absolute() else cwd / given
        if not target.exists() and not target.is_symlink():
            from onetag.errors import UsageError

            raise UsageError(f"{given}: no such file or folder")
        if target.is_file():
            listed = [target]
            explicit = True
        else:
            listed = _list_tree(target, notices)
            explicit = False
        root = target.resolve() if target.is_dir() else target.resolve().parent
        for path in listed:
            resolved = _inside(path, root)
            if resolved is None:
                notices.append(f"{_rel(path, cwd)}: symbolic link out of the scanned tree; skipped")
                continue
            if resolved in seen:
                continue
            rel = _rel(path, cwd)
            if not explicit and exclude(_rel(path, config.root or cwd)):
                continue
            fmt = format_for(rel) or (_guess(path) if explicit else None)
            if fmt is None:
                if explicit:
                    notices.append(f"{rel}: no handler for this kind of file; skipped")
                continue
            try:
                size = resolved.stat().st_size
            except OSError:
                continue
            if size > config.max_file_size:
                notices.append(f"{rel}: {size} bytes is over the size limit ({config.max_file_size}); skipped")
                continue
            seen.add(resolved)
            files.append(Candidate(path, rel, fmt))
    files.sort(key=lambda c: c.rel)
    return Discovery(files, notices)


def _guess(path: Path) -> str | None:
    name = path.name.lower()
    if "dockerfile" in name or "containerfile" in name:
        return "dockerfile"
    return None


def _inside(path: Path, root: Path) -> Path | None:
    """The resolved path when it stays inside ``root`` (symlinks are not followed out)."""
    try:
        resolved = path.resolve()
    except OSError:
        return None
    if path.is_symlink() and not resolved.is_relative_to(root):
        return None
    return resolved


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _exclude_matcher(config: Config):
    if not config.exclude:
        return lambda rel: False
    import pathspec

    spec = pathspec.PathSpec.from_lines("gitwildmatch", config.exclude)
    return spec.match_file


def _list_tree(folder: Path, notices: list[str]) -> list[Path]:
    listed = _git_ls_files(folder)
    if listed is not None:
        return listed
    return _walk(folder)


def _git_ls_files(folder: Path) -> list[Path] | None:
    """Files git would see under ``folder`` (tracked + untracked not ignored), or None outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    names = [n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    paths = []
    for name in dict.fromkeys(names):
        path = folder / name
        if path.is_file():  # deleted-but-tracked files are listed too
            paths.append(path)
    return paths


def _walk(folder: Path) -> list[Path]:
    """Walk ``folder`` applying every .gitignore found on the way."""
    import pathspec

    out: list[Path] = []
    specs: list[tuple[Path, pathspec.PathSpec]] = []
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        specs = [(base, spec) for base, spec in specs if here.is_relative_to(base)]
        ignore_file = here / ".gitignore"
        if ignore_file.is_file():
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                specs.append((here, pathspec.PathSpec.from_lines("gitwildmatch", lines)))
            except OSError:
                pass

        def ignored(path: Path, is_dir: bool) -> bool:
            for base, spec in specs:
                rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                if spec.match_file(rel):
                    return True
            return False

        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not ignored(here / d, True))
        out.extend(here / f for f in sorted(files) if not ignored(here / f, False))
    return out


# Cheap byte-level prefilter: a file is parsed only when it may hold something a rule looks for.
_PREFILTER_WORDS = (
    rb"arm|aarch64|amd64|x86|x64|i386|i686|386|ppc64le|s390x|riscv64|mips64le|"
    rb"apple silicon|--platform|onetag"
)


def prefilter(extra_names: list[str] | tuple[str, ...] = ()) -> re.Pattern[bytes]:
    """A bytes regex: files without a match hold no finding (configured names included)."""
    words = _PREFILTER_WORDS
    for name in extra_names:
        words += b"|" + re.escape(name.encode())
    return re.compile(words, re.IGNORECASE)
