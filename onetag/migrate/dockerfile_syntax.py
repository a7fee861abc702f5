"""A small Dockerfile lexer that keeps exact offsets.

It follows BuildKit's parser: parser directives (``# escape=``), line continuations (with
comment and blank lines inside them), and heredocs on RUN/COPY/ADD, whose bodies are not
instructions. Only locating happens here; nothing is ever re-serialised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)?")
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_KEYWORDS = {"RUN", "COPY", "ADD"}


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    start: int  # offset of the first character
    end: int  # offset just before the newline
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def comment(self) -> bool:
        return self.text.lstrip().startswith("#")


@dataclass(frozen=True)
class Token:
    value: str
    start: int  # original offsets; valid as one span only when ``contiguous``
    end: int
    contiguous: bool


@dataclass
class Instruction:
    keyword: str  # upper case
    line: int  # 1-based line of the keyword
    last_line: int  # last line, heredoc bodies included
    start: int
    end: int
    logical: str = ""  # the instruction with continuations joined
    offsets: list[int] = field(default_factory=list)  # logical index -> original offset

    def tokens(self) -> list[Token]:
        """Whitespace-separated tokens after the keyword, with original offsets."""
        out: list[Token] = []
        for match in re.finditer(r"\S+", self.logical):
            if match.start() == 0:
                continue  # the keyword itself
            out.append(self.token(match.start(), match.end()))
        return out

    def token(self, lstart: int, lend: int) -> Token:
        start = self.offsets[lstart]
        end = self.offsets[lend - 1] + 1
        return Token(self.logical[lstart:lend], start, end, end - start == lend - lstart)


@dataclass
class Dockerfile:
    text: str
    lines: list[Line]
    escape: str
    instructions: list[Instruction]
    comments: list[Line]  # comment lines outside continuations and heredocs


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    for number, match in enumerate(_LINE.finditer(text), start=1):
        raw = match.group(0)
        if not raw:
            break
        body = raw.rstrip("\r\n")
        lines.append(Line(number, match.start(), match.start() + len(body), body))
    return lines


def parse(text: str) -> Dockerfile:
    """Lex ``text`` into instructions and comment lines, each with exact offsets."""
    lines = split_lines(text)
    escape, first = _directives(lines)
    instructions: list[Instruction] = []
    comments: list[Line] = [lines[i] for i in range(first)]
    i = first
    while i < len(lines):
        line = lines[i]
        if line.blank:
            i += 1
            continue
        if line.comment:
            comments.append(line)
            i += 1
            continue
        instruction, i = _instruction(lines, i, escape)
        instructions.append(instruction)
    return Dockerfile(text, lines, escape, instructions, comments)


def _directives(lines: list[Line]) -> tuple[str, int]:
    """The escape character and the index of the first line after the parser directives."""
    escape = "\\"
    for i, line in enumerate(lines):
        match = _DIRECTIVE.match(line.text.strip())
        if not match:
            return escape, i
        if match.group(1).lower() == "escape" and match.group(2) in ("`", "\\"):
            escape = match.group(2)
    return escape, len(lines)


def _instruction(lines: list[Line], i: int, escape: str) -> tuple[Instruction, int]:
    first = lines[i]
    logical: list[str] = []
    offsets: list[int] = []
    last = first
    while True:
        line = lines[i]
        content = line.text
        stripped = content.rstrip(" \t")
        continued = stripped.endswith(escape)
        body = stripped[:-1] if continued else content
        logical.append(body)
        offsets.extend(range(line.start, line.start + len(body)))
        last = line
        i += 1
        if not continued:
            break
        # Inside a continuation, comment and blank lines are skipped (BuildKit does the same).
        while i < len(lines) and (lines[i].comment or lines[i].blank):
            i += 1
        if i >= len(lines):
            break
        logical.append(" ")
        offsets.append(lines[i].start - 1 if lines[i].start else 0)
    text = "".join(logical)
    keyword = text.split(None, 1)[0].upper() if text.strip() else ""
    lead = len(text) - len(text.lstrip())
    text, offsets = text[lead:], offsets[lead:]
    if keyword in _HEREDOC_KEYWORDS:
        for match in _HEREDOC.finditer(text):
            strip_tabs, word = match.group(1) == "-", match.group(3)
            while i < len(lines):
                body = lines[i].text.lstrip("\t") if strip_tabs else lines[i].text
                last = lines[i]
                i += 1
                if body == word:
                    break
    instruction = Instruction(keyword, first.number, last.number, first.start, last.end, text, offsets)
    return instruction, i
