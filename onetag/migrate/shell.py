"""Shell handler: image references in shell scripts, Makefile recipes and prompt lines, and
OT301 per-architecture build/push commands. The models live in ``shell_words`` (words and
simple commands) and ``shell_commands`` (container invocations); this module re-exports them
for the handlers that reuse them.
"""

from __future__ import annotations

import re

from onetag.edits import Span
from onetag.finding import Context, Problem, RefSite, Scan
from onetag.migrate.shell_commands import TOOLS, Command, Option, docker_commands, mentions_tool, parse_command  # noqa: F401
from onetag.migrate.shell_words import Simple, Word, simple_commands, tokenize  # noqa: F401

NAME = "shell"


# ---------------------------------------------------------------- the handler


def scan(text: str, ctx: Context) -> Scan:
    """Image references in container commands of a shell script, Makefile or shell session."""
    name = ctx.path.name
    if name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
        scan = _scan_ranges(text, _make_recipes(text), ctx)
        return Scan(scan.refs + tuple(_make_variable_refs(text)), scan.problems)
    elif not name.endswith((".sh", ".bash", ".zsh")) and _PROMPT.search(text):
        return scan_session(text, ctx)
    else:
        ranges = [(0, len(text))]
    return _scan_ranges(text, ranges, ctx)


def scan_session(text: str, ctx: Context) -> Scan:
    """A terminal session (```console): only lines that start with a ``$`` prompt are commands."""
    return _scan_ranges(text, _prompt_lines(text), ctx)


_PROMPT = re.compile(r"^[ \t]*\$[ \t]", re.MULTILINE)
_RECIPE_PREFIX = re.compile(r"\t[ \t@+-]*")


def _scan_ranges(text: str, ranges: list[tuple[int, int]], ctx: Context, assignments: bool = True) -> Scan:
    refs: list[RefSite] = []
    problems: list[Problem] = []
    for start, end in ranges:
        if assignments:
            refs.extend(assignment_refs(text, start, end))
        for command in docker_commands(text, start, end):
            refs.extend(command_refs(command))
            problem = per_arch_problem(command, ctx)
            if problem is not None:
                problems.append(problem)
    return Scan(tuple(refs), tuple(problems))


# Variables that hold an image: a name that says so, or a value that is unmistakably a reference.
_IMAGE_NAME = re.compile(r"image|base|from", re.IGNORECASE)
_DECLARE = {"export", "readonly", "declare", "local", "typeset"}
_ASSIGNED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")


def assignment_refs(text: str, start: int = 0, end: int | None = None) -> list[RefSite]:
    """``IMAGE=acme/app-arm:1`` and ``export BASE="arm64v8/node:20"``: the value as a reference
    site when the variable's name says image (or base/from) or the value has a tag, digest or
    registry. Only values written as one plain or one quoted piece are located."""
    out = []
    for simple in simple_commands(text, start, end, comments=False):
        words = list(simple.words)
        if words and words[0].raw in _DECLARE:
            words = words[1:]
        for word in words:
            match = _ASSIGNED.match(word.raw)
            if match is None:
                break  # assignments come before the command word
            site = _assigned_value(word.raw[match.end():], word.span.start + match.end(), match.group(1))
            if site is not None:
                out.append(site)
    return out


def _assigned_value(raw: str, offset: int, name: str) -> RefSite | None:
    from onetag import archnames

    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        raw, offset = raw[1:-1], offset + 1
    if not raw or any(c in raw for c in "\"'\\ \t`"):
        return None
    ref, _ = archnames.parse_template(raw)
    if ref is None or not (_IMAGE_NAME.search(name) or ((ref.tag or ref.digest) and "/" in raw)):
        return None
    return RefSite(Span(offset, offset + len(raw)), raw, f"{name}=")


_MAKE_VARIABLE = re.compile(
    r"^(?:(?:export|override)[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*(?:\?|::?|\+|!)?=[ \t]*([^\s#]+)[ \t]*(?:#.*)?$",
    re.MULTILINE,
)


def _make_variable_refs(text: str) -> list[RefSite]:
    """``IMAGE ?= acme/app-arm:1`` and friends outside recipes (recipe lines start with a tab)."""
    out = []
    for match in _MAKE_VARIABLE.finditer(text):
        if text.startswith("\t", match.start()):
            continue
        site = _assigned_value(match.group(2), match.start(2), match.group(1))
        if site is not None:
            out.append(site)
    return out


def command_refs(command: Command) -> list[RefSite]:
    """The image arguments of ``command`` as reference sites (inexact words count as evidence only)."""
    where = f"{command.tool} {command.subcommand}"
    out = []
    for word in command.images:
        if not word.value or word.value.startswith("-"):
            continue
        out.append(RefSite(word.inner, word.value, where, commented=command.simple.comment, evidence_only=not word.exact))
    return out


def per_arch_problem(command: Command, ctx: Context) -> Problem | None:
    """OT301 when ``command`` builds, tags or pushes an architecture-specific image (report only).

    The command is covered: renaming the image inside a per-architecture build or push would
    publish one architecture under the multi-platform name."""
    from onetag import archnames

    if command.action not in ("build", "push", "tag") or command.simple.comment:
        return None
    names = command.images[-1:] if command.action == "tag" else command.images
    for word in names:
        proposal = archnames.detect(word.value)
        if proposal is None:
            continue
        unified = proposal.new
        verb = "builds" if command.action == "build" else "tags" if command.action == "tag" else "pushes"
        message = (
            f"'{command.tool} {command.subcommand}' {verb} the {proposal.arch}-only image '{word.value}'; "
            f"build and push every platform as one tag instead: docker buildx build --platform "
            f"{','.join(ctx.platforms)} -t {unified} --push ."
        )
        return Problem("OT301", command.span, message, covers=(command.span,))
    return None


def _make_recipes(text: str) -> list[tuple[int, int]]:
    """Ranges of Makefile recipe lines (tab-indented), without the tab and the @/-/+ prefixes.

    A recipe line ending in a backslash continues on the next line, whatever its indentation."""
    out = []
    i = 0
    continued = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if continued:
            out.append((i, i + len(body)))
        elif line.startswith("\t"):
            prefix = _RECIPE_PREFIX.match(line).end()
            out.append((i + prefix, i + len(body)))
        continued = (continued or line.startswith("\t")) and body.endswith("\\")
        i += len(line)
    return _join_continued(text, out)


def _join_continued(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in ranges:
        if joined and text[joined[-1][1] - 1:joined[-1][1]] == "\\":
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _prompt_lines(text: str) -> list[tuple[int, int]]:
    out = []
    i = 0
    continued = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = _PROMPT.match(body)
        if continued:
            out.append((i, i + len(body)))
        elif match:
            out.append((i + match.end(), i + len(body)))
        continued = (continued or bool(match)) and body.endswith("\\")
        i += len(line)
    return _join_continued(text, out)
