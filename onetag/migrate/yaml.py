"""YAML handler: image references in compose files, GitHub Actions workflows and actions,
Kubernetes manifests and Helm values; ``run:`` and CI ``script:`` blocks go to the shell handler.

PyYAML's ``compose()`` gives a start and end mark (character index) for every node; values are
located inside them in the source and never dumped, so comments, quoting and anchors stay.
What a document is comes from its content (``services:``, ``jobs:``, ``runs:``), so a YAML block
in a README is read the same way as the file it shows.
"""

from __future__ import annotations

import re

import yaml

from onetag import archnames
from onetag.edits import Span
from onetag.finding import Context, Problem, RefSite, Scan
from onetag.migrate.nested import Region, hand_off, loose_refs

NAME = "yaml"

_LIST_KEYS = {"image", "images", "tags"}  # `with:` inputs that hold one or more references
_SCRIPT_KEYS = {"script", "before_script", "after_script"}  # GitLab CI
_NOT_SHELL = re.compile(r"^\s*(?:python|pwsh|powershell|cmd|node)\b", re.IGNORECASE)
_ITEM = re.compile(r"[^,\r\n]+")
_HEADER_EXTRA = re.compile(r"(?:[&!]\S*\s+)*")


def scan(text: str, ctx: Context) -> Scan:
    """Image references and compose ``platform:`` pins in every document of ``text``."""
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as err:
        return Scan(error=_error_line(err))
    walker = _Walker(text, ctx)
    for document in documents:
        if document is not None:
            walker.document(document)
    return Scan(tuple(walker.refs.values()), tuple(walker.problems.values()))


def _error_line(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return problem


class _Walker:
    def __init__(self, text: str, ctx: Context) -> None:
        self.text = text
        self.ctx = ctx
        self.refs: dict[Span, RefSite] = {}
        self.problems: dict[tuple[str, Span], Problem] = {}
        self.seen: set[int] = set()

    def document(self, root: yaml.Node) -> None:
        if isinstance(root, yaml.MappingNode):
            services = _get(root, "services")
            if isinstance(services, yaml.MappingNode) and _get(root, "jobs") is None:
                self._compose_platforms(services)
        self._walk(root, parent_key=None)

    # -- the generic walk: every mapping, every key that holds references -----------------------

    def _walk(self, node: yaml.Node, parent_key: str | None) -> None:
        if id(node) in self.seen:
            return  # an alias of a node already read: its anchor holds the text
        self.seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self._walk(item, parent_key)
        elif isinstance(node, yaml.MappingNode):
            pairs = [(k.value, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
            siblings = dict(pairs)
            for key, value in pairs:
                self._pair(key, value, parent_key, siblings)
                self._walk(value, key)

    def _pair(self, key: str, value: yaml.Node, parent_key: str | None, siblings: dict) -> None:
        scalar = isinstance(value, yaml.ScalarNode)
        if parent_key == "with" and key in _LIST_KEYS and scalar:
            self._items(value, f"with: {key}")
        elif key == "image" and scalar:
            self._single(value, "image:", strip_prefix="docker://")
        elif key == "image" and isinstance(value, yaml.MappingNode):
            for inner in ("name", "repository"):  # GitLab CI image.name, Helm image.repository
                node = _get(value, inner)
                if isinstance(node, yaml.ScalarNode):
                    self._single(node, f"image.{inner}:")
        elif key == "container" and scalar and parent_key is not None:
            self._single(value, "container:")
        elif key == "uses" and scalar and value.value.startswith("docker://"):
            self._single(value, "uses: docker://", strip_prefix="docker://")
        elif key == "tags" and parent_key == "build" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.ScalarNode):
                    self._single(item, "build.tags")
        elif key == "run" and scalar:
            shell = siblings.get("shell")
            if not (isinstance(shell, yaml.ScalarNode) and _NOT_SHELL.match(shell.value)):
                self._shell(value)
        elif key in _SCRIPT_KEYS:
            for item in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                if isinstance(item, yaml.ScalarNode):
                    self._shell(item)

    # -- compose ----------------------------------------------------------------------------------

    def _compose_platforms(self, services: yaml.MappingNode) -> None:
        for key, service in services.value:
            if not isinstance(service, yaml.MappingNode):
                continue
            for node in _with_merges(service):
                platform = _get(node, "platform")
                if isinstance(platform, yaml.ScalarNode) and "$" not in platform.value and platform.value:
                    self._platform(key.value, platform)

    def _platform(self, service: str, node: yaml.ScalarNode) -> None:
        located = _exact(self.text, node)
        if located is None:
            return
        span = Span(*located)
        message = (
            f"platform: {node.value} pins service '{service}' to one platform; remove it so each host "
            "runs its own architecture of the multi-platform image (or set it from a variable)"
        )
        self.problems.setdefault(("OT201", span), Problem("OT201", span, message))

    # -- references -----------------------------------------------------------------------------

    def _single(self, node: yaml.ScalarNode, where: str, strip_prefix: str = "") -> None:
        located = _exact(self.text, node)
        if located is None:
            return
        start, end = located
        value = self.text[start:end]
        if strip_prefix and value.startswith(strip_prefix):
            start += len(strip_prefix)
            value = value[len(strip_prefix):]
        self._add(start, value, where)

    def _items(self, node: yaml.ScalarNode, where: str) -> None:
        """A comma- or newline-separated list: each item its own reference."""
        content = _content(self.text, node)
        if content is None:
            return
        start, end = content
        for match in _ITEM.finditer(self.text, start, end):
            item = match.group(0)
            word = item.strip()
            if word and not word.startswith("#") and "=" not in word:
                self._add(match.start() + item.index(word), word, where)

    def _add(self, start: int, value: str, where: str) -> None:
        if value and archnames.is_template_reference(value):
            span = Span(start, start + len(value))
            self.refs.setdefault(span, RefSite(span, value, where))

    def _shell(self, node: yaml.ScalarNode) -> None:
        region = _shell_region(self.text, node)
        if region is None:
            return
        found = hand_off("shell", region, self.ctx)
        if found is None:
            found = loose_refs(region, "run:") if _looks_like_container_command(region.text) else Scan()
        for site in found.refs:
            self.refs.setdefault(site.span, site)
        for problem in found.problems:
            self.problems.setdefault((problem.code, problem.span), problem)


def _looks_like_container_command(text: str) -> bool:
    from onetag.migrate.nested import has_command

    return has_command(text)


def _get(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _with_merges(mapping: yaml.MappingNode) -> list[yaml.MappingNode]:
    """The mapping and every mapping merged into it with ``<<:`` (x- extension anchors)."""
    out = [mapping]
    merge = _get(mapping, "<<")
    merged = merge.value if isinstance(merge, yaml.SequenceNode) else [merge] if merge is not None else []
    out.extend(m for m in merged if isinstance(m, yaml.MappingNode))
    return out


def _exact(text: str, node: yaml.ScalarNode) -> tuple[int, int] | None:
    """Source offsets of a scalar's value when the source spells it literally, else None."""
    start, end = node.start_mark.index, node.end_mark.index
    value = node.value
    if not value:
        return None
    if node.style is None:
        if text[start:end].endswith(value) and "\n" not in value:
            return end - len(value), end
        return None
    if node.style in ("'", '"'):
        if end - start >= len(value) + 2 and text[end - len(value) - 1 : end - 1] == value and text[end - 1] == node.style:
            return end - len(value) - 1, end - 1
    return None


def _content(text: str, node: yaml.ScalarNode) -> tuple[int, int] | None:
    """Source offsets holding a scalar's content (lines of a block scalar included), or None
    when escapes make the source differ from the value in more than line layout."""
    exact = _exact(text, node)
    if exact is not None:
        return exact
    start, end = node.start_mark.index, node.end_mark.index
    head = _HEADER_EXTRA.match(text, start).end()
    if node.style in ("|", ">"):
        newline = re.compile(r"\r\n|\r|\n").search(text, head, end)
        return (newline.end(), end) if newline else None
    if node.style is None:
        return head, end
    if node.style == '"' and "\\" not in text[head:end]:
        return head + 1, end - 1
    if node.style == "'" and "''" not in text[head + 1 : end - 1]:
        return head + 1, end - 1
    return None


def _shell_region(text: str, node: yaml.ScalarNode) -> Region | None:
    """The script of a ``run:`` value as a Region: one line, or a block scalar's lines with their
    indentation taken off (so heredoc ends and comments read as the shell sees them)."""
    exact = _exact(text, node)
    if exact is not None:
        return Region.span(text, *exact)
    if node.style not in ("|", ">"):
        return None
    content = _content(text, node)
    if content is None:
        return None
    lines = [m for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)?", text[content[0] : content[1]]) if m.group(0)]
    indents = [len(m.group(0)) - len(m.group(0).lstrip(" ")) for m in lines if m.group(0).strip()]
    if not indents:
        return None
    indent = min(indents)
    spans = []
    for m in lines:
        body = m.group(0)
        cut = min(indent, len(body) - len(body.lstrip(" ")))
        spans.append((content[0] + m.start() + cut, content[0] + m.end()))
    region = Region.join(text, spans)
    if node.style == ">":
        region = _folded(region)
    if " ".join(region.text.split()) != " ".join(node.value.split()):
        return None
    return region


def _folded(region: Region) -> Region:
    """A folded scalar's lines read as the shell gets them: a line break between two text lines
    becomes spaces (same length, so offsets hold)."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)?", region.text)
    out = []
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        following = lines[i + 1] if i + 1 < len(lines) else ""
        joins = body.strip() and following.strip() and not body.startswith((" ", "\t")) and not following.startswith((" ", "\t"))
        out.append(body + " " * (len(line) - len(body)) if joins else line)
    return Region(region.source, "".join(out), region.pieces, region.strict)
