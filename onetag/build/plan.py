"""What to build, and the pure planning step: a request becomes a list of argv steps.

Nothing here runs a process or touches the network; ``plan()`` is a function of its inputs, so the
argv lists it returns are the contract with docker, buildah and podman, tested golden.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from onetag.errors import UsageError

DEFAULT_PLATFORMS: tuple[str, ...] = ("linux/amd64", "linux/arm64")
BACKENDS: tuple[str, ...] = ("buildx", "buildah", "podman")
STRATEGIES: tuple[str, ...] = ("emulate", "native")


@dataclass(frozen=True)
class BuildRequest:
    """Everything the user asked for, with defaults already resolved."""

    image: str  # repository without tag, e.g. "docker.io/acme/app" or "acme/app"
    tags: tuple[str, ...]
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    context: str = "."
    dockerfile: str | None = None
    build_args: tuple[str, ...] = ()
    output: str = "none"  # "push" | "load" | "none"
    backend: str = "buildx"
    strategy: str = "emulate"
    builder: str | None = None
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    provenance: bool | None = None
    insecure: bool = False  # plain-HTTP or self-signed registry (buildah/podman --tls-verify=false)
    digest_file: str | None = None  # native, one platform: keep the pushed digest here for --merge

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(f"{self.image}:{tag}" for tag in self.tags)


@dataclass(frozen=True)
class Step:
    """One command. ``digest_file`` names the file the step leaves a digest in (for ``platform``)."""

    title: str
    argv: tuple[str, ...]
    may_fail: bool = False  # e.g. removing a stale manifest list that may not exist
    platform: str | None = None
    digest_file: str | None = None

    def shell(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class HostInfo:
    """Facts about this machine a plan depends on (found by the caller, passed in to stay pure)."""

    arch: str = "amd64"  # GOARCH-style
    backend_version: tuple[int, ...] | None = None
    workdir: str = "/tmp/onetag-build"  # where steps leave metadata and digest files
    run_id: str = "0"  # makes temporary local names unique to one run
    uses_buildplatform: bool = True  # the Dockerfile mentions $BUILDPLATFORM (unknown: assume it does)


def digest_placeholder(platform: str) -> str:
    """What a dry run prints where a digest only a previous step can tell will go."""
    return f"<digest:{platform}>"


def validate(req: BuildRequest) -> None:
    """Refuse, before anything runs, requests no backend can carry out."""
    if req.backend not in BACKENDS:
        raise UsageError(f"unknown backend {req.backend!r}: use one of {', '.join(BACKENDS)}")
    if req.strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {req.strategy!r}: use emulate or native")
    if not req.tags:
        raise UsageError("no tag: pass --tag, or give the project a package.json version or a git tag at HEAD")
    if req.output == "load" and len(req.platforms) > 1 and req.backend == "buildx":
        raise UsageError(
            "--load cannot take a multi-platform image: the classic docker image store holds one platform per tag; "
            "use --push (to a registry, e.g. a local one), --platform with one platform, "
            "or enable the containerd image store"
        )
    if req.backend != "buildx":
        for flag, value in (("--builder", req.builder), ("--provenance", req.provenance)):
            if value is not None:
                raise UsageError(f"{flag} is a docker buildx option; {req.backend} has no equivalent")
    if req.digest_file is not None:
        if req.strategy != "native" or len(req.platforms) != 1 or req.output != "push":
            raise UsageError("--digest-file needs --strategy native --push and exactly one --platform")
        if req.backend != "buildx":
            raise UsageError("--digest-file/--merge (multi-runner builds) are implemented for --backend buildx only")


def plan(req: BuildRequest, host: HostInfo | None = None) -> Plan:
    """Return the commands that carry out ``req`` with its backend and strategy."""
    from onetag.build import buildah, buildx  # the backends import this module

    validate(req)
    host = host or HostInfo()
    planners = {"buildx": buildx.plan, "buildah": buildah.plan, "podman": buildah.plan_podman}
    return planners[req.backend](req, host)


def plan_merge(image: str, tags: tuple[str, ...], digests: tuple[str, ...], backend: str = "buildx") -> Plan:
    """The final step of a multi-runner build: one index from per-platform digests."""
    if backend != "buildx":
        raise UsageError("--merge is implemented for --backend buildx only")
    from onetag.build import buildx

    return buildx.plan_merge(image, tags, digests)
