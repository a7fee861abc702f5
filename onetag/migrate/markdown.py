"""Markdown handler: fenced code goes to the handler of its info string, other code blocks and
inline code spans are searched for whole image references, and prose that tells the reader to
choose an image by architecture is OT105.

markdown-it-py gives block line ranges (``token.map``); every column is found here in the
source itself, so spans are exact for LF, CRLF and CR files alike.

Nested code goes through ``onetag.migrate.nested`` (shared with the YAML and Python handlers).
"""

from __future__ import annotations

import bisect
import re

from onetag import archnames
from onetag.edits import LineIndex, Span
from onetag.finding import Context, Problem, RefSite, Scan
from onetag.migrate.nested import WORD_RE, Region, command_or_refs, hand_off, has_command, is_image, loose_refs

NAME = "markdown"

_EOL = re.compile(r"\r\n|\r|\n")


# --- the Markdown document -------------------------------------------------------------------------


def scan(text: str, ctx: Context) -> Scan:
    """Image references in code, and OT105 prose, with exact spans in ``text``."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    index = LineIndex(text)
    result = Scan()
    cursors: dict[int, int] = {}
    for i, token in enumerate(tokens):
        if token.type in ("fence", "code_block") and token.map:
            result = result.merged(_code_block(text, index, token, ctx))
        elif token.type == "inline" and token.map:
            result = result.merged(_inline_code(text, index, token, ctx, cursors))
            if i and tokens[i - 1].type == "paragraph_open":
                result = result.merged(Scan(problems=tuple(_prose(text, index, token))))
        elif token.type == "table_open":
            result = result.merged(Scan(problems=tuple(_table(text, index, tokens, i))))
    return Scan(_dedupe(result.refs), result.problems)


def _dedupe(refs: tuple[RefSite, ...]) -> tuple[RefSite, ...]:
    seen: dict[Span, RefSite] = {}
    for site in refs:
        if site.span.end > site.span.start:
            seen.setdefault(site.span, site)
    return tuple(seen.values())


def _block_region(text: str, index: LineIndex, first: int, content: str) -> Region | None:
    """The source lines from 0-based line ``first`` whose ends are ``content``'s lines (prefixes
    such as indentation or ``> `` removed), or None when they do not line up (tabs expanded)."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    spans = []
    for n, line in enumerate(lines, start=first + 1):
        if n > index.line_count:
            return None
        start, end = index.line_start(n), index.line_end(n)
        if not text[start:end].endswith(line):
            return None
        spans.append((end - len(line), index.line_end(n, keep_newline=True)))
    if not spans:
        return None
    return Region.join(text, spans)


def _code_block(text: str, index: LineIndex, token, ctx: Context) -> Scan:
    first = token.map[0] + (1 if token.type == "fence" else 0)
    region = _block_region(text, index, first, token.content)
    if region is None:
        return Scan()
    fmt = None
    if token.type == "fence" and token.info.strip():
        from onetag.migrate import FENCE_FORMATS

        fmt = FENCE_FORMATS.get(token.info.split()[0].lower())
    return hand_off(fmt, region, ctx) or loose_refs(region, "code block")


def _inline_code(text: str, index: LineIndex, token, ctx: Context, cursors: dict[int, int]) -> Scan:
    """Inline code spans that hold a reference or a container command, found in the source."""
    first, last = token.map
    start = cursors.get(first, index.line_start(first + 1))
    end = index.line_end(last)
    out = Scan()
    for child in token.children or ():
        if child.type != "code_inline" or not child.content.strip():
            continue
        pattern = re.compile(
            r"(?<!`)" + re.escape(child.markup) + r"( ?)(" + re.escape(child.content) + r")\1" + re.escape(child.markup) + r"(?!`)"
        )
        match = pattern.search(text, start, end)
        if match is None:
            continue  # the span crosses a line: its content is not the source text
        start = match.end()
        cursors[first] = start
        value, at = match.group(2), match.start(2)
        region = Region.span(text, at, at + len(value))
        if is_image(value.strip()):
            lead = len(value) - len(value.lstrip())
            word = value.strip()
            out = out.merged(Scan((RefSite(Span(at + lead, at + lead + len(word)), word, "inline code"),)))
        elif has_command(value):
            out = out.merged(command_or_refs(region, ctx, "inline code"))
    return out


# --- OT105: prose that tells the reader to pick an architecture ------------------------------------

_A = archnames.ARCH_WORDS.pattern
_ALT = "|".join(re.escape(t) for t in sorted(archnames.ARCH_SYNONYMS, key=len, reverse=True))
_CHOICE = re.compile(r"\b(?:use|pull|choose|pick|select|download|grab)\b", re.IGNORECASE)
_STRONG_CHOICE = re.compile(r"\b(?:instead|switch\s+to|replace\s+\S+\s+with|swap|uncomment)\b", re.IGNORECASE)
_CONDITION = re.compile(
    rf"\b(?:if|when)\b[^.;!?]*?{_A}"
    rf"|\b(?:on|for)\s+(?:an?\s+|the\s+|your\s+)?{_A}"
    rf"|{_A}[\s-]+(?:users?|machines?|hosts?|devices?|macs?|macbooks?|systems?|computers?|servers?|boards?|"
    rf"chips?|processors?|cpus?|laptops?|nodes?|runners?|instances?)\b"
    rf"|^\W*{_A}\W*\s*[:\u2014]",
    re.IGNORECASE,
)
_ARCH_IMAGE = re.compile(
    rf"(?<![\w-])-(?:{_ALT})(?![\w-])"
    rf"|{_A}[\s-]+(?:images?|tags?|variants?|builds?|versions?|containers?|flavou?rs?)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?:[^.!?]|[.!?](?!\s|$))+(?:[.!?]+|$)")
_MESSAGE = (
    "prose tells the reader to choose an image by architecture; with one multi-platform tag there is "
    "nothing to choose: reword it by hand (e.g. 'runs on amd64 and arm64')"
)


def _choose_arch(sentence: str) -> bool:
    plain = sentence.replace("*", "").replace("`", " ")
    if not _CONDITION.search(plain):
        return False
    if _STRONG_CHOICE.search(plain):
        return True
    return bool(_CHOICE.search(plain)) and (_ARCH_IMAGE.search(plain) is not None or _names_arch_image(plain))


def _names_arch_image(text: str) -> bool:
    for match in WORD_RE.finditer(text):
        word = match.group(0).rstrip(".,:;!?")
        if is_image(word) and archnames.detect(word) is not None:
            return True
    return False


def _prose(text: str, index: LineIndex, token) -> list[Problem]:
    """OT105 for each sentence of a paragraph (in lists and quotes too) that picks an architecture."""
    content = token.content
    if not archnames.mentions_arch(content) and not _ARCH_IMAGE.search(content):
        return []
    offsets = _content_offsets(text, index, token.map[0], content)
    if offsets is None:
        return []
    problems = []
    for match in _SENTENCES.finditer(content):
        sentence = match.group(0)
        body = sentence.strip()
        if not body or not _choose_arch(body):
            continue
        lead = len(sentence) - len(sentence.lstrip())
        start = match.start() + lead
        end = start + len(body)
        problems.append(Problem("OT105", Span(offsets(start), offsets(end - 1) + 1), _MESSAGE))
    return problems


def _content_offsets(text: str, index: LineIndex, first: int, content: str):
    """A function from an offset in a paragraph's content to the source offset, or None."""
    lines = content.split("\n")
    bases = []
    cstart = 0
    for n, line in enumerate(lines, start=first + 1):
        if n > index.line_count:
            return None
        src = text[index.line_start(n) : index.line_end(n)]
        at = src.rfind(line) if line else len(src.rstrip())
        if at < 0 or src[at + len(line) :].strip():
            return None
        bases.append((cstart, index.line_start(n) + at))
        cstart += len(line) + 1
    starts = [c for c, _ in bases]

    def offset(pos: int) -> int:
        i = max(bisect.bisect_right(starts, pos) - 1, 0)
        return bases[i][1] + pos - bases[i][0]

    return offset


def _table(text: str, index: LineIndex, tokens, i: int) -> list[Problem]:
    """OT105 for the rows of a table that lists one image per architecture."""
    header: list[str] = []
    rows: list[tuple[list[int], list[str]]] = []
    in_head = False
    row: list[str] = []
    row_map: list[int] = []
    for token in tokens[i + 1 :]:
        if token.type == "table_close":
            break
        if token.type in ("thead_open", "thead_close"):
            in_head = token.type == "thead_open"
        elif token.type == "tr_open":
            row, row_map = [], token.map or []
        elif token.type == "inline":
            row.append(token.content)
        elif token.type == "tr_close":
            if in_head:
                header = row
            elif row_map:
                rows.append((row_map, row))
    image_column = any(re.search(r"\b(?:image|tag|reference|pull)s?\b", h, re.IGNORECASE) for h in header)
    picked = []
    for row_map, cells in rows:
        arch = next((_cell_arch(c) for c in cells if _cell_arch(c)), None)
        has_image = any(is_image(w.rstrip(".,")) for c in cells for w in WORD_RE.findall(c.replace("`", " ")))
        if arch and (has_image or image_column):
            picked.append((row_map, arch))
    if len({arch for _, arch in picked}) < 2:
        return []
    problems = []
    for row_map, arch in picked:
        line = row_map[0] + 1
        start, end = index.line_start(line), index.line_end(line)
        body = text[start:end]
        lead = len(body) - len(body.lstrip())
        span = Span(start + lead, start + len(body.rstrip()))
        problems.append(Problem("OT105", span, f"table row offers a separate image for {arch}: with one multi-platform tag there is nothing to "
                                "choose; merge the rows by hand"))
    return problems


def _cell_arch(cell: str) -> str | None:
    """The architecture a table cell names on its own ('arm64', 'Apple Silicon (arm64)'), or None."""
    plain = cell.replace("`", "").replace("*", "").strip()
    match = archnames.ARCH_WORDS.search(plain)
    if match is None or len(plain) > 40:
        return None
    word = match.group(0).lower()
    return archnames.arch_of(word) or word
