"""``onetag verify``: does each image tag resolve on every required platform?

The registry client (and httpx) are imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from onetag.errors import UsageError

_DEEP_HELP = (
    "Also fetch each platform's manifest and config and check that the config's os/architecture "
    "match what the index claims. On Docker Hub this spends one pull per platform "
    "(without --deep, only the tag's index counts as a pull; platform checks use HEAD)."
)


def _config(start: Path):  # noqa: ANN202 - onetag.config.Config, or None when it is not available
    try:
        from onetag.config import load_config
    except ImportError:  # pragma: no cover - config lands separately
        return None
    return load_config(start)


def _platforms(given: tuple[str, ...], config) -> list[str]:  # noqa: ANN001
    from onetag.verify.platforms import parse_platform

    texts = [p for item in given for p in item.split(",") if p.strip()]
    if not texts:
        texts = list(config.platforms) if config is not None else ["linux/amd64", "linux/arm64"]
    try:
        return list(dict.fromkeys(parse_platform(t) for t in texts))
    except ValueError as err:
        raise UsageError(f"--platform: {err}") from None


def _check_images(images: tuple[str, ...]) -> None:
    from onetag.imageref import ReferenceError, parse_normalized

    for image in images:
        try:
            parse_normalized(image)
        except ReferenceError as err:
            raise UsageError(f"{image}: {err}") from None


def references_from(paths: tuple[Path, ...], config) -> tuple[list[str], dict[str, list[str]], list]:  # noqa: ANN001
    """Unique references under ``paths`` to verify, where each was found, and those skipped (with why)."""
    from onetag import archnames
    from onetag.engine import collect_references
    from onetag.verify.output import Skipped

    from_config = config if config is not None else _config(paths[0])
    images: list[str] = []
    sites: dict[str, list[str]] = {}
    skipped: list[Skipped] = []
    for ref in collect_references(list(paths), from_config):
        where = f"{ref.path}:{ref.line}"
        reason = None
        if getattr(ref, "commented", False):
            continue
        if ref.variables:
            reason = "contains an unresolved variable; verify the expanded name instead"
        elif ref.text == "scratch":
            continue
        elif archnames.detect(ref.text) is not None:
            reason = "architecture-specific name; run `onetag migrate` first"
        if reason:
            skipped.append(Skipped(ref.text, where, reason))
            continue
        if ref.text not in sites:
            images.append(ref.text)
        sites.setdefault(ref.text, []).append(where)
    return images, sites, skipped


@click.command("verify")
@click.argument("images", nargs=-1)
@click.option("--platform", "platform", multiple=True, metavar="OS/ARCH[,...]",
              help="Required platforms (repeat or comma-separate). Default: config `platforms`, else linux/amd64,linux/arm64.")
@click.option("--deep/--no-deep", default=None, help=_DEEP_HELP)
@click.option("--from", "from_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Verify every image reference found under PATH (deduplicated); ones with unresolved variables are skipped.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST[:PORT]",
              help="Allow plain HTTP or an unverified certificate for HOST (loopback registries are allowed anyway).")
@click.option("--timeout", type=float, default=None, help="Seconds per registry request (default: config [verify] timeout, else 30).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="Images checked at once.")
def verify(images: tuple[str, ...], platform: tuple[str, ...], deep: bool | None, from_paths: tuple[Path, ...],
           fmt: str, insecure: tuple[str, ...], timeout: float | None, concurrency: int) -> int:
    """Check that each IMAGE[:TAG|@DIGEST] resolves on every required platform.

    Resolves the tag to its image index, checks each required platform is there (attestation
    entries are ignored; aarch64 = arm64 = arm64/v8) and that its manifest exists. Exit 0 when
    all images pass, 1 when any fails, 2 on a usage error.
    """
    if not images and not from_paths:
        raise UsageError("verify: name at least one IMAGE, or --from PATH")
    config = _config(Path.cwd())
    platforms = _platforms(platform, config)
    _check_images(images)
    deep = deep if deep is not None else bool(config and config.verify.deep)
    timeout = timeout if timeout is not None else (config.verify.timeout if config is not None else 30.0)
    targets = list(dict.fromkeys(images))
    sites: dict[str, list[str]] = {}
    skipped: list = []
    if from_paths:
        found, sites, skipped = references_from(from_paths, None)
        targets += [t for t in found if t not in targets]

    from onetag.verify.output import text_lines, to_json
    from onetag.verify.platforms import verify_images

    verdicts = verify_images(targets, platforms, deep=deep, insecure_registries=frozenset(insecure),
                             timeout=timeout, concurrency=concurrency) if targets else []
    if fmt == "json":
        click.echo(to_json(verdicts, skipped, sites))
    else:
        for line in text_lines(verdicts, skipped):
            click.echo(line)
        if not targets:
            click.echo("verify: no image references to check", err=True)
    return 0 if all(v.ok for v in verdicts) else 1
