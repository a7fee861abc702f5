"""buildah and podman plans: build into a local manifest list, then push it with ``--all``.

A manifest list of the same name left by an earlier run would get the new entries appended, so
every plan removes it first (and tolerates its absence). ``manifest push`` pushes only the list
unless ``--all`` is given (buildah's default), so it is always given.
"""

from __future__ import annotations

import posixpath

from onetag.build.plan import BuildRequest, HostInfo, Plan, Step

# Debian 12's buildah 1.28 ignores `FROM --platform=$BUILDPLATFORM` and can leak the build stage's
# platform into the final stage. Versions from 1.30 on are not known to; pinning the arg is harmless.
_BUILDPLATFORM_FIXED = (1, 30)


def plan(req: BuildRequest, host: HostInfo) -> Plan:
    return _plan("buildah", req, host)


def plan_podman(req: BuildRequest, host: HostInfo) -> Plan:
    return _plan("podman", req, host)


def _tls(req: BuildRequest) -> list[str]:
    return ["--tls-verify=false"] if req.insecure else []


def _build_args(tool: str, req: BuildRequest, host: HostInfo) -> tuple[list[str], list[str]]:
    args, warnings = list(req.build_args), []
    old = tool == "buildah" and host.backend_version is not None and host.backend_version < _BUILDPLATFORM_FIXED
    if old and not any(a.startswith("BUILDPLATFORM=") for a in args):
        args.append(f"BUILDPLATFORM=linux/{host.arch}")
        version = ".".join(map(str, host.backend_version or ()))
        warnings.append(
            f"buildah {version} ignores FROM --platform=$BUILDPLATFORM; passing --build-arg "
            f"BUILDPLATFORM=linux/{host.arch} (upgrade buildah to 1.30 or later to drop this)"
        )
    return args, warnings


def _build(tool: str, req: BuildRequest, build_args: list[str], platforms: str) -> list[str]:
    argv = [tool, "build", *_tls(req), "--platform", platforms]
    if req.dockerfile:
        argv += ["-f", req.dockerfile]
    for arg in build_args:
        argv += ["--build-arg", arg]
    for src in req.cache_from:
        argv += ["--cache-from", src]
    for dest in req.cache_to:
        argv += ["--cache-to", dest]
    return argv


def _plan(tool: str, req: BuildRequest, host: HostInfo) -> Plan:
    build_args, warnings = _build_args(tool, req, host)
    name = req.refs[0]  # the local manifest list's name
    steps = [Step("remove a stale manifest list", (tool, "manifest", "rm", name), may_fail=True)]
    temps: list[str] = []
    if req.strategy == "emulate":
        argv = _build(tool, req, build_args, ",".join(req.platforms))
        steps.append(Step(f"build {', '.join(req.platforms)}", (*argv, "--manifest", name, req.context)))
    else:
        for platform in req.platforms:
            temp = f"localhost/onetag-native-{host.run_id}:{platform.replace('/', '-')}"
            temps.append(temp)
            argv = _build(tool, req, build_args, platform)
            steps.append(Step(f"build {platform}", (*argv, "-t", temp, req.context), platform=platform))
        steps.append(Step("create the manifest list", (tool, "manifest", "create", name)))
        for temp in temps:
            steps.append(Step(f"add {temp.rsplit(':', 1)[1]}", (tool, "manifest", "add", name, f"containers-storage:{temp}")))
    if req.output == "push":
        for ref in req.refs:
            digest_file = posixpath.join(host.workdir, f"index-{len(steps)}.digest")
            argv = (tool, "manifest", "push", "--all", *_tls(req), "--digestfile", digest_file, name, f"docker://{ref}")
            steps.append(Step(f"push {ref}", argv, digest_file=digest_file))
    for temp in temps:
        steps.append(Step(f"remove the temporary {temp}", (tool, "rmi", temp), may_fail=True))
    return Plan(tuple(steps), tuple(warnings))
