"""Which files to read, and in which format: respects .gitignore and config ``exclude``.

In a git work tree git itself lists the files (tracked and untracked-but-not-ignored), which is
exact and fast; elsewhere the tree is walked with every .gitignore applied.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from onetag.config import Config
from onetag.migrate import format_for

_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".hg", ".svn"}


class Candidate(NamedTuple):  # a tuple: built tens of thousands of times per run
    path: str  # absolute
    rel: str  # as shown to the user (relative to the current folder when below it)
    fmt: str
    size: int = 0


@dataclass
class Discovery:
    files: list[Candidate]
    notices: list[str]  # one line each: what was skipped and why


def discover(paths: list[Path], config: Config, *, cwd: Path | None = None) -> Discovery:
    """Every file under ``paths`` that a handler reads, sorted, deduplicated.

    Runs once per file over tens of thousands of names, so it works on strings and one
    lstat per routed file; symbolic links are resolved only when there are some.
    """
    cwd_s = str((cwd or Path.cwd()).resolve())
    exclude = _exclude_matcher(config)
    exclude_base = str(config.root) if config.root else cwd_s
    seen: set[str] = set()
    files: list[Candidate] = []
    notices: list[str] = []
    for given in paths:
        target = os.path.normpath(os.path.join(cwd_s, str(given)))
        if not os.path.lexists(target):
            from onetag.errors import UsageError

            raise UsageError(f"{given}: no such file or folder")
        explicit = not os.path.isdir(target)
        if explicit:
            root = os.path.dirname(os.path.realpath(target))
            names = [os.path.basename(target)]
            folder = os.path.dirname(target)
        else:
            root = os.path.realpath(target)
            folder = target
            names = _list_tree(folder)
        for name in names:
            path = os.path.join(folder, name)
            fmt = format_for(name) or (_guess(name) if explicit else None)
            if fmt is None:
                if explicit:
                    notices.append(f"{_rel(path, cwd_s)}: no handler for this kind of file; skipped")
                continue
            rel = _rel(path, cwd_s)
            if exclude is not None and not explicit and exclude(_rel(path, exclude_base)):
                continue
            try:
                info = os.lstat(path)
            except OSError:
                continue
            real = path
            if stat.S_ISLNK(info.st_mode):
                real = os.path.realpath(path)
                if not (real == root or real.startswith(root + os.sep)):
                    notices.append(f"{rel}: symbolic link out of the scanned tree; skipped")
                    continue
                try:
                    info = os.stat(real)
                except OSError:
                    continue
            if not stat.S_ISREG(info.st_mode) or real in seen:
                continue
            if info.st_size > config.max_file_size:
                notices.append(f"{rel}: {info.st_size} bytes is over the size limit ({config.max_file_size}); skipped")
                continue
            seen.add(real)
            files.append(Candidate(path, rel, fmt, info.st_size))
    files.sort(key=lambda c: c.rel)
    return Discovery(files, notices)


def _guess(name: str) -> str | None:
    lower = os.path.basename(name).lower()
    if "dockerfile" in lower or "containerfile" in lower:
        return "dockerfile"
    return None


def _rel(path: str, base: str) -> str:
    if path.startswith(base + os.sep):
        return path[len(base) + 1 :].replace(os.sep, "/")
    return path.replace(os.sep, "/")


def _exclude_matcher(config: Config):
    if not config.exclude:
        return None
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(config.exclude)
    return spec.match_file


def _list_tree(folder: str) -> list[str]:
    """Names (relative to ``folder``) of the files below it that git, or .gitignore, lets through."""
    listed = _git_ls_files(folder)
    if listed is not None:
        return listed
    return _walk(Path(folder))


def _git_ls_files(folder: str) -> list[str] | None:
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
    # Deleted-but-tracked files are listed too; discover() drops them when lstat fails.
    return list(dict.fromkeys(n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n))


def _walk(folder: Path) -> list[str]:
    """Walk ``folder`` applying every .gitignore found on the way."""
    import pathspec

    out: list[str] = []
    specs: list[tuple[Path, pathspec.PathSpec]] = []
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        specs = [(base, spec) for base, spec in specs if here.is_relative_to(base)]
        ignore_file = here / ".gitignore"
        if ignore_file.is_file():
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                specs.append((here, pathspec.GitIgnoreSpec.from_lines(lines)))
            except OSError:
                pass

        def ignored(path: Path, is_dir: bool) -> bool:
            for base, spec in specs:
                rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                if spec.match_file(rel):
                    return True
            return False

        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not ignored(here / d, True))
        out.extend((here / f).relative_to(folder).as_posix() for f in sorted(files) if not ignored(here / f, False))
    return out


# Cheap byte-level prefilter: a file is parsed only when it may hold something a rule looks for.
# Substring tests on the lowered bytes run at memory speed; a regex pass over every file does not.
_TOKENS = (b"aarch64", b"amd64", b"x86", b"x64", b"386", b"i686", b"ppc64le", b"s390x", b"riscv64",
           b"mips64le", b"apple silicon", b"--platform", b"onetag")
_ARM_WORD = re.compile(rb"(?<![a-z])arm")  # "arm64", "-arm", "armhf"; not "param", "alarm", "charm"


class Prefilter:
    """Decides from raw bytes whether a file may hold a finding (configured names included)."""

    def __init__(self, extra_names: list[str] | tuple[str, ...] = ()) -> None:
        self.tokens = _TOKENS + tuple(name.lower().encode() for name in extra_names)

    def __call__(self, raw: bytes) -> bool:
        lower = raw.lower()
        if any(token in lower for token in self.tokens):
            return True
        return b"arm" in lower and _ARM_WORD.search(lower) is not None


def prefilter(extra_names: list[str] | tuple[str, ...] = ()) -> Prefilter:
    return Prefilter(extra_names)
