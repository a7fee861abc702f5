"""The migration note users read: which old image names changed, to what, on which platforms.

``changes_from()`` collects (old -> unified) pairs from what migrate rewrote; ``render()`` writes
the Markdown; ``write_notes()`` puts it in a file and/or a patch changeset (``.changeset/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from onetag import archnames
from onetag.errors import UsageError

CHANGESET_SLUG = "onetag-multi-platform-image"
# The note names the old references on purpose: keep lint and migrate from "fixing" it later.
_KEEP = "<!-- onetag: ignore -->"


@dataclass(frozen=True)
class Change:
    old: str  # the reference as users write it (familiar form)
    new: str
    platforms: tuple[str, ...]
    checked: bool  # platforms come from the registry (migrate --verify), not from configuration


def _familiar(text: str) -> str:
    ref, variables = archnames.parse_template(text)
    return archnames.unmask_variables(ref.familiar(), variables) if ref is not None else text


def _pairs(run, per_file, mappings: dict[str, str]) -> list[tuple[str, str]]:  # noqa: ANN001 - engine Run, findings
    """(old, new) for every reference a fix that migrate applies rewrites or removes."""
    from onetag.engine import _mapping_for

    out: dict[tuple[str, str], None] = {}
    for fs in run.files:
        findings = per_file.get(fs.candidate.rel) if fs.scan is not None else None
        if not findings:
            continue
        spans = [e.span for f in findings if f.fixable for e in f.edits]
        for site in fs.scan.refs:
            if not any(span.contains(site.span) for span in spans):
                continue
            proposal = archnames.detect(site.text)
            new = _mapping_for(site.text, mappings) or (proposal.new if proposal else None)
            if new and new != site.text:
                out[(_familiar(site.text), _familiar(new))] = None
    return sorted(out, key=lambda pair: (archnames.has_variables(pair[0]), pair))


def changes_from(run, per_file, config, mappings: dict[str, str], *, verify: bool) -> list[Change]:  # noqa: ANN001
    """One Change per distinct old reference; platforms from the registry when ``verify``."""
    pairs = _pairs(run, per_file, mappings)
    found: dict[str, tuple[str, ...]] = {}
    if verify:
        from onetag.verify.platforms import verify_images

        targets = sorted({new for _, new in pairs if not archnames.has_variables(new)})
        if targets:
            verdicts = verify_images(targets, list(config.platforms), timeout=config.verify.timeout)
            found = {v.image: v.found for v in verdicts if v.ok}
    return [Change(old, new, found.get(new, tuple(config.platforms)), new in found) for old, new in pairs]


def render(changes: list[Change], *, heading: bool = True) -> str:
    """The note as Markdown; without ``heading`` its first line is a summary sentence (for changelogs)."""
    repos = list(dict.fromkeys(_repo(c.new) for c in changes))
    names = ", ".join(f"`{r}`" for r in repos)
    lines = ["# One image for every architecture", ""] if heading else []
    lines += [
        f"{names} {'is now published as one multi-platform image' if len(repos) == 1 else 'are now published as multi-platform images'}: "
        "the same tag serves every architecture below, and Docker, Podman and Kubernetes pick the right one "
        "by themselves. The per-architecture names are no longer needed.",
        "",
        "| Old reference | Use instead | Platforms |",
        "| --- | --- | --- |",
    ]
    for c in changes:
        lines.append(f"| `{c.old}` | `{c.new}` | {', '.join(c.platforms)} {_KEEP} |")
    lines.append("")
    if changes and all(c.checked for c in changes):
        lines.append("Platforms as served by the registry (checked with `onetag migrate --verify`).")
    else:
        lines.append("Platforms as configured for the build (not checked at the registry).")
    lines += ["", "## What to change", "", "In your own Dockerfile, change the image name and keep the tag:", ""]
    lines += [f"- `FROM {c.old}` becomes `FROM {c.new}` {_KEEP}" for c in _examples(changes)]
    lines += [
        "",
        "Drop any `--platform` flag you added only to pick the architecture. The old names keep working "
        "during the transition (they serve the same multi-platform image) and will be removed later.",
        "",
    ]
    return "\n".join(lines)


def _repo(reference: str) -> str:
    masked, variables = archnames.mask_variables(reference)
    name = masked.split("@")[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return archnames.unmask_variables(name, variables)


def _examples(changes: list[Change]) -> list[Change]:
    """One change per repository pair, preferring one without unresolved variables."""
    def rank(c: Change) -> tuple[bool, bool]:
        return (archnames.has_variables(c.old), _repo(c.old) == c.old)  # a concrete tag reads best

    picked: dict[tuple[str, str], Change] = {}
    for c in changes:
        key = (_repo(c.old), _repo(c.new))
        if key not in picked or rank(c) < rank(picked[key]):
            picked[key] = c
    return list(picked.values())


def changeset_dir(start: Path) -> Path | None:
    """The nearest ``.changeset/`` folder at or above ``start`` (not past the git root)."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".changeset").is_dir():
            return candidate / ".changeset"
        if (candidate / ".git").exists():
            return None
    return None


def package_name(root: Path, changed: list[Path]) -> str:
    """The package the changeset is for: a package.json migrate changed, the nearest one above a changed
    file, else the repository root's."""
    root = root.resolve()
    nearest = [folder / "package.json" for p in changed for folder in p.resolve().parents
               if folder == root or root in folder.parents]
    candidates = [p for p in changed if p.name == "package.json"] + nearest + [root / "package.json"]
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str) and not data.get("private"):
            return data["name"]
    raise UsageError(f"--changeset: no package.json with a public package name at {root} or among the changed files; "
                     "name the package in package.json, or use --notes PATH")


def changeset_text(package: str, changes: list[Change]) -> str:
    return f'---\n"{package}": patch\n---\n\n' + render(changes, heading=False)


def write_notes(changes: list[Change], *, notes: Path | None, changeset: bool, start: Path, changed: list[Path]) -> list[Path]:
    """Write the note file and/or the changeset; returns what was written. UsageError when no ``.changeset/``."""
    folder = None
    if changeset:
        folder = changeset_dir(start)
        if folder is None:
            raise UsageError(f"--changeset: no .changeset/ folder at or above {start}; this repository does not use "
                             "changesets (run `npx changeset init` first), or write the note with --notes PATH")
    written = []
    if notes is not None:
        notes.write_text(render(changes), encoding="utf-8")
        written.append(notes)
    if folder is not None:
        path = folder / f"{CHANGESET_SLUG}.md"
        path.write_text(changeset_text(package_name(folder.parent, changed), changes), encoding="utf-8")
        written.append(path)
    return written


def for_migrate(run, per_file, config, mappings: dict[str, str], *, verify: bool, notes: Path | None,  # noqa: ANN001
                changeset: bool, paths: tuple[Path, ...]) -> Callable[[list[Path]], None]:
    """migrate's --notes/--changeset: raises the usage error now; the returned function writes the note."""
    import click

    start = paths[0] if paths else Path.cwd()
    if changeset and changeset_dir(start) is None:
        write_notes([], notes=None, changeset=True, start=start, changed=[])  # raises the usage error

    def write(changed: list[Path]) -> None:
        changes = changes_from(run, per_file, config, mappings, verify=verify)
        if not changes:
            click.echo("onetag: no architecture-specific image name was rewritten; no migration note written", err=True)
            return
        for path in write_notes(changes, notes=notes, changeset=changeset, start=start, changed=changed):
            click.echo(f"{path}: migration note for users ({len(changes)} references)", err=True)

    return write
