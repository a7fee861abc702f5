"""Golden argv for every backend x strategy x flag: the contract with docker, buildah and podman.

Flags checked against the tools' documentation: `docker buildx build` (--platform, -t, --push,
--load, --output type=image,push-by-digest=true,name-canonical=true,push=true, --metadata-file,
--builder, --cache-from/--cache-to, --provenance), `docker buildx imagetools create -t`,
`buildah build --manifest`, `buildah manifest push --all --digestfile`, `podman manifest ...`.
"""

from __future__ import annotations


import pytest

from onetag.build.plan import BuildRequest, HostInfo, plan, plan_merge
from onetag.errors import UsageError

HOST = HostInfo(arch="amd64", backend_version=(1, 33, 0), workdir="/w", run_id="r1")
OLD_BUILDAH = HostInfo(arch="amd64", backend_version=(1, 28, 2), workdir="/w", run_id="r1")
IMG = "acme/app"
T = ("1.0",)


def shells(req: BuildRequest, host: HostInfo = HOST) -> list[str]:
    return [step.shell() for step in plan(req, host).steps]


BUILDX = [
    pytest.param(
        BuildRequest(IMG, T, output="push"),
        ["docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1.0 --push ."],
        id="seed-command",
    ),
    pytest.param(
        BuildRequest(IMG, T),
        ["docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1.0 ."],
        id="build-only",
    ),
    pytest.param(
        BuildRequest(IMG, T, platforms=("linux/arm64",), output="load"),
        ["docker buildx build --platform linux/arm64 -t acme/app:1.0 --load ."],
        id="load-one-platform",
    ),
    pytest.param(
        BuildRequest(IMG, ("1.0", "latest"), output="push", context="app", dockerfile="app/Dockerfile.prod",
                     build_args=("A=1", "B=two words"), builder="multi", cache_from=("type=gha",),
                     cache_to=("type=gha,mode=max",), provenance=False),
        ["docker buildx build --builder multi --platform linux/amd64,linux/arm64 -f app/Dockerfile.prod "
         "--build-arg A=1 --build-arg 'B=two words' --cache-from type=gha --cache-to type=gha,mode=max "
         "--provenance=false -t acme/app:1.0 -t acme/app:latest --push app"],
        id="every-flag",
    ),
    pytest.param(
        BuildRequest(IMG, T, output="push", provenance=True),
        ["docker buildx build --platform linux/amd64,linux/arm64 --provenance=true -t acme/app:1.0 --push ."],
        id="provenance",
    ),
    pytest.param(
        BuildRequest(IMG, T, output="push", strategy="native"),
        [
            "docker buildx build --platform linux/amd64 --output "
            "type=image,name=acme/app,push-by-digest=true,name-canonical=true,push=true "
            "--metadata-file /w/linux-amd64.json .",
            "docker buildx build --platform linux/arm64 --output "
            "type=image,name=acme/app,push-by-digest=true,name-canonical=true,push=true "
            "--metadata-file /w/linux-arm64.json .",
            "docker buildx imagetools create -t acme/app:1.0 'acme/app@<digest:linux/amd64>' "
            "'acme/app@<digest:linux/arm64>'",
        ],
        id="native-push",
    ),
    pytest.param(
        BuildRequest(IMG, T, platforms=("linux/arm64",), output="push", strategy="native", digest_file="d/arm64.json"),
        [
            "docker buildx build --platform linux/arm64 --output "
            "type=image,name=acme/app,push-by-digest=true,name-canonical=true,push=true "
            "--metadata-file d/arm64.json .",
        ],
        id="native-one-runner",
    ),
    pytest.param(
        BuildRequest(IMG, T, strategy="native"),
        ["docker buildx build --platform linux/amd64 .", "docker buildx build --platform linux/arm64 ."],
        id="native-build-only",
    ),
]


@pytest.mark.parametrize(("req", "expected"), BUILDX)
def test_buildx(req, expected):
    assert shells(req) == expected


BUILDAH = [
    pytest.param(
        "buildah", BuildRequest(IMG, T, backend="buildah", output="push"), HOST,
        [
            "buildah manifest rm acme/app:1.0",
            "buildah build --platform linux/amd64,linux/arm64 --manifest acme/app:1.0 .",
            "buildah manifest push --all --digestfile /w/index-2.digest acme/app:1.0 docker://acme/app:1.0",
        ],
        id="buildah-push",
    ),
    pytest.param(
        "buildah", BuildRequest(IMG, ("1.0", "latest"), backend="buildah", output="push", insecure=True,
                                dockerfile="Containerfile", build_args=("X=1",), cache_from=("reg/cache",)), HOST,
        [
            "buildah manifest rm acme/app:1.0",
            "buildah build --tls-verify=false --platform linux/amd64,linux/arm64 -f Containerfile --build-arg X=1 "
            "--cache-from reg/cache --manifest acme/app:1.0 .",
            "buildah manifest push --all --tls-verify=false --digestfile /w/index-2.digest acme/app:1.0 docker://acme/app:1.0",
            "buildah manifest push --all --tls-verify=false --digestfile /w/index-3.digest acme/app:1.0 docker://acme/app:latest",
        ],
        id="buildah-two-tags-insecure",
    ),
    pytest.param(
        "buildah", BuildRequest(IMG, T, backend="buildah"), OLD_BUILDAH,
        [
            "buildah manifest rm acme/app:1.0",
            "buildah build --platform linux/amd64,linux/arm64 --manifest acme/app:1.0 .",
        ],
        id="buildah-1.28-does-not-pin-buildplatform",
    ),
    pytest.param(
        "buildah", BuildRequest(IMG, T, backend="buildah", output="push", strategy="native"), HOST,
        [
            "buildah manifest rm acme/app:1.0",
            "buildah build --platform linux/amd64 -t localhost/onetag-native-r1:linux-amd64 .",
            "buildah build --platform linux/arm64 -t localhost/onetag-native-r1:linux-arm64 .",
            "buildah manifest create acme/app:1.0",
            "buildah manifest add acme/app:1.0 containers-storage:localhost/onetag-native-r1:linux-amd64",
            "buildah manifest add acme/app:1.0 containers-storage:localhost/onetag-native-r1:linux-arm64",
            "buildah manifest push --all --digestfile /w/index-6.digest acme/app:1.0 docker://acme/app:1.0",
            "buildah rmi localhost/onetag-native-r1:linux-amd64",
            "buildah rmi localhost/onetag-native-r1:linux-arm64",
        ],
        id="buildah-native",
    ),
    pytest.param(
        "podman", BuildRequest(IMG, T, backend="podman", output="push"), OLD_BUILDAH,
        [
            "podman manifest rm acme/app:1.0",
            "podman build --platform linux/amd64,linux/arm64 --manifest acme/app:1.0 .",
            "podman manifest push --all --digestfile /w/index-2.digest acme/app:1.0 docker://acme/app:1.0",
        ],
        id="podman-push",
    ),
]


@pytest.mark.parametrize(("tool", "req", "host", "expected"), BUILDAH)
def test_buildah_podman(tool, req, host, expected):
    assert shells(req, host) == expected


def test_stale_manifest_removal_may_fail_and_nothing_else_may():
    steps = plan(BuildRequest(IMG, T, backend="buildah", output="push", strategy="native"), HOST).steps
    assert [s.may_fail for s in steps] == [True] + [False] * 6 + [True, True]


def test_old_buildah_warns_when_the_dockerfile_uses_buildplatform():
    [warning] = plan(BuildRequest(IMG, T, backend="buildah"), OLD_BUILDAH).warnings
    assert warning.startswith("buildah 1.28.2 ignores FROM --platform=$BUILDPLATFORM")
    quiet = HostInfo(arch="amd64", backend_version=(1, 28, 2), uses_buildplatform=False)
    assert plan(BuildRequest(IMG, T, backend="buildah"), quiet).warnings == ()
    assert plan(BuildRequest(IMG, T, backend="buildah"), HOST).warnings == ()
    assert plan(BuildRequest(IMG, T, backend="podman"), OLD_BUILDAH).warnings == ()


def test_a_user_pinned_buildplatform_is_passed_as_given():
    req = BuildRequest(IMG, T, backend="buildah", build_args=("BUILDPLATFORM=linux/amd64",))
    result = plan(req, OLD_BUILDAH)
    assert result.warnings == ()
    assert "--build-arg BUILDPLATFORM=linux/amd64" in result.steps[1].shell()


def test_merge():
    digests = ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    steps = plan_merge(IMG, ("1.0", "1"), digests).steps
    assert [s.shell() for s in steps] == [
        f"docker buildx imagetools create -t acme/app:1.0 -t acme/app:1 acme/app@{digests[0]} acme/app@{digests[1]}"
    ]


REFUSED = [
    pytest.param(BuildRequest(IMG, T, output="load"), "--load cannot take a multi-platform image", id="load-multi"),
    pytest.param(BuildRequest(IMG, T, strategy="native", output="load"), "--load cannot", id="load-multi-native"),
    pytest.param(BuildRequest(IMG, ()), "no tag", id="no-tag"),
    pytest.param(BuildRequest(IMG, T, backend="buildah", builder="b"), "--builder is a docker buildx option", id="builder-buildah"),
    pytest.param(BuildRequest(IMG, T, backend="podman", provenance=True), "--provenance is a docker buildx option", id="provenance-podman"),
    pytest.param(BuildRequest(IMG, T, digest_file="f"), "--digest-file needs", id="digest-file-emulate"),
    pytest.param(BuildRequest(IMG, T, strategy="native", output="push", digest_file="f"), "--digest-file needs", id="digest-file-two-platforms"),
    pytest.param(BuildRequest(IMG, T, backend="buildah", platforms=("linux/arm64",), strategy="native", output="push",
                              digest_file="f"), "buildx only", id="digest-file-buildah"),
]


@pytest.mark.parametrize(("req", "message"), REFUSED)
def test_refused_before_anything_runs(req, message):
    with pytest.raises(UsageError, match=message.replace("-", r"\-")):
        plan(req, HOST)
