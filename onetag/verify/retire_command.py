"""``onetag retire``: keep the old per-architecture names working (repoint), or remove them (delete).

The registry client is imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from onetag.errors import UsageError

_MODE_HELP = {
    "repoint": "Make each paired old tag serve the unified multi-platform index (default).",
    "delete": "Delete each paired old tag (by digest) where the registry allows it.",
}


def _repository(text: str, what: str) -> tuple[str, str]:
    """(registry host, repository path) of a repository name without tag or digest."""
    from onetag.imageref import ReferenceError, parse_normalized

    try:
        ref = parse_normalized(text)
    except ReferenceError as err:
        raise UsageError(f"{what} {text}: {err}") from None
    if ref.tag or ref.digest:
        raise UsageError(f"{what} {text}: name a repository without :TAG or @DIGEST; choose tags with --tag")
    return ref.registry_host, ref.repository


def _wanted(tags: tuple[str, ...]) -> dict[str, str] | None:
    if not tags:
        return None
    out: dict[str, str] = {}
    for item in tags:
        old, eq, new = item.partition("=")
        if not old or (eq and not new):
            raise UsageError(f"--tag {item!r}: expected TAG or OLD_TAG=NEW_TAG")
        out[old] = new or old
    return out


def _line(item, detail: str = "", failed: bool = False) -> str:  # noqa: ANN001 - TagPlan
    target = f" -> {item.new_tag}" if item.new_tag and item.new_tag != item.old_tag else ""
    label = f"{item.old_tag}{target}"
    if failed:
        return f"  FAIL      {label}  {detail}"
    return f"  {item.action:<9} {label}  {detail}".rstrip()


def _planned(item, p) -> str:  # noqa: ANN001 - TagPlan, Plan
    short = (item.old_digest or "")[:19]
    if item.action == "repoint":
        was = f"{short} -> " if short else ""
        return f"{was}{p.new_repo}@{item.new_digest[:19]} ({', '.join(item.platforms)})"
    if item.action == "delete":
        return f"{short}" if short else ""
    return item.reason


@click.command("retire")
@click.argument("old_repo")
@click.option("--to", "new_repo", required=True, metavar="NEW_REPO", help="The unified multi-platform repository (same registry).")
@click.option("--tag", "tags", multiple=True, metavar="TAG[=NEW_TAG]",
              help="Only these old tags (repeatable); OLD=NEW pairs an old tag with a differently named new one. Default: every old tag with a same-named new tag.")
@click.option("--repoint", "mode", flag_value="repoint", default=True, help=_MODE_HELP["repoint"])
@click.option("--delete", "mode", flag_value="delete", help=_MODE_HELP["delete"])
@click.option("--dry-run", is_flag=True, help="Print the plan tag by tag; change nothing.")
@click.option("--platform", "platform", multiple=True, metavar="OS/ARCH[,...]",
              help="Platforms the unified tag must serve before an old tag is repointed to it. Default: config `platforms`, else linux/amd64,linux/arm64.")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST[:PORT]",
              help="Allow plain HTTP or an unverified certificate for HOST (loopback registries are allowed anyway).")
@click.option("--timeout", type=float, default=None, help="Seconds per registry request (default: config [verify] timeout, else 30).")
def retire(old_repo: str, new_repo: str, tags: tuple[str, ...], mode: str, dry_run: bool, platform: tuple[str, ...],
           insecure: tuple[str, ...], timeout: float | None) -> int:
    """Repoint (default) or delete the tags of OLD_REPO that NEW_REPO also has.

    Repoint copies NEW_REPO's index into OLD_REPO (blobs mounted, platform manifests by digest,
    the index under the old tag last) and verifies it --deep, so users still pulling the old
    name get the right image on every architecture. Tags without a counterpart are listed and
    left alone. Needs push rights on OLD_REPO. Exit 0 when every step worked, 1 when one failed.
    """
    from onetag.verify.command import _config, _platforms

    old_host, old_path = _repository(old_repo, "OLD_REPO")
    new_host, new_path = _repository(new_repo, "--to")
    if old_host != new_host:
        raise UsageError(f"OLD_REPO is on {old_host} but --to is on {new_host}; retire works within one registry")
    if old_path == new_path:
        raise UsageError(f"OLD_REPO and --to are the same repository ({old_path})")
    config = _config(Path.cwd())
    platforms = _platforms(platform, config)
    timeout = timeout if timeout is not None else (config.verify.timeout if config is not None else 30.0)

    from onetag.verify import retire as r
    from onetag.verify.client import RegistryClient
    from onetag.verify.errors import AuthDenied, RegistryError

    with RegistryClient(insecure_registries=frozenset(insecure), timeout=timeout) as client:
        try:
            the_plan = r.plan(client, old_host, old_path, new_path, mode=mode, platforms=platforms, wanted=_wanted(tags))
        except AuthDenied as err:
            raise AuthDenied(f"retire needs pull and push rights on {old_host}/{old_path} and pull on {new_path}: {err}") from None
        except RegistryError as err:
            raise RegistryError(f"retire {old_host}/{old_path}: {err}") from None
        verb = "plan" if dry_run else mode
        click.echo(f"retire {old_host}/{old_path} -> {new_path} ({verb})")
        if dry_run:
            for item in the_plan.tags:
                click.echo(_line(item, _planned(item, the_plan)))
            click.echo("dry run: nothing changed")
            return 1 if any(i.action == "missing" for i in the_plan.tags) else 0

        def show(outcome) -> None:  # noqa: ANN001 - Outcome
            item = outcome.tag
            detail = outcome.detail if outcome.ok else f"{outcome.step}: {outcome.detail}"
            if outcome.ok and item.action not in ("repoint", "delete"):
                detail = item.reason
            click.echo(_line(item, detail, failed=not outcome.ok))

        outcomes = r.execute(client, the_plan, platforms=platforms, progress=show)
    return _summary(outcomes, mode)


def _summary(outcomes: list, mode: str) -> int:
    done = [o for o in outcomes if o.ok and o.tag.action == mode]
    failed = [o for o in outcomes if not o.ok]
    unpaired = [o.tag.old_tag for o in outcomes if o.tag.action == "unpaired"]
    past = {"repoint": "repointed", "delete": "deleted"}[mode]
    parts = [f"{len(done)} {past}"]
    if unpaired:
        parts.append(f"{len(unpaired)} without a counterpart left alone ({', '.join(unpaired)})")
    if failed:
        parts.append(f"{len(failed)} failed ({', '.join(o.tag.old_tag for o in failed)})")
    click.echo("retire: " + "; ".join(parts), err=bool(failed))
    return 1 if failed else 0
