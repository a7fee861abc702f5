"""Shell handler: image references in shell scripts, Makefile recipes and prompt lines, and
OT301 per-architecture build/push commands. The models live in ``shell_words`` (words and
simple commands) and ``shell_commands`` (container invocations); this module re-exports them
for the handlers that reuse them.
"""

from __future__ import annotations

import re

from onetag.finding import Context, Problem, RefSite, Scan
from onetag.migrate.shell_commands import TOOLS, Command, Option, docker_commands, mentions_tool, parse_command  # noqa: F401
from onetag.migrate.shell_words import Simple, Word, simple_commands, tokenize  # noqa: F401

NAME = "shell"


# ---------------------------------------------------------------- the handler


def scan(text: str, ctx: Context) -> Scan:
    """Image references in container commands of a shell script, Makefile or shell session."""
    name = ctx.path.name
    if name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
        ranges = _make_recipes(text)
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


def _scan_ranges(text: str, ranges: list[tuple[int, int]], ctx: Context) -> Scan:
    refs: list[RefSite] = []
    problems: list[Problem] = []
    for start, end in ranges:
        for command in docker_commands(text, start, end):
            refs.extend(command_refs(command))
            problem = per_arch_problem(command, ctx)
            if problem is not None:
                problems.append(problem)
    return Scan(tuple(refs), tuple(problems))


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
