"""What ``onetag build`` prints at the end: time per step, and after a push the verified digests."""

from __future__ import annotations

import time

import click

from onetag.build.plan import BuildRequest
from onetag.build.run import StepResult


def print_steps(results: list[StepResult]) -> None:
    for result in results:
        note = "" if result.returncode == 0 else f" (exit {result.returncode}, tolerated)"
        click.echo(f"  {result.seconds:7.1f}s  {result.step.title}{note}")


def verify_and_print(req: BuildRequest, results: list[StepResult], build_seconds: float) -> int:
    """Verify every pushed tag deeply; print each platform's digest and the index digest. 0 or 1."""
    from onetag.imageref import parse
    from onetag.verify.platforms import verify_images

    refs = list(req.refs)
    insecure = frozenset(parse(ref).registry_host for ref in refs) if req.insecure else frozenset()
    start = time.monotonic()
    verdicts = verify_images(refs, req.platforms, deep=True, insecure_registries=insecure)
    verify_seconds = time.monotonic() - start
    click.echo("steps:")
    print_steps(results)
    click.echo(f"  {verify_seconds:7.1f}s  verify --deep {' '.join(refs)}")
    failed = False
    for ref, verdict in zip(refs, verdicts):
        for result in verdict.platforms:
            mark = "ok" if result.ok else f"FAILED: {result.problem}"
            click.echo(f"  {result.platform:<16} {result.digest or '-'}  {mark}")
        for problem in verdict.problems:
            click.echo(f"  problem: {problem}")
        click.echo(f"  index            {verdict.digest or '-'}")
        click.echo(f"{ref}  {'verified' if verdict.ok else 'NOT verified'}")
        failed = failed or not verdict.ok
    click.echo(f"total {build_seconds + verify_seconds:.1f}s")
    return 1 if failed else 0
