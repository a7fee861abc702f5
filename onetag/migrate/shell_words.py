"""The shell word model: split shell text into simple commands with exact offsets.

``simple_commands(text)`` splits on ``&&``, ``||``, ``;``, ``|``, ``&`` and newlines, and
understands line continuations, comments, quotes, ``$(...)`` and heredocs. A tokenizer, not
tree-sitter-bash: the words, quotes and offsets are all we need, and this also reads Makefile
recipes (``$(VAR)``, ``$$``) and prompt lines that are not valid bash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from onetag.edits import Span

_OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&", "(", ")")
_BREAK = set(" \t\r\n;&|()<>")
_RESERVED = {"if", "then", "do", "else", "elif", "while", "until", "!", "{", "}", "fi", "done", "esac", "time"}
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
TOOL_VARIABLE = re.compile(
    r"\$[({]?[A-Za-z_]*(?:DOCKER|PODMAN|NERDCTL|BUILDAH|ENGINE|CONTAINER_(?:TOOL|CLI|RUNTIME)|OCI_BIN)"
    r"[A-Za-z0-9_]*(?::?-[\w./-]*)?[)}]?",
    re.IGNORECASE,
)
_HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_.-]*)\2")


@dataclass(frozen=True)
class Word:
    """One shell word: ``span`` as written (quotes included), ``value`` with quotes removed."""

    span: Span
    raw: str
    value: str  # quotes and backslashes removed; $VARS, $(...) and `...` kept as written
    inner: Span  # where ``value`` stands in the text, when ``exact``
    exact: bool  # the text at ``inner`` is exactly ``value`` (one plain or one quoted piece)


@dataclass(frozen=True)
class Simple:
    """A simple command: its words and the operator that came before it ('' at the start)."""

    words: tuple[Word, ...]
    before: str
    comment: bool = False  # read from a comment (a commented-out command)

    @property
    def span(self) -> Span:
        return Span(self.words[0].span.start, self.words[-1].span.end)



# ---------------------------------------------------------------- tokenizer


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Word | tuple[str, Span]]:
    """Words and operators of ``text[start:end]``; comments come as ('#', span). Never raises."""
    end = len(text) if end is None else end
    out: list[Word | tuple[str, Span]] = []
    heredocs: list[tuple[str, bool]] = []
    i = start
    while i < end:
        c = text[i]
        if c in " \t":
            i += 1
        elif c == "\\" and text.startswith(("\n", "\r\n"), i + 1):
            i += 2 if text[i + 1] == "\n" else 3
        elif c in "\r\n":
            out.append(("\n", Span(i, i + 1)))
            i += 1
            if heredocs:
                i = _skip_heredocs(text, i, end, heredocs)
                heredocs = []
        elif c == "#":
            stop = _line_end(text, i, end)
            out.append(("#", Span(i, stop)))
            i = stop
        elif c in "<>" or (c == "&" and text.startswith(">", i + 1)):
            match = _HEREDOC.match(text, i, end)
            if match and not text.startswith("<<<", i):
                heredocs.append((match.group(3), match.group(1) == "-"))
                out.append(("<", Span(i, match.end())))
                i = match.end()
                continue
            j = i + 1
            while j < end and text[j] in "<>&|-" and j - i < 3:
                j += 1
            if text[j - 1] == "&" and j < end and text[j].isdigit():
                j += 1  # 2>&1: the target is part of the operator
            out.append(("<", Span(i, j)))
            i = j
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is not None:
                out.append((op, Span(i, i + len(op))))
                i += len(op)
                continue
            word, i = read_word(text, i, end)
            if word.raw.isdigit() and i < end and text[i] in "<>":
                continue  # a file descriptor number in front of a redirection
            out.append(word)
    return out


def _line_end(text: str, i: int, end: int) -> int:
    while i < end and text[i] not in "\r\n":
        i += 1
    return i


def _skip_heredocs(text: str, i: int, end: int, heredocs: list[tuple[str, bool]]) -> int:
    for delimiter, strip_tabs in heredocs:
        while i < end:
            stop = _line_end(text, i, end)
            line = text[i:stop]
            i = stop + (2 if text.startswith("\r\n", stop) else 1)
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                break
    return min(i, end)


def read_word(text: str, i: int, end: int) -> tuple[Word, int]:
    start = i
    value: list[str] = []
    pieces = 0  # quoted pieces; plain text counts as a piece when mixed
    plain = False
    escaped = False
    while i < end and text[i] not in _BREAK:
        c = text[i]
        if c == "\\":
            escaped = True
            if i + 1 < end and text[i + 1] not in "\r\n":
                value.append(text[i + 1])
            i += 2
        elif c == "'":
            stop = text.find("'", i + 1, end)
            stop = end if stop < 0 else stop
            value.append(text[i + 1:stop])
            pieces += 1
            i = stop + 1
        elif c == '"':
            i, inner, had_escape = _double_quoted(text, i + 1, end)
            value.append(inner)
            pieces += 1
            escaped = escaped or had_escape
        elif c == "`":
            stop = text.find("`", i + 1, end)
            stop = end if stop < 0 else stop + 1
            value.append(text[i:stop])
            plain = True
            i = stop
        elif c == "$" and i + 1 < end and text[i + 1] in "({":
            stop = _balanced(text, i + 1, end)
            value.append(text[i:stop])
            plain = True
            i = stop
        elif c == "$" and text.startswith("$", i + 1):
            value.append("$$")  # make's escaped dollar, or the shell's PID
            plain = True
            i += 2
        else:
            value.append(c)
            plain = True
            i += 1
    i = min(i, end)
    raw = text[start:i]
    joined = "".join(value)
    if not escaped and pieces == 0:
        inner, exact = Span(start, i), True
    elif not escaped and pieces == 1 and not plain and len(raw) >= 2 and raw[0] == raw[-1]:
        inner, exact = Span(start + 1, i - 1), text[start + 1:i - 1] == joined
    else:
        inner, exact = Span(start, i), False
    return Word(Span(start, i), raw, joined, inner, exact), i


def _double_quoted(text: str, i: int, end: int) -> tuple[int, str, bool]:
    """Scan a double-quoted piece from just after its opening quote: (next index, value, had escapes)."""
    value: list[str] = []
    escaped = False
    while i < end and text[i] != '"':
        c = text[i]
        if c == "\\" and i + 1 < end and text[i + 1] in '$`"\\\n':
            escaped = True
            if text[i + 1] != "\n":
                value.append(text[i + 1])
            i += 2
        elif c == "$" and i + 1 < end and text[i + 1] in "({":
            stop = _balanced(text, i + 1, end)
            value.append(text[i:stop])
            i = stop
        else:
            value.append(c)
            i += 1
    return min(i + 1, end), "".join(value), escaped


def _balanced(text: str, i: int, end: int) -> int:
    """Index just past the bracket group opening at ``i`` (quotes inside respected)."""
    pairs = {"(": ")", "{": "}"}
    stack = [pairs[text[i]]]
    i += 1
    while i < end and stack:
        c = text[i]
        if c in "'\"":
            stop = text.find(c, i + 1, end)
            i = end if stop < 0 else stop + 1
            continue
        if c == "\\":
            i += 2
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif c == stack[-1]:
            stack.pop()
        i += 1
    return min(i, end)


# ---------------------------------------------------------------- simple commands


def simple_commands(text: str, start: int = 0, end: int | None = None, *, comments: bool = True) -> list[Simple]:
    """The simple commands of ``text[start:end]``, in order, with commented-out ones (``# docker ...``)
    marked ``comment`` when ``comments``. Command substitutions ``$(...)`` are read too."""
    out: list[Simple] = []
    words: list[Word] = []
    before = ""
    skip_next = False
    tokens = tokenize(text, start, end)
    for token in tokens:
        if isinstance(token, Word):
            if skip_next:
                skip_next = False
                continue
            if not words and token.raw in _RESERVED:
                continue
            words.append(token)
            out.extend(_substitutions(text, token))
            continue
        kind, span = token
        if kind == "<":
            skip_next = not text[span.start:span.end].startswith("<<") or text.startswith("<<<", span.start)
            continue
        if kind == "#":
            if comments:
                out.extend(_commented(text, span))
            continue
        if words:
            out.append(Simple(tuple(words), before))
            words = []
        before = kind if kind != "(" else before
    if words:
        out.append(Simple(tuple(words), before))
    return out


def _substitutions(text: str, word: Word) -> list[Simple]:
    """Commands inside ``$(...)`` in a word (``ID=$(docker create acme/app:1)``)."""
    out: list[Simple] = []
    i = word.span.start
    while True:
        i = text.find("$(", i, word.span.end)
        if i < 0 or text.startswith("$((", i):
            return out
        stop = _balanced(text, i + 1, word.span.end)
        if stop - i > 3:
            out.extend(simple_commands(text, i + 2, stop - 1))
        i = stop


_COMMENTED = re.compile(r"#+[ \t]*(?:\$[ \t]+)?(?=(?:sudo[ \t]+)?(?:docker|podman|buildah|nerdctl)[ \t])")


def _commented(text: str, span: Span) -> list[Simple]:
    match = _COMMENTED.match(text, span.start, span.end)
    if not match:
        return []
    return [Simple(s.words, s.before, True) for s in simple_commands(text, match.end(), span.end, comments=False)]
