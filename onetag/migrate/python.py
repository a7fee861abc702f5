"""Python handler: string literals that hold an image reference or a container command line,
and argv lists (``["docker", "run", "acme/app-arm:1"]``).

libcst keeps the source exact; positions come from ``PositionProvider`` (line and column in
characters), turned into offsets with the file's own line index, and each located literal is
checked against the source before it is reported. Spans point inside the quotes, so the quote
style and prefixes stay. Strings with escape sequences and bytes are skipped; f-strings give
only their literal parts.
"""

from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from onetag import archnames
from onetag.edits import LineIndex, Span
from onetag.finding import Context, RefSite, Scan
from onetag.migrate.nested import Region, command_or_refs, has_command, hand_off, is_image

NAME = "python"

_CLIS = {"docker", "podman", "buildah", "nerdctl"}
_IMAGE_NAME = re.compile(r"image|img", re.IGNORECASE)
_NAME_BEFORE_EXPR = re.compile(r"(?:^|(?<=[\s=]))([^\s=:'\"]+):$")


def scan(text: str, ctx: Context) -> Scan:
    """Image references in the string literals of a Python module."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        return Scan(error=f"line {err.raw_line}, column {err.raw_column + 1}: {err.message}")
    except Exception as err:  # noqa: BLE001 - libcst's native parser raises a few other kinds
        return Scan(error=str(err).splitlines()[0] if str(err) else type(err).__name__)
    if module.code != text:
        return Scan(error="libcst does not reproduce this file exactly")
    visitor = _Visitor(text, ctx)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(visitor)
    return Scan(tuple(visitor.refs.values()), tuple(visitor.problems))


class _Visitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, text: str, ctx: Context) -> None:
        super().__init__()
        self.text = text
        self.ctx = ctx
        self.index = LineIndex(text)
        self.refs: dict[Span, RefSite] = {}
        self.problems: list = []
        self.image_context: set[int] = set()  # ids of values assigned to names that say "image"

    # -- where a bare name (no tag) still counts: image=..., {"image": ...}, IMAGE = ... ------------

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and _IMAGE_NAME.search(node.keyword.value):
            self.image_context.add(id(node.value))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if isinstance(node.key, cst.SimpleString) and _IMAGE_NAME.search(node.key.value):
            self.image_context.add(id(node.value))

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(_IMAGE_NAME.search(_target_name(t.target)) for t in node.targets):
            self.image_context.add(id(node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and _IMAGE_NAME.search(_target_name(node.target)):
            self.image_context.add(id(node.value))

    # -- literals -----------------------------------------------------------------------------------

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        body = self._body(node)
        if body is None:
            return
        start, value = body
        if is_image(value) and (id(node) in self.image_context or _looks_tagged(value)):
            self._add(start, value, "python string")
        elif has_command(value):
            self._merge(command_or_refs(Region.span(self.text, start, start + len(value)), self.ctx, "python string"))

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if "b" in node.prefix.lower():
            return
        raw = "r" in node.prefix.lower()
        parts = list(node.parts)
        for i, part in enumerate(parts):
            if not isinstance(part, cst.FormattedStringText):
                continue
            value = part.value
            if (not raw and "\\" in value) or "{{" in value or "}}" in value:
                continue
            start = self._offset(part, value)
            if start is None:
                continue
            followed = i + 1 < len(parts) and isinstance(parts[i + 1], cst.FormattedStringExpression)
            if is_image(value) and _looks_tagged(value) and not followed and i == 0:
                self._add(start, value, "f-string")
            elif has_command(value):
                self._merge(command_or_refs(Region.span(self.text, start, start + len(value)), self.ctx, "f-string"))
            if followed:
                self._name_before_expression(start, value)

    def _name_before_expression(self, start: int, value: str) -> None:
        """``f"acme/app-arm:{tag}"``: the repository name is literal, the tag is not."""
        match = _NAME_BEFORE_EXPR.search(value)
        if match is None:
            return
        name = match.group(1)
        if is_image(name) or archnames.detect(name) is not None:
            self._add(start + match.start(1), name, "f-string")

    def visit_List(self, node: cst.List) -> None:
        self._argv(node.elements)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._argv(node.elements)

    def _argv(self, elements) -> None:
        """``["docker", "run", "acme/app-arm:1"]``: the elements read as one command line."""
        bodies = []
        for element in elements:
            if not isinstance(element.value, cst.SimpleString):
                return
            body = self._body(element.value)
            if body is None:
                return
            bodies.append(body)
        words = [value for _, value in bodies]
        if words[:1] == ["sudo"]:
            words = words[1:]
        if not words or words[0].rsplit("/", 1)[-1] not in _CLIS:
            return
        spans = [(start, start + len(value)) for start, value in bodies]
        found = hand_off("shell", Region.join(self.text, spans, sep=" ", strict=True), self.ctx)
        if found is not None:
            self._merge(found)

    # -- helpers ------------------------------------------------------------------------------------

    def _body(self, node: cst.SimpleString) -> tuple[int, str] | None:
        """(source offset, text) of a literal's contents, when they are its value exactly."""
        prefix = node.prefix.lower()
        if "b" in prefix:
            return None
        value = node.raw_value
        if "r" not in prefix and "\\" in value:
            return None
        start = self._offset(node, node.value)
        if start is None:
            return None
        return start + len(node.prefix) + len(node.quote), value

    def _offset(self, node: cst.CSTNode, source: str) -> int | None:
        position = self.get_metadata(PositionProvider, node).start
        if position.line > self.index.line_count:
            return None
        offset = self.index.line_start(position.line) + position.column
        return offset if self.text.startswith(source, offset) else None

    def _add(self, start: int, value: str, where: str) -> None:
        span = Span(start, start + len(value))
        self.refs.setdefault(span, RefSite(span, value, where))

    def _merge(self, found: Scan) -> None:
        for site in found.refs:
            self.refs.setdefault(site.span, site)
        self.problems.extend(found.problems)


def _target_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def _looks_tagged(value: str) -> bool:
    """A reference a plain string can hold without context: tagged, pinned or on a registry."""
    if ":" in value or "@" in value:
        return True
    first = value.split("/", 1)[0]
    return "/" in value and ("." in first or first == "localhost")
