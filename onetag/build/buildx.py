"""docker buildx plans: one multi-platform build, or one build per platform merged by digest.

``native`` follows Docker's documented multi-runner pattern: each platform is pushed by digest
(``push-by-digest=true,name-canonical=true``) and ``imagetools create`` writes the index.
"""

from __future__ import annotations

import posixpath

from onetag.build.plan import BuildRequest, HostInfo, Plan, Step, digest_placeholder


def _common(req: BuildRequest, platforms: str) -> list[str]:
    argv = ["docker", "buildx", "build"]
    if req.builder:
        argv += ["--builder", req.builder]
    argv += ["--platform", platforms]
    if req.dockerfile:
        argv += ["-f", req.dockerfile]
    for arg in req.build_args:
        argv += ["--build-arg", arg]
    for src in req.cache_from:
        argv += ["--cache-from", src]
    for dest in req.cache_to:
        argv += ["--cache-to", dest]
    if req.provenance is not None:
        argv.append(f"--provenance={'true' if req.provenance else 'false'}")
    return argv


def _slug(platform: str) -> str:
    return platform.replace("/", "-")


def plan(req: BuildRequest, host: HostInfo) -> Plan:
    if req.strategy == "native":
        return _plan_native(req, host)
    argv = _common(req, ",".join(req.platforms))
    for ref in req.refs:
        argv += ["-t", ref]
    if req.output in ("push", "load"):
        argv.append(f"--{req.output}")
    argv.append(req.context)
    return Plan((Step(f"build {', '.join(req.platforms)}", tuple(argv)),))


def _plan_native(req: BuildRequest, host: HostInfo) -> Plan:
    steps: list[Step] = []
    for platform in req.platforms:
        argv = _common(req, platform)
        digest_file = None
        if req.output == "push":
            digest_file = req.digest_file or posixpath.join(host.workdir, f"{_slug(platform)}.json")
            argv += [
                "--output",
                f"type=image,name={req.image},push-by-digest=true,name-canonical=true,push=true",
                "--metadata-file",
                digest_file,
            ]
        elif req.output == "load":
            argv += [*(a for ref in req.refs for a in ("-t", ref)), "--load"]
        argv.append(req.context)
        steps.append(Step(f"build {platform}", tuple(argv), platform=platform, digest_file=digest_file))
    if req.output == "push" and req.digest_file is None:
        digests = tuple(digest_placeholder(p) for p in req.platforms)
        steps += plan_merge(req.image, req.tags, digests).steps
    return Plan(tuple(steps))


def plan_merge(image: str, tags: tuple[str, ...], digests: tuple[str, ...]) -> Plan:
    argv = ["docker", "buildx", "imagetools", "create"]
    for tag in tags:
        argv += ["-t", f"{image}:{tag}"]
    argv += [f"{image}@{digest}" for digest in digests]
    return Plan((Step("merge the platforms into one index", tuple(argv)),))
