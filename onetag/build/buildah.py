"""buildah and podman plans: build into a local manifest list, then push it with ``--all``.

A manifest list of the same name left by an earlier run would get the new entries appended, so
every plan removes it first (and tolerates its absence). ``manifest push`` pushes only the list
unless ``--all`` is given (buildah's default), so it is always given.
"""

from __future__ import annotations

import posixpath

from onetag.build.plan import BuildRequest, HostInfo, Plan, Step

# Debian 12's buildah 1.28 ignores `FROM --platform=$BUILDPLATFORM`: such a stage runs on the
# target platform (emulated), which is slow but correct. Pinning `--build-arg BUILDPLATFORM=` there
# is worse than it looks: when the build stage and the final stage name the same base image, the
# final stage reuses the build platform's copy, and the arm64 variant ships amd64 binaries under
# an arm64 config (tests/test_build_e2e.py shows it). So we warn and do not pin.
_BUILDPLATFORM_FIXED = (1, 30)


def plan(req: BuildRequest, host: HostInfo) -> Plan:
    return _plan("buildah", req, host)


def plan_podman(req: BuildRequest, host: HostInfo) -> Plan:
    return _plan("podman", req, host)


def _tls(req: BuildRequest) -> list[str]:
    return ["--tls-verify=false"] if req.insecure else []


def _warnings(tool: str, req: BuildRequest, host: HostInfo) -> list[str]:
    old = (tool == "buildah" and host.uses_buildplatform and host.backend_version is not None
           and host.backend_version < _BUILDPLATFORM_FIXED)
    if not old or any(a.startswith("BUILDPLATFORM=") for a in req.build_args):
        return []
    version = ".".join(map(str, host.backend_version or ()))
    return [
        f"buildah {version} ignores FROM --platform=$BUILDPLATFORM: those stages run emulated for every target "
        "platform (correct, slower). onetag does not pin --build-arg BUILDPLATFORM: on this version the final "
        "stage would then reuse the build platform's base image. Upgrade buildah (1.30+) for native build stages"
    ]


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
    build_args, warnings = list(req.build_args), _warnings(tool, req, host)
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
