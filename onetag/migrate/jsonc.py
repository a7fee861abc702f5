"""JSON and JSONC handler (comments, trailing commas: tsconfig, devcontainer.json, wrangler.jsonc).

A strict recursive-descent reader that keeps the exact span of every string. Not
tree-sitter-json: it reports a trailing comma as an ERROR node (measured with
tree-sitter-json 0.24), and being error-tolerant it would need a second validator anyway.
Strings whose value is an image reference, or a docker command line, are reference sites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from onetag.edits import Span
from onetag.finding import Context, RefSite, Scan

NAME = "jsonc"

_WS = " \t\n\r"
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")  # json.loads takes the last three too
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_MAX_DEPTH = 400
_IMAGE_KEY = re.compile(r"image|container|^from$|tags?$", re.IGNORECASE)


class JsonError(ValueError):
    """Not JSON(C): the message says what and where."""


@dataclass(frozen=True)
class JString:
    span: Span  # quotes included
    value: str
    offsets: tuple[int, ...] = ()  # value index -> text offset (len(value)+1 entries); empty: no escapes

    def text_span(self, start: int, end: int) -> Span | None:
        """Where ``value[start:end]`` is written, or None when escapes inside make it differ."""
        if not self.offsets:
            return Span(self.span.start + 1 + start, self.span.start + 1 + end)
        a, b = self.offsets[start], self.offsets[end]
        return Span(a, b) if b - a == end - start else None


@dataclass
class Node:
    kind: str  # object, array, string, number, literal
    span: Span
    string: JString | None = None
    members: list[tuple[JString, Node]] = field(default_factory=list)  # objects
    items: list[Node] = field(default_factory=list)  # arrays
    commas: list[int] = field(default_factory=list)  # offset of the comma after each member/item, or -1


def parse(text: str) -> Node:
    """Parse JSON with comments and trailing commas; raise JsonError with a one-line reason."""
    reader = _Reader(text)
    reader.skip()
    node = reader.value(0)
    reader.skip()
    if reader.i != len(text):
        raise JsonError(reader.where("unexpected text after the document"))
    return node


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def where(self, what: str) -> str:
        line = self.text.count("\n", 0, self.i) + 1
        col = self.i - (self.text.rfind("\n", 0, self.i) + 1) + 1
        return f"{what} at line {line} column {col}"

    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c in _WS:
                self.i += 1
            elif text.startswith("//", self.i):
                stop = text.find("\n", self.i)
                self.i = n if stop < 0 else stop
            elif text.startswith("/*", self.i):
                stop = text.find("*/", self.i + 2)
                if stop < 0:
                    raise JsonError(self.where("unterminated comment"))
                self.i = stop + 2
            else:
                return

    def value(self, depth: int) -> Node:
        if depth > _MAX_DEPTH:
            raise JsonError(self.where("nested too deeply"))
        if self.i >= len(self.text):
            raise JsonError(self.where("unexpected end of text"))
        c = self.text[self.i]
        if c == "{":
            return self.container(depth, "object", "}")
        if c == "[":
            return self.container(depth, "array", "]")
        if c == '"':
            string = self.string()
            return Node("string", string.span, string)
        for literal in _LITERALS:
            if self.text.startswith(literal, self.i):
                start = self.i
                self.i += len(literal)
                return Node("literal", Span(start, self.i))
        match = _NUMBER.match(self.text, self.i)
        if match:
            self.i = match.end()
            return Node("number", Span(match.start(), match.end()))
        raise JsonError(self.where(f"unexpected {c!r}"))

    def container(self, depth: int, kind: str, close: str) -> Node:
        node = Node(kind, Span(self.i, self.i))
        self.i += 1
        self.skip()
        while not self.text.startswith(close, self.i):
            if kind == "object":
                if not self.text.startswith('"', self.i):
                    raise JsonError(self.where("expected a string key"))
                key = self.string()
                self.skip()
                if not self.text.startswith(":", self.i):
                    raise JsonError(self.where("expected ':'"))
                self.i += 1
                self.skip()
                node.members.append((key, self.value(depth + 1)))
            else:
                node.items.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.i):
                node.commas.append(self.i)
                self.i += 1
                self.skip()
            elif self.text.startswith(close, self.i):
                node.commas.append(-1)
            else:
                raise JsonError(self.where(f"expected ',' or '{close}'"))
        self.i += 1
        node.span = Span(node.span.start, self.i)
        return node

    def string(self) -> JString:
        text, n = self.text, len(self.text)
        start = self.i
        i = start + 1
        value: list[str] = []
        offsets: list[int] = []
        escaped = False
        while True:
            if i >= n:
                raise JsonError(self.where("unterminated string"))
            c = text[i]
            if c == '"':
                break
            if c < " ":
                self.i = i
                raise JsonError(self.where("control character in a string"))
            if c != "\\":
                value.append(c)
                offsets.append(i)
                i += 1
                continue
            escaped = True
            esc = text[i + 1:i + 2]
            if esc in _ESCAPES:
                value.append(_ESCAPES[esc])
                offsets.append(i)
                i += 2
            elif esc == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                value.append(chr(int(text[i + 2:i + 6], 16)))
                offsets.append(i)
                i += 6
            else:
                self.i = i
                raise JsonError(self.where("invalid escape"))
        offsets.append(i)
        self.i = i + 1
        return JString(Span(start, i + 1), "".join(value), tuple(offsets) if escaped else ())


def strings(node: Node, path: tuple[str, ...] = ()):
    """Every string value (never a key) with its key path; array items add no path part."""
    if node.kind == "string" and node.string is not None:
        yield path, node.string
    for key, child in node.members:
        yield from strings(child, path + (key.value,))
    for child in node.items:
        yield from strings(child, path)


def string_refs(path: tuple[str, ...], string: JString) -> list[RefSite]:
    """Reference sites in one JSON string value: a whole image reference, or docker commands."""
    from onetag.migrate import shell

    value = string.value
    key = path[-1] if path else ""
    if _is_image(value, key):
        span = string.text_span(0, len(value))
        return [RefSite(span or string.span, value, f'"{key}"' if key else "JSON string", evidence_only=span is None)]
    if not shell.mentions_tool(value):
        return []
    out = []
    for command in shell.docker_commands(value):
        for site in shell.command_refs(command):
            span = string.text_span(site.span.start, site.span.end) if not site.evidence_only else None
            out.append(RefSite(span or string.span, site.text, site.where, site.commented, evidence_only=span is None))
    return out


def _is_image(value: str, key: str) -> bool:
    """A whole string that names an image: it parses as a reference and has a tag, a digest, a
    registry, or an image-like key. Bare words ("aarch64-unknown-linux-gnu", "my-app") do not count."""
    from onetag import archnames

    if not value or len(value) > 512 or value.strip() != value:
        return False
    ref, _ = archnames.parse_template(value)
    if ref is None:
        return False
    return bool(ref.tag or ref.digest or ref.domain or _IMAGE_KEY.search(key))


def scan(text: str, ctx: Context) -> Scan:
    """Image references in the string values of a JSON or JSONC document."""
    try:
        doc = parse(text)
    except JsonError as err:
        return Scan(error=str(err))
    refs = [site for path, string in strings(doc) for site in string_refs(path, string)]
    return Scan(tuple(refs))
