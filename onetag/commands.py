"""The lint, migrate and rules commands: thin wrappers over discover -> scan -> find -> report/write."""

from __future__ import annotations

from pathlib import Path

import click

from onetag.errors import UsageError

_CODES_HELP = "Comma-separated rule codes or prefixes (OT1, OT104)."


def _codes(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    for code in codes:
        if not (code.startswith("OT") and code[2:].isdigit() or code == "OT"):
            raise UsageError(f"'{code}' is not a rule code or prefix like OT101 or OT1 (see `onetag rules`)")
    return codes


def _mappings(config, pairs: tuple[str, ...]) -> dict[str, str]:
    from onetag.imageref import ReferenceError, parse

    out = dict(config.images)
    for pair in pairs:
        old, eq, new = pair.partition("=")
        if not eq or not old or not new:
            raise UsageError(f"--image {pair!r}: expected OLD=NEW, e.g. --image acme/app-arm=acme/app")
        out[old] = new
    for old, new in out.items():
        for value in (old, new):
            try:
                parse(value)
            except ReferenceError as err:
                raise UsageError(f"image mapping {old} = {new}: {err}") from None
    return out


def _load(paths: tuple[Path, ...], config_path: Path | None):
    from onetag.config import load_config, load_config_file

    if config_path is not None:
        return load_config_file(config_path)
    start = paths[0] if paths else Path.cwd()
    return load_config(start if start.exists() else Path.cwd())


def _common(func):
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--select", metavar="CODES", help="Only these rules. " + _CODES_HELP),
        click.option("--ignore", "ignore_codes", metavar="CODES", help="Skip these rules. " + _CODES_HELP),
        click.option("--image", "images", multiple=True, metavar="OLD=NEW", help="Map an image to its unified name (repeatable)."),
        click.option("--verify", is_flag=True, help="Ask the registry to confirm unified images (and, for lint, base-image platforms: OT203)."),
        click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Configuration file (default: nearest .onetag.toml or pyproject.toml)."),
        click.option("-j", "--jobs", type=click.IntRange(min=1), help="Processes for large trees (default: one per core)."),
        click.option("--no-progress", is_flag=True, help="Never show a progress bar (it shows only on a terminal, outside CI)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _progress(disabled: bool):
    """A progress bar on stderr for long runs, only for a person at a terminal."""
    import os
    import sys

    if disabled or os.environ.get("CI") or os.environ.get("NO_COLOR") is not None or not sys.stderr.isatty():
        return None

    def wrap(items, total):
        if total < 1000:
            yield from items
            return
        with click.progressbar(items, length=total, label="onetag: scanning", file=sys.stderr) as bar:
            yield from bar

    return wrap


def _prepare(paths, select, ignore_codes, images, verify, config_path, jobs=None, no_progress=False):
    from onetag.engine import Options, scan_paths

    config = _load(paths, config_path)
    options = Options(select=_codes(select), ignore=_codes(ignore_codes), mappings=_mappings(config, images))
    run = scan_paths(list(paths) or [Path(".")], config, jobs=jobs, progress=_progress(no_progress))
    extra = []
    if verify:
        from onetag.confirm import confirm

        options, extra = confirm(run, config, options)
    return config, options, run, extra


def _echo_notices(run) -> None:
    for notice in run.notices:
        click.echo(f"onetag: {notice}", err=True)
    for fs in run.files:
        if fs.error:
            click.echo(f"onetag: {fs.error}", err=True)


@click.command()
@_common
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json", "sarif", "gitlab"]), default="text", show_default=True, help="Output format.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="info", show_default=True, help="Lowest severity that makes the exit code 1.")
def lint(paths, select, ignore_codes, images, verify, config_path, jobs, no_progress, fmt, fail_on):
    """Report architecture-specific image references and multi-arch problems.

    Exit 0 when clean, 1 on findings (or unreadable files), 2 on usage or configuration errors.
    """
    from onetag.engine import build_findings
    from onetag.report import flatten, render

    config, options, run, extra = _prepare(paths, select, ignore_codes, images, verify, config_path, jobs, no_progress)
    per_file = build_findings(run, config, options)
    findings = sorted(flatten(per_file) + extra, key=lambda f: f.sort_key())
    texts = {fs.candidate.rel: fs.file.text for fs in run.files if fs.file is not None}
    _echo_notices(run)
    out = render(fmt, findings, texts)
    if out:
        click.echo(out, nl=False)
    levels = {"error": 3, "warning": 2, "info": 1, "never": 99}
    failing = [f for f in findings if levels.get(f.severity, 3) >= levels[fail_on]]
    errors = [fs for fs in run.files if fs.error]
    return 1 if failing or errors else 0


@click.command()
@_common
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when something would change.")
@click.option("--allow-dirty", is_flag=True, help="Rewrite files that have uncommitted changes in git.")
@click.option("--notes", "notes_path", type=click.Path(path_type=Path, dir_okay=False), help="Also write a Markdown migration note for users to PATH (not with --diff/--check).")
@click.option("--changeset", is_flag=True, help="Also write that note as a patch changeset in .changeset/ (repositories that use changesets).")
def migrate(paths, select, ignore_codes, images, verify, config_path, jobs, no_progress, show_diff, check, allow_dirty, notes_path, changeset):
    """Rewrite architecture-specific references to the unified image, in place.

    Only fixes that are known safe are applied: explicit mappings, official arch namespaces, and
    names whose unified sibling the repository (or --verify) shows to exist. The rest is listed.
    """
    from onetag.edits import apply_edits
    from onetag.engine import build_findings, fixes_for
    from onetag.files import write_text

    config, options, run, _ = _prepare(paths, select, ignore_codes, images, verify, config_path, jobs, no_progress)
    per_file = build_findings(run, config, options)
    note = None
    if notes_path or changeset:  # checked now (no .changeset/ is a usage error), written after the rewrite
        from onetag.notes import for_migrate

        note = for_migrate(run, per_file, config, options.mappings, verify=verify, notes=notes_path, changeset=changeset, paths=paths)
    by_rel = {fs.candidate.rel: fs for fs in run.files}
    changes = []
    for rel, findings in sorted(per_file.items()):
        fs = by_rel[rel]
        new = apply_edits(fs.file.text, fixes_for(findings))
        if new != fs.file.text:
            changes.append((fs, new, findings))
    _echo_notices(run)
    if show_diff:
        click.echo(_diff(changes), nl=False)
    if not show_diff and not check and changes:
        if not allow_dirty:
            _refuse_dirty([Path(fs.candidate.path) for fs, _, _ in changes])
        for fs, new, _ in changes:
            write_text(fs.file, new)
    if note and not (show_diff or check):
        note([Path(fs.candidate.path) for fs, _, _ in changes])
    verb = "would fix" if (show_diff or check) else "fixed"
    for fs, _, findings in changes:
        fixed = [f for f in findings if f.fixable]
        codes = ", ".join(sorted({f.code for f in fixed}))
        click.echo(f"{fs.candidate.rel}: {verb} {len(fixed)} ({codes})", err=show_diff)
    _report_leftovers(per_file)
    return 1 if check and changes else 0


def _report_leftovers(per_file) -> None:
    left = [f for findings in per_file.values() for f in findings if not f.fixable]
    for f in left:
        click.echo(f"{f.path}:{f.line}:{f.col}: {f.code} left for you: {f.message}", err=True)


def _diff(changes) -> str:
    import difflib

    chunks = []
    for fs, new, _ in changes:
        rel = fs.candidate.rel
        diff = difflib.unified_diff(
            fs.file.text.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
        )
        for line in diff:
            chunks.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def _refuse_dirty(paths: list[Path]) -> None:
    """Refuse to rewrite files with uncommitted changes (exit 2), so migrate's diff stays reviewable."""
    import subprocess

    by_repo: dict[Path, list[Path]] = {}
    for path in paths:
        by_repo.setdefault(path.resolve().parent, []).append(path.resolve())
    for folder, files in by_repo.items():
        try:
            out = subprocess.run(
                ["git", "-C", str(folder), "status", "--porcelain", "-z", "--", *map(str, files)],
                capture_output=True, timeout=60, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return
        if out.returncode != 0:
            continue  # not a git work tree: nothing to protect
        dirty = [entry[3:] for entry in out.stdout.decode("utf-8", "replace").split("\0") if len(entry) > 3]
        if dirty:
            raise UsageError(
                f"{dirty[0]} has uncommitted changes; commit or stash them first, or pass --allow-dirty"
                + (f" ({len(dirty) - 1} more)" if len(dirty) > 1 else "")
            )


@click.command()
@click.argument("code", required=False)
def rules(code: str | None):
    """Show the documentation of every rule, or of CODE."""
    from onetag.migrate.rules import RULES, format_rule

    if code:
        rule = RULES.get(code.upper())
        if rule is None:
            raise UsageError(f"no rule {code!r}; known: {', '.join(RULES)}")
        click.echo(format_rule(rule), nl=False)
        return 0
    click.echo("\n".join(format_rule(rule) for rule in RULES.values()), nl=False)
    return 0
