"""The ``build``, ``doctor`` and ``ci github`` commands: options in, plans and reports out."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import click

from onetag.build import defaults
from onetag.build.plan import BuildRequest, HostInfo, Plan, plan, plan_merge
from onetag.config import load_config
from onetag.errors import OnetagError, UsageError


def parse_image(text: str, what: str = "--image"):
    """Validate an image reference with the shared grammar before it reaches any argv."""
    from onetag.imageref import ReferenceError, parse

    try:
        return parse(text)
    except ReferenceError as err:
        raise UsageError(f"{what} {text!r}: {err}") from None


def _platforms(given: tuple[str, ...], configured: tuple[str, ...]) -> tuple[str, ...]:
    platforms = tuple(p.strip() for value in given for p in value.split(",") if p.strip())
    return tuple(dict.fromkeys(platforms or configured))


def _buildx_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "buildx", "version"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pick_backend(name: str) -> str:
    """``auto`` becomes the first installed of buildx, podman, buildah."""
    if name != "auto":
        return name
    if _buildx_available():
        return "buildx"
    for tool in ("podman", "buildah"):
        if shutil.which(tool):
            return tool
    raise OnetagError("no build tool found: install docker with buildx, podman or buildah (see `onetag doctor`)", 2)


def _image_and_tags(image_opt, tag_opt, context: Path, cfg) -> tuple[str, tuple[str, ...]]:
    text = image_opt or cfg.build.image or defaults.default_image(context)
    if not text:
        raise UsageError("no image name: pass --image NAME or set [build] image in .onetag.toml")
    ref = parse_image(text)
    if ref.digest:
        raise UsageError(f"--image {text!r}: a digest cannot be built to; give a repository name")
    given = tuple(tag_opt) or ((cfg.build.tag,) if cfg.build.tag else ()) or ((ref.tag,) if ref.tag else ())
    if ref.tag and tag_opt and ref.tag not in tag_opt:
        raise UsageError(f"--image {text!r} has a tag and --tag gives another: give the tag once")
    repository = text.split("@", 1)[0]
    if ref.tag:
        repository = repository[: -len(ref.tag) - 1]
    tags = defaults.resolve_tags(given, context, dict(os.environ))
    for tag in tags:
        parse_image(f"{repository}:{tag}", "tag")
    return repository, tags


def _loopback(repository: str) -> bool:
    """Docker trusts plain HTTP on loopback registries; buildah needs --tls-verify=false to match."""
    host = parse_image(repository).registry_host
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host  # drop the port
    return host in ("localhost", "[::1]") or host.startswith("127.")


def _uses_buildplatform(req: BuildRequest) -> bool:
    path = Path(req.dockerfile) if req.dockerfile else Path(req.context) / "Dockerfile"
    try:
        return "BUILDPLATFORM" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # Containerfile, remote context or stdin: keep the safe pin


def _check_dockerfile(context: str, dockerfile: str | None) -> None:
    if "://" in context or context.startswith("git@") or context == "-":
        return  # a remote context: the builder reads it
    if dockerfile:
        if dockerfile != "-" and not Path(dockerfile).is_file():
            raise UsageError(f"-f {dockerfile}: no such file")
        return
    if not Path(context).is_dir():
        raise UsageError(f"build context {context}: no such directory")
    if not any((Path(context) / name).is_file() for name in ("Dockerfile", "Containerfile")):
        raise UsageError(f"no Dockerfile or Containerfile in {context}: pass -f/--file PATH")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("context", required=False)
@click.option("--image", help="Repository to publish, e.g. docker.io/acme/app (default: [build] image).")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable; default: package.json version, else git tag).")
@click.option("--platform", "platforms", multiple=True, help="Platforms, comma-separated or repeated.")
@click.option("-f", "--file", "dockerfile", help="Dockerfile path.")
@click.option("--build-arg", "build_args", multiple=True, help="KEY=VALUE (repeatable).")
@click.option("--push", "output", flag_value="push", help="Push the image, then verify every platform.")
@click.option("--load", "output", flag_value="load", help="Load into the local image store (one platform for buildx).")
@click.option("--backend", type=click.Choice(["buildx", "buildah", "podman", "auto"]), help="Build tool (default buildx).")
@click.option("--strategy", type=click.Choice(["emulate", "native"]), default="emulate", show_default=True)
@click.option("--builder", help="buildx builder name.")
@click.option("--cache-from", multiple=True, help="Passed through to the build tool.")
@click.option("--cache-to", multiple=True, help="Passed through to the build tool.")
@click.option("--provenance/--no-provenance", default=None, help="buildx provenance attestation.")
@click.option("--insecure", is_flag=True, help="The registry is plain HTTP or self-signed (a local test registry).")
@click.option("--digest-file", type=click.Path(dir_okay=False), help="native, one platform: write the pushed digest here.")
@click.option("--merge", "merge", multiple=True, type=click.Path(exists=True, dir_okay=False), help="Create the index from --digest-file files.")
@click.option("--dry-run", is_flag=True, help="Print the exact commands and run nothing.")
def build(context, image, tags, platforms, dockerfile, build_args, output, backend, strategy, builder,
          cache_from, cache_to, provenance, insecure, digest_file, merge, dry_run) -> int:
    """Build one multi-platform image (and with --push publish and verify it)."""
    cfg = load_config(Path(context or "."))
    context = context or cfg.build.context or "."
    repository, tag_list = _image_and_tags(image, tags, Path(context), cfg)
    backend = pick_backend(backend or cfg.build.backend or "buildx")
    req = BuildRequest(
        image=repository, tags=tag_list, platforms=_platforms(platforms, cfg.platforms), context=context,
        dockerfile=dockerfile or cfg.build.dockerfile, build_args=tuple(build_args), output=output or "none",
        backend=backend, strategy=strategy, builder=builder, cache_from=tuple(cache_from),
        cache_to=tuple(cache_to), provenance=provenance, insecure=insecure or _loopback(repository),
        digest_file=digest_file,
    )
    workdir = tempfile.mkdtemp(prefix="onetag-build-")
    try:
        return _build(req, merge, workdir, dry_run)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _build(req: BuildRequest, merge: tuple[str, ...], workdir: str, dry_run: bool) -> int:
    from onetag.build import report
    from onetag.build.run import read_digest, run_plan

    if merge:
        the_plan = plan_merge(req.image, req.tags, tuple(read_digest(f) for f in merge), req.backend)
    else:
        _check_dockerfile(req.context, req.dockerfile)
        version = defaults.tool_version(req.backend) if req.backend in ("buildah", "podman") else None
        host = HostInfo(arch=defaults.host_arch(), backend_version=version, workdir=workdir,
                        run_id=uuid.uuid4().hex[:8], uses_buildplatform=_uses_buildplatform(req))
        the_plan = plan(req, host)
    for warning in the_plan.warnings:
        click.echo(f"onetag: warning: {warning}", err=True)
    if dry_run:
        for step in the_plan.steps:
            click.echo(step.shell())
        return 0
    started = time.monotonic()
    results = run_plan(the_plan.steps, env=None)
    pushed = req.output == "push" or bool(merge)
    if req.digest_file or not pushed:
        report.print_steps(results)
        return 0
    return report.verify_and_print(req, results, time.monotonic() - started)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--backend", type=click.Choice(["buildx", "buildah", "podman", "auto"]), help="Build tool to check (default: config, else buildx).")
@click.option("--platform", "platforms", multiple=True, help="Platforms the build needs (default: config).")
@click.option("--image", help="Image whose registry credentials to look for (default: [build] image).")
@click.option("-f", "--file", "dockerfile", type=click.Path(dir_okay=False), help="Dockerfile to check.")
@click.argument("context", required=False)
def doctor(backend, platforms, image, dockerfile, context) -> int:
    """Check what build and verify need, what is missing, and how to fix it."""
    from onetag.build import preflight

    cfg = load_config(Path(context or "."))
    context = context or cfg.build.context or "."
    name = backend or cfg.build.backend or "buildx"
    if name == "auto":
        name = pick_backend(name)
    image = image or cfg.build.image or defaults.default_image(Path(context))
    host = parse_image(image).registry_host if image else None
    dockerfile = dockerfile or cfg.build.dockerfile or str(Path(context) / "Dockerfile")
    checks = preflight.run_checks(name, _platforms(platforms, cfg.platforms), host, Path(dockerfile))
    for check in checks:
        click.echo(check.line())
    can_build = preflight.can_build(checks)
    click.echo("a build can run" if can_build else "a build cannot run yet: fix the lines marked missing")
    return 0 if can_build else 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def ci() -> None:
    """Write CI configuration that publishes the multi-platform image."""


@ci.command("github")
@click.option("--image", help="Repository to publish (default: [build] image).")
@click.option("--platform", "platforms", multiple=True, help="Platforms (default: config).")
@click.option("--output", "output", type=click.Path(dir_okay=False), help="Workflow file to write.")
@click.option("--into", "into", type=click.Path(dir_okay=False, exists=True), help="Add the steps to this workflow's job.")
@click.option("--job", help="With --into: the job to add the steps to (default: the only job).")
@click.option("--on", "triggers", type=click.Choice(["release", "tags", "both"]), default="both", show_default=True,
              help="Run on a published release, on pushed v* tags, or both.")
@click.option("--native", is_flag=True, help="Build each platform on its own native runner and merge by digest.")
@click.option("--context", default=None, help="Build context (default: [build] context, else .).")
@click.option("-f", "--file", "dockerfile", help="Dockerfile path.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the file would change.")
def github(image, platforms, output, into, job, triggers, native, context, dockerfile, check) -> int:
    """Write .github/workflows/docker-publish.yml, or add its steps to an existing workflow."""
    from onetag.build import workflow

    cfg = load_config(Path("."))
    image = image or cfg.build.image or defaults.default_image(Path("."))
    if not image:
        raise UsageError("no image name: pass --image NAME or set [build] image in .onetag.toml")
    ref = parse_image(image)
    if ref.tag or ref.digest:
        raise UsageError(f"--image {image!r}: give the repository only; the workflow tags it from the version")
    spec = workflow.Spec(
        image=image, platforms=_platforms(platforms, cfg.platforms), triggers=triggers,
        context=context or cfg.build.context or ".", dockerfile=dockerfile or cfg.build.dockerfile,
    )
    if into:
        if native:
            raise UsageError("--native writes its own jobs; use it with --output, not --into")
        if output:
            raise UsageError("give --into or --output, not both")
        path = Path(into)
        old = path.read_text(encoding="utf-8")
        new = workflow.insert_steps(old, spec, job, str(path))
    else:
        path = Path(output or ".github/workflows/docker-publish.yml")
        old = path.read_text(encoding="utf-8") if path.exists() else None
        new = workflow.render_native(spec) if native else workflow.render(spec)
    if old == new:
        click.echo(f"{path}: up to date")
        return 0
    if check:
        click.echo(f"{path}: would change")
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(new)
    click.echo(f"{path}: {'updated' if old is not None else 'written'}")
    click.echo("create the repository secrets DOCKER_HUB_USERNAME and DOCKER_HUB_ACCESS_TOKEN (Settings > Secrets and variables > Actions)")
    return 0


__all__ = ["build", "doctor", "ci", "Plan"]
