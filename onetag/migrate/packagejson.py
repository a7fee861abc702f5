"""package.json handler: JSON string references, ``scripts`` read as shell, and OT301.

When per-architecture docker scripts (``docker:build:arm``, ``docker:publish:arm``) sit beside
a publish script for the same image, the fix removes the per-architecture scripts (whole lines,
commas fixed) and ``npm run`` calls of them, and turns the publish script into one
``docker buildx build --platform ... --push``. Edits are splices: the document is never re-serialized.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from onetag import archnames
from onetag.edits import Edit, Span
from onetag.finding import Context, Problem, RefSite, Scan
from onetag.migrate import jsonc, shell

NAME = "packagejson"

_RUNNERS = {("npm", "run"), ("npm", "run-script"), ("yarn", "run"), ("pnpm", "run"), ("bun", "run")}
_DROPPED_OPTIONS = {"--platform", "--push", "--load", "--output", "-o", "--arch", "--os", "--variant"}
_SPLIT = re.compile(r"[:_.\-/]+")


@dataclass
class _Script:
    index: int  # position among the scripts object's members
    name: str
    string: jsonc.JString
    simples: list[shell.Simple]
    commands: list[shell.Command | None]  # one per simple

    def span(self, span: Span) -> Span | None:
        return self.string.text_span(span.start, span.end)

    @property
    def value_span(self) -> Span:
        return Span(self.string.span.start + 1, self.string.span.end - 1)


def scan(text: str, ctx: Context) -> Scan:
    """References in a package.json, its scripts as shell, and per-architecture script problems."""
    try:
        doc = jsonc.parse(text)
    except jsonc.JsonError as err:
        return Scan(error=str(err))
    scripts_node = next((node for key, node in doc.members if key.value == "scripts" and node.kind == "object"), None)
    refs: list[RefSite] = []
    for path, string in jsonc.strings(doc):
        if scripts_node is None or path[:1] != ("scripts",) or len(path) != 2:
            refs.extend(jsonc.string_refs(path, string))
    if scripts_node is None:
        return Scan(tuple(refs))
    scripts = _scripts(scripts_node)
    for script in scripts:
        for command in script.commands:
            if command is None:
                continue
            for site in shell.command_refs(command):
                span = None if site.evidence_only else script.span(site.span)
                refs.append(RefSite(span or script.value_span, site.text, site.where, site.commented, span is None))
    problems = _per_arch_problems(text, scripts_node, scripts, ctx)
    return Scan(tuple(refs), tuple(problems))


def _scripts(node: jsonc.Node) -> list[_Script]:
    out = []
    for index, (key, value) in enumerate(node.members):
        if value.string is None:
            continue
        simples = shell.simple_commands(value.string.value)
        commands = [shell.parse_command(s) for s in simples]
        out.append(_Script(index, key.value, value.string, simples, commands))
    return out


# ---------------------------------------------------------------- classification


def _arch_named(text: str) -> bool:
    from onetag.archnames import ARCH_SYNONYMS

    return any(part.lower() in ARCH_SYNONYMS for part in _SPLIT.split(text))


def _per_arch(command: shell.Command, script_name: str) -> tuple[str, str] | None:
    """(unified image, per-arch image as written) when ``command`` builds, tags or pushes one
    architecture's image: by its name, or a single --platform in an arch-named script or tag."""

    if command.simple.comment or command.action not in ("build", "push", "tag"):
        return None
    names = command.images[-1:] if command.action == "tag" else command.images
    for word in names:
        proposal = archnames.detect(word.value)
        if proposal is not None:
            return proposal.new, word.value
    platform = command.platform
    if command.action == "build" and platform and "," not in platform and "$" not in platform:
        for word in names:
            if _arch_named(script_name) or _arch_named(word.value.rpartition(":")[2]):
                return word.value, word.value
    return None


def _runs_script(simple: shell.Simple) -> str | None:
    """The script that ``npm run NAME`` (yarn, pnpm, bun) calls, or None."""
    values = [w.value for w in simple.words]
    if len(values) >= 3 and (values[0], values[1]) in _RUNNERS:
        rest = [v for v in values[2:] if not v.startswith("-")]
        return rest[0] if rest else None
    if len(values) >= 2 and values[0] in ("yarn", "pnpm") and not values[1].startswith("-"):
        return values[1]
    return None


# ---------------------------------------------------------------- the fix


def _per_arch_problems(text: str, node: jsonc.Node, scripts: list[_Script], ctx: Context) -> list[Problem]:
    per_arch: dict[str, list[tuple[_Script, str]]] = {}  # image key -> (script, per-arch image)
    for script in scripts:
        found = [_per_arch(c, script.name) for c in script.commands if c is not None]
        hits = [f for f in found if f is not None]
        if hits and all(f is not None for f in found):
            key = archnames.repository_key(hits[0][0])
            if key:
                per_arch.setdefault(key, []).append((script, hits[0][1]))
    problems = []
    for key, group in per_arch.items():
        problem = _migration(text, node, scripts, key, group, ctx)
        if problem is None:
            problems.extend(_report(script, image, ctx) for script, image in group)
        else:
            problems.append(problem)
    return problems


def _report(script: _Script, image: str, ctx: Context) -> Problem:

    proposal = archnames.detect(image)
    unified = proposal.new if proposal else image
    message = (
        f"script '{script.name}' builds or pushes the per-architecture image '{image}'; publish one "
        f"multi-platform tag instead: docker buildx build --platform {','.join(ctx.platforms)} -t {unified} --push ."
    )
    return Problem("OT301", script.value_span, message, covers=(script.value_span,))


def _migration(text, node, scripts, key, group, ctx: Context) -> Problem | None:
    removed = {script.name for script, _ in group}
    publish = _publish_script(scripts, removed, key)
    if publish is None:
        return None
    script, push = publish
    edits: list[Edit] = []
    covers: list[Span] = []
    ok, rewrite = _rewrite_publish(script, push, scripts, removed, key, group, ctx)
    if not ok:
        return None
    if rewrite is not None:
        edits.append(rewrite)
        covers.append(rewrite.span)
    removed |= _emptied(scripts, removed, script.name)
    for other in scripts:
        if other.name in removed or other is script:
            continue
        spans = _drop_runs(other, removed)
        if spans is None:
            return None
        edits.extend(Edit(s, "") for s in spans)
        covers.extend(spans)
    lines = _delete_members(text, node, {s.index for s in scripts if s.name in removed})
    if lines is None:
        return None
    edits.extend(Edit(s, "") for s in lines)
    covers.extend(lines)
    names = ", ".join(f"'{s.name}'" for s in scripts if s.name in removed)
    message = (
        f"per-architecture scripts {names} publish '{group[0][1]}' separately; "
        f"'{script.name}' becomes one multi-platform build ({','.join(ctx.platforms)})"
    )
    first = group[0][0]
    return Problem("OT301", first.value_span, message, tuple(edits), tuple(covers))


def _publish_script(scripts: list[_Script], removed: set[str], key: str) -> tuple[_Script, shell.Command] | None:
    """The script that pushes the unified image ``key`` (a push, or a build with --push)."""

    for script in scripts:
        if script.name in removed:
            continue
        for command in script.commands:
            if command is None or not command.pushes or command.tool != "docker":
                continue
            for word in command.images:
                if archnames.repository_key(word.value) == key and archnames.detect(word.value) is None:
                    return script, command
    return None


def _rewrite_publish(script, push, scripts, removed, key, group, ctx) -> tuple[bool, Edit | None]:
    """(possible, the edit that makes ``script`` one multi-platform buildx build; None when it already is)."""
    if push.action == "build" and "," in (push.platform or ""):
        return True, None
    source, source_script = _build_source(script, push, scripts, removed, key, group)
    if source is None:
        return False, None
    related = [
        i for i, (simple, command) in enumerate(zip(script.simples, script.commands))
        if _related(simple, command, key, removed | ({source_script} if source_script else set()))
    ]
    if not related or related != list(range(related[0], related[-1] + 1)):
        return False, None
    if any(script.simples[i].before not in ("", "&&", ";", "\n") for i in related[1:]):
        return False, None
    start = script.simples[related[0]].span.start
    end = script.simples[related[-1]].span.end
    span = script.span(Span(start, end))
    if span is None:
        return False, None
    tag = _image_word(push, key) if _per_arch(source, "") is not None else None
    new = _buildx(source, tag, ctx)
    return True, Edit(span, json.dumps(new, ensure_ascii=False)[1:-1])


def _build_source(script, push, scripts, removed, key, group):
    """The build whose flags the unified build keeps: in the publish chain, a script it runs or
    any other unified build of the image, else a per-architecture build (its tag replaced)."""
    def builds(s: _Script):
        for command in s.commands:
            if command is not None and command.action == "build" and not command.simple.comment:
                if any(archnames.repository_key(w.value) == key for w in command.images):
                    yield command

    if push.action == "build":
        return push, None
    own = next(builds(script), None)
    if own is not None:
        return own, None
    called = {_runs_script(s) for s in script.simples} - {None}
    ordered = sorted((s for s in scripts if s.name not in removed and s is not script), key=lambda s: s.name not in called)
    for other in ordered:
        found = next((c for c in builds(other) if _per_arch(c, other.name) is None), None)
        if found is not None:
            return found, (other.name if other.name in called else None)
    for arch_script, _ in group:
        found = next(builds(arch_script), None)
        if found is not None:
            return found, None
    return None, None


def _related(simple: shell.Simple, command, key: str, scripts: set[str]) -> bool:
    if command is not None:
        return command.action in ("build", "push", "tag") and any(archnames.repository_key(w.value) == key for w in command.images)
    return _runs_script(simple) in scripts


def _image_word(command: shell.Command, key: str) -> shell.Word | None:
    return next((w for w in command.images if archnames.repository_key(w.value) == key), None)


def _buildx(source: shell.Command, tag: shell.Word | None, ctx: Context) -> str:
    """``docker buildx build --platform ... <source's flags> --push <context>``; ``tag`` replaces the source's tags."""
    parts = ["docker", "buildx", "build", "--platform", ",".join(ctx.platforms)]
    tagged = False
    for option in source.options:
        if option.name in _DROPPED_OPTIONS:
            continue
        if tag is not None and option.name in ("-t", "--tag"):
            if not tagged:
                parts.extend(["-t", tag.raw])
                tagged = True
            continue
        parts.extend(w.raw for w in option.words)
    if tag is not None and not tagged:
        parts.extend(["-t", tag.raw])
    parts.append("--push")
    context = source.context
    parts.append(context.raw if context is not None else ".")
    return " ".join(parts)


def _emptied(scripts: list[_Script], removed: set[str], keep: str) -> set[str]:
    """Scripts that only run removed scripts (they would be empty): removed too."""
    removed = set(removed)
    changed = True
    while changed:
        changed = False
        for script in scripts:
            if script.name in removed or script.name == keep or not script.simples:
                continue
            if all(_runs_script(s) in removed for s in script.simples):
                removed.add(script.name)
                changed = True
    return removed


def _drop_runs(script: _Script, removed: set[str]) -> list[Span] | None:
    """Spans that remove ``npm run <removed>`` from ``script`` with their ``&&``; None when unsafe."""
    spans = []
    simples = script.simples
    for k, simple in enumerate(simples):
        if _runs_script(simple) not in removed:
            continue
        if k > 0 and simple.before in ("&&", ";"):
            span = Span(simples[k - 1].span.end, simple.span.end)
        elif k + 1 < len(simples) and simples[k + 1].before in ("&&", ";"):
            span = Span(simple.span.start, simples[k + 1].span.start)
        else:
            return None
        mapped = script.span(span)
        if mapped is None:
            return None
        spans.append(mapped)
    return spans


def _delete_members(text: str, node: jsonc.Node, indices: set[int]) -> list[Span] | None:
    """Spans deleting the whole lines of the members at ``indices``, keeping the object valid."""
    members, commas = node.members, node.commas
    spans = []
    for i in sorted(indices):
        key, value = members[i]
        end = commas[i] + 1 if commas[i] >= 0 else value.span.end
        start = text.rfind("\n", 0, key.span.start) + 1
        if text[start:key.span.start].strip():
            return None
        stop = end
        while stop < len(text) and text[stop] in " \t":
            stop += 1
        if text.startswith("\r\n", stop):
            stop += 2
        elif text.startswith("\n", stop):
            stop += 1
        else:
            return None
        spans.append(Span(start, stop))
    kept = [i for i in range(len(members)) if i not in indices]
    last = len(members) - 1
    if kept and kept[-1] != last and commas[last] < 0 and commas[kept[-1]] >= 0:
        comma = commas[kept[-1]]
        if any(s.start <= comma < s.end for s in spans):
            return None
        spans.append(Span(comma, comma + 1))
    return spans
