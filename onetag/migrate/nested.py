"""Nested text: a text made of pieces of a source file, handed to another format's handler
with every span mapped back (Markdown fences and inline code, YAML ``run:`` blocks, Python
strings). Also the plain reference search used where no handler fits.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from functools import cached_property

from onetag import archnames
from onetag.edits import Edit, Span
from onetag.finding import Context, Problem, RefSite, Scan

_EOL = re.compile(r"\r\n|\r|\n")
_COMMAND = re.compile(r"(?:^|[\s;&|(`$])(?:sudo\s+)?(?:docker|podman|buildah|nerdctl)\s+[a-z]", re.IGNORECASE)
WORD_RE = re.compile(r"[^\s\"'`()<>,;|&=]+")



@dataclass(frozen=True)
class Region:
    """A text made of source pieces: ``pieces[i] = (content_start, source_start, length)``.

    Content between pieces (separators) maps to nothing; an offset on a piece boundary maps to
    the start of the later piece, so deleting whole content lines also deletes the next line's
    prefix (indentation, ``> ``) and leaves the layout intact.
    """

    source: str
    text: str
    pieces: tuple[tuple[int, int, int], ...]
    strict: bool = False  # edits must stay inside one piece (argv lists: pieces are list elements)

    @classmethod
    def span(cls, source: str, start: int, end: int) -> Region:
        return cls(source, source[start:end], ((0, start, end - start),))

    @classmethod
    def join(cls, source: str, spans: list[tuple[int, int]], sep: str = "", strict: bool = False) -> Region:
        """Source spans joined by ``sep`` (a separator is not part of any piece)."""
        parts, pieces, cursor = [], [], 0
        for i, (start, end) in enumerate(spans):
            if i and sep:
                parts.append(sep)
                cursor += len(sep)
            parts.append(source[start:end])
            pieces.append((cursor, start, end - start))
            cursor += end - start
        return cls(source, "".join(parts), tuple(pieces), strict)

    @cached_property
    def _starts(self) -> list[int]:
        return [p[0] for p in self.pieces]

    def to_source(self, offset: int) -> int:
        i = max(bisect.bisect_right(self._starts, offset) - 1, 0)
        cstart, sstart, length = self.pieces[i]
        if offset - cstart > length:  # inside a separator: the next piece starts there
            return self.pieces[i + 1][1] if i + 1 < len(self.pieces) else sstart + length
        return sstart + offset - cstart

    def _piece_of(self, span: Span) -> int | None:
        """Index of the piece holding all of ``span`` (content offsets), or None."""
        for i, (cstart, _, length) in enumerate(self.pieces):
            if cstart <= span.start and span.end <= cstart + length:
                return i
        return None

    def _map_span(self, span: Span) -> Span:
        start = self.to_source(span.start)
        return Span(start, max(start, self.to_source(span.end)))

    def _map_edit(self, edit: Edit) -> Edit | None:
        piece = self._piece_of(edit.span)
        if self.strict and (piece is None or "\n" in edit.replacement or "\r" in edit.replacement):
            return None
        replacement = edit.replacement
        if _EOL.search(replacement) and len(self.pieces) > 1:
            gap = self._gap(piece if piece is not None else 0)
            replacement = _EOL.sub(lambda m: m.group(0) + gap, replacement)
        return Edit(self._map_span(edit.span), replacement)

    def _gap(self, i: int) -> str:
        """Source text between piece ``i``'s line and the next (the prefix of a content line)."""
        j = i if i + 1 < len(self.pieces) else i - 1
        _, s1, l1 = self.pieces[j]
        return self.source[s1 + l1 : self.pieces[j + 1][1]]

    def map_scan(self, scan: Scan) -> Scan:
        refs = []
        for site in scan.refs:
            span = self._map_span(site.span)
            exact = self.source[span.start : span.end] == site.text
            refs.append(replace(site, span=span, evidence_only=site.evidence_only or not exact))
        problems = []
        for problem in scan.problems:
            edits = tuple(self._map_edit(e) for e in problem.edits)
            if any(e is None for e in edits):
                edits, covers = (), ()  # report only: the fix cannot be expressed in this source
            else:
                covers = tuple(self._map_span(s) for s in problem.covers)
            problems.append(Problem(problem.code, self._map_span(problem.span), problem.message, edits, covers))
        return Scan(tuple(refs), tuple(problems))


def hand_off(fmt: str | None, region: Region, ctx: Context) -> Scan | None:
    """``region`` scanned by the handler for ``fmt`` with spans in the source; None when there is
    no such handler or it cannot parse the text (callers fall back to a plain reference search)."""
    from onetag.migrate import available, handler

    if fmt is None or not available(fmt):
        return None
    try:
        scan = handler(fmt).scan(region.text, ctx)
    except RecursionError:
        return None
    if scan.error:
        return None
    return region.map_scan(scan)


def is_image(text: str) -> bool:
    """A whole image reference that names a path or tag (``acme/app``, ``node:20``), not a bare word."""
    if "/" not in text and ":" not in text and "@" not in text:
        return False
    return archnames.is_template_reference(text)


def loose_refs(region: Region, where: str) -> Scan:
    """Whole image references among the words of ``region`` (code with no handler)."""
    refs = []
    for match in WORD_RE.finditer(region.text):
        word = match.group(0).rstrip(".,:;!?")
        if not word or word.startswith("-") or not is_image(word):
            continue
        refs.append(RefSite(Span(match.start(), match.start() + len(word)), word, where))
    return region.map_scan(Scan(tuple(refs)))


def has_command(text: str) -> bool:
    return _COMMAND.search(text) is not None


def command_or_refs(region: Region, ctx: Context, where: str) -> Scan:
    """A docker/podman command line through the shell handler, else its whole references."""
    return hand_off("shell", region, ctx) or loose_refs(region, where)
