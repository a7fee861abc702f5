"""The data that flows from handlers to the engine and from the engine to reports."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from onetag.edits import Edit, Span


@dataclass(frozen=True)
class RefSite:
    """One image reference as written in a file, located exactly."""

    span: Span  # the reference text in the file
    text: str  # as written; may contain $VARS
    where: str  # what holds it: "FROM", "COPY --from", "image:", "docker run", ...
    commented: bool = False  # inside a comment: evidence for siblings, rewritten like the rest
    evidence_only: bool = False  # counts as evidence, never reported (e.g. a line another fix removes)

    def shift(self, offset: int) -> RefSite:
        return replace(self, span=self.span.shift(offset))


@dataclass(frozen=True)
class Problem:
    """A format-specific finding from a handler, before positions are computed."""

    code: str
    span: Span
    message: str
    edits: tuple[Edit, ...] = ()
    covers: tuple[Span, ...] = ()  # text this fix replaces wholesale: references inside it are not reported

    def shift(self, offset: int) -> Problem:
        return Problem(
            self.code,
            self.span.shift(offset),
            self.message,
            tuple(e.shift(offset) for e in self.edits),
            tuple(s.shift(offset) for s in self.covers),
        )


@dataclass(frozen=True)
class Scan:
    """What a handler found in one text."""

    refs: tuple[RefSite, ...] = ()
    problems: tuple[Problem, ...] = ()
    error: str | None = None  # the text could not be parsed: report it, change nothing

    def shifted(self, offset: int) -> Scan:
        return Scan(
            tuple(r.shift(offset) for r in self.refs),
            tuple(p.shift(offset) for p in self.problems),
            self.error,
        )

    def merged(self, other: Scan) -> Scan:
        return Scan(self.refs + other.refs, self.problems + other.problems, self.error or other.error)


@dataclass(frozen=True)
class Finding:
    """One reportable finding with its exact position and, when fixable, its edits."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    code: str
    message: str
    severity: str = "error"
    edits: tuple[Edit, ...] = field(default=(), compare=False)
    fixable: bool = False  # migrate applies it
    suggestion: str | None = None  # the proposed replacement when not applied automatically

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)


@dataclass(frozen=True)
class Context:
    """What a handler may know besides the text."""

    path: Path
    platforms: tuple[str, ...] = ("linux/amd64", "linux/arm64")
