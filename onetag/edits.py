"""Spans, edits and the one function that splices text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Span:
    """Half-open character offsets [start, end) into decoded text."""

    start: int
    end: int

    def shift(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset)

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class Edit:
    """Replace the text at ``span`` with ``replacement``."""

    span: Span
    replacement: str

    def shift(self, offset: int) -> Edit:
        return Edit(self.span.shift(offset), self.replacement)


class OverlappingEdits(ValueError):
    """Two edits touch the same text: a bug in whoever proposed them."""


def apply_edits(text: str, edits: list[Edit] | tuple[Edit, ...]) -> str:
    """Splice ``edits`` into ``text``; identical duplicates collapse, overlaps raise."""
    ordered = sorted(set(edits), key=lambda e: (e.span.start, e.span.end))
    for before, after in zip(ordered, ordered[1:]):
        if after.span.start < before.span.end or (
            after.span.start == before.span.start == before.span.end == after.span.end
        ):
            raise OverlappingEdits(f"edits overlap at offsets {before.span} and {after.span}")
    parts: list[str] = []
    cursor = 0
    for edit in ordered:
        if not 0 <= edit.span.start <= edit.span.end <= len(text):
            raise OverlappingEdits(f"edit {edit.span} is outside the text (length {len(text)})")
        parts.append(text[cursor : edit.span.start])
        parts.append(edit.replacement)
        cursor = edit.span.end
    parts.append(text[cursor:])
    return "".join(parts)


class LineIndex:
    """Maps character offsets to 1-based (line, column) and back, for any newline style."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        i = 0
        n = len(text)
        while i < n:
            c = text[i]
            if c == "\n":
                starts.append(i + 1)
            elif c == "\r":
                if i + 1 < n and text[i + 1] == "\n":
                    i += 1
                starts.append(i + 1)
            i += 1
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def line_start(self, line: int) -> int:
        """Offset of the first character of 1-based ``line``."""
        return self.starts[line - 1]

    def line_end(self, line: int, *, keep_newline: bool = False) -> int:
        """Offset just past 1-based ``line`` (before its newline unless keep_newline)."""
        if line < len(self.starts):
            end = self.starts[line]
            if keep_newline:
                return end
            if self.text[end - 2 : end] == "\r\n":
                return end - 2
            return end - 1
        return len(self.text)

    @property
    def line_count(self) -> int:
        return len(self.starts)
