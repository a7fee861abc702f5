"""Dockerfile handler: image references in FROM, COPY --from, RUN --mount, ARG defaults and
commented-out FROM lines; OT104 per-architecture alternatives; OT201 constant --platform."""

from __future__ import annotations

import re

from onetag import archnames
from onetag.edits import Edit, Span
from onetag.finding import Context, Problem, RefSite, Scan
from onetag.migrate.dockerfile_readiness import readiness_problems
from onetag.migrate.dockerfile_syntax import Dockerfile, Instruction, Line, Token, parse

NAME = "dockerfile"

_COMMENTED_FROM = re.compile(r"^\s*#+\s*FROM\s+", re.IGNORECASE)
_BLANKS = re.compile(r"[ \t]*")
_GUIDANCE_VERB = re.compile(r"\b(use|using|build|building|for|if|on|instead|swap|replace|uncomment)\b|:\s*$", re.IGNORECASE)


def scan(text: str, ctx: Context) -> Scan:
    """Find image references and Dockerfile-specific problems in ``text``."""
    doc = parse(text)
    refs: list[RefSite] = []
    problems: list[Problem] = []
    live_from: list[tuple[Instruction, Token]] = []
    stages: set[str] = set()
    arg_values = _arg_defaults(doc)
    froms = [ins for ins in doc.instructions if ins.keyword == "FROM"]
    for ins in doc.instructions:
        if ins.keyword == "FROM":
            image, alias, platforms = _from_parts(ins)
            if image is not None and _is_image(image.value, stages):
                refs.append(_site(image, "FROM"))
                live_from.append((ins, image))
                for name in _variables_used(image.value):
                    refs.extend(arg_values.get(name, ()))
            for platform in platforms:
                # A FROM without an image is broken: offer no fix that would change what it parses as.
                problem = _platform_problem(text, platform, fixable=ins is froms[-1] and image is not None)
                if problem:
                    problems.append(problem)
            if alias:
                stages.add(alias.lower())
        elif ins.keyword in ("COPY", "ADD"):
            token = _flag_value(ins, "--from")
            if token and _is_image(token.value, stages):
                refs.append(_site(token, "COPY --from"))
        elif ins.keyword == "RUN":
            refs.extend(_mount_refs(ins, stages))
    commented = _commented_froms(doc)
    refs.extend(site for _, site in commented)
    problems.extend(_alternatives(doc, live_from, commented))
    problems.extend(readiness_problems(doc))
    return Scan(tuple(r for r in refs if r.span.end > r.span.start), tuple(problems))


def _site(token: Token, where: str, commented: bool = False) -> RefSite:
    value, start, end = _unquote(token)
    return RefSite(Span(start, end), value, where, commented=commented, evidence_only=not token.contiguous)


def _unquote(token: Token) -> tuple[str, int, int]:
    value = token.value
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1], token.start + 1, token.end - 1
    return value, token.start, token.end


def _is_image(value: str, stages: set[str]) -> bool:
    if not value or value.lower() == "scratch" or value.isdigit():
        return False
    return value.lower() not in stages


def _from_parts(ins: Instruction) -> tuple[Token | None, str | None, list[Token]]:
    """(image token, stage alias, --platform value tokens) of a FROM instruction."""
    image = alias = None
    platforms: list[Token] = []
    tokens = ins.tokens()
    for i, token in enumerate(tokens):
        if token.value.startswith("--"):
            if token.value.lower().startswith("--platform="):
                cut = len("--platform=")
                platforms.append(Token(token.value[cut:], token.start + cut, token.end, token.contiguous))
            continue
        if image is None:
            image = token
        elif token.value.lower() == "as" and i + 1 < len(tokens):
            alias = tokens[i + 1].value
            break
    return image, alias, platforms


def _flag_value(ins: Instruction, flag: str) -> Token | None:
    for token in ins.tokens():
        if not token.value.startswith("--"):
            break
        if token.value.lower().startswith(flag + "="):
            cut = len(flag) + 1
            return Token(token.value[cut:], token.start + cut, token.end, token.contiguous)
    return None


def _mount_refs(ins: Instruction, stages: set[str]) -> list[RefSite]:
    refs = []
    for token in ins.tokens():
        if not token.value.startswith("--"):
            break
        if not token.value.lower().startswith("--mount="):
            continue
        for match in re.finditer(r"(?:^|,)from=([^,\s]+)", token.value[len("--mount="):]):
            value = match.group(1)
            if _is_image(value, stages):
                offset = token.start + len("--mount=") + match.start(1)
                sub = Token(value, offset, offset + len(value), token.contiguous)
                refs.append(_site(sub, "RUN --mount from"))
    return refs


def _variables_used(value: str) -> list[str]:
    return re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", value)


def _arg_defaults(doc: Dockerfile) -> dict[str, list[RefSite]]:
    """ARG NAME=value defaults, as reference sites, keyed by NAME (used when a FROM names $NAME)."""
    out: dict[str, list[RefSite]] = {}
    for ins in doc.instructions:
        if ins.keyword != "ARG":
            continue
        for token in ins.tokens():
            name, eq, value = token.value.partition("=")
            if not eq or not value:
                continue
            cut = len(name) + 1
            sub = Token(value, token.start + cut, token.end, token.contiguous)
            out.setdefault(name, []).append(_site(sub, f"ARG {name}"))
    return out


def _platform_problem(text: str, platform: Token, fixable: bool) -> Problem | None:
    if "$" in platform.value:
        return None  # $BUILDPLATFORM/$TARGETPLATFORM are right; another variable's value is unknown here
    flag_start = platform.start - len("--platform=")
    span = Span(flag_start, platform.end)
    # Only when the flag follows something on its own line: removing a flag that starts a
    # continuation line could turn that line into a comment or a blank, joining the next line.
    line_start = max(text.rfind("\n", 0, flag_start), text.rfind("\r", 0, flag_start)) + 1
    if fixable and platform.contiguous and text[line_start:flag_start].strip():
        # Remove the flag and the blanks after it: "FROM --platform=x img" becomes "FROM img".
        blanks = _BLANKS.match(text, platform.end).end() - platform.end
        return Problem(
            "OT201",
            span,
            f"FROM --platform={platform.value} pins the final stage: every platform's image would get "
            f"{platform.value} content",
            (Edit(Span(flag_start, platform.end + blanks), ""),),
        )
    return Problem(
        "OT201",
        span,
        f"FROM --platform={platform.value} pins this stage to one platform; use --platform=$BUILDPLATFORM "
        "for a stage that cross-compiles, or drop the flag",
    )


def _commented_froms(doc: Dockerfile) -> list[tuple[Line, RefSite]]:
    """``# FROM image`` lines: a commented-out alternative base image."""
    out = []
    for line in doc.comments:
        match = _COMMENTED_FROM.match(line.text)
        if not match:
            continue
        rest = line.text[match.end():]
        for word in re.finditer(r"\S+", rest):
            if word.group(0).startswith("--"):
                continue
            start = line.start + match.end() + word.start()
            token = Token(word.group(0), start, start + len(word.group(0)), True)
            if _is_image(token.value, set()):
                out.append((line, _site(token, "commented FROM", commented=True)))
            break
    return out


def _same_image(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are the same image once both are unified."""
    return _unified_key(a) == _unified_key(b)


def _unified_key(text: str) -> str:
    proposal = archnames.detect(text)
    unified = proposal.new if proposal else text
    ref, _ = archnames.parse_template(unified)
    return ref.normalized().canonical() if ref is not None else unified


def _alternatives(
    doc: Dockerfile,
    live_from: list[tuple[Instruction, Token]],
    commented: list[tuple[Line, RefSite]],
) -> list[Problem]:
    """OT104: a commented-out per-architecture FROM beside its live twin, with its guidance."""
    by_number = {line.number: line for line in doc.lines}
    comment_numbers = {line.number for line in doc.comments}
    problems = []
    for line, site in commented:
        twin = next(
            (
                (ins, token)
                for ins, token in live_from
                if token.value != site.text
                and _same_image(token.value, site.text)
                and (archnames.detect(token.value) or archnames.detect(site.text))
            ),
            None,
        )
        if twin is None:
            continue
        doomed = {line.number}
        doomed |= _guidance_above(line.number, by_number, comment_numbers, doomed)
        doomed |= _guidance_above(twin[0].line, by_number, comment_numbers, doomed)
        spans = _delete_lines(doc, doomed)
        problems.append(
            Problem(
                "OT104",
                Span(site.span.start, site.span.end),
                f"commented-out per-architecture alternative '{site.text}'; one multi-platform tag leaves "
                "no choice to make",
                tuple(Edit(span, "") for span in spans),
                covers=tuple(spans),
            )
        )
    return problems


def _guidance_above(number: int, by_number: dict[int, Line], comments: set[int], taken: set[int]) -> set[int]:
    """Comment lines right above ``number`` that tell the reader to pick an architecture."""
    out: set[int] = set()
    current = number - 1
    while current in comments and current not in taken:
        text = by_number[current].text.lstrip().lstrip("#")
        if _COMMENTED_FROM.match(by_number[current].text) or not archnames.mentions_arch(text) or not _GUIDANCE_VERB.search(text):
            break
        out.add(current)
        current -= 1
    return out


def _delete_lines(doc: Dockerfile, numbers: set[int]) -> list[Span]:
    """Spans that delete whole lines, without leaving a doubled blank line behind."""
    lines = doc.lines
    total = len(lines)
    ordered = sorted(numbers)
    runs: list[tuple[int, int]] = []
    for n in ordered:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    spans = []
    for first, last in runs:
        before_blank = first == 1 or lines[first - 2].blank
        if before_blank and last < total and lines[last].blank:
            last += 1
        start = lines[first - 1].start
        end = lines[last].start if last < total else len(doc.text)
        if last == total and first > 1 and not doc.text.endswith(("\n", "\r")):
            # The last line has no newline: take the newline before the run instead.
            start = lines[first - 2].end
        spans.append(Span(start, end))
    return spans
