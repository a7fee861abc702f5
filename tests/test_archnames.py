"""Architecture-specific name detection: the proposals and, as carefully, the non-findings."""

from __future__ import annotations

import pytest

from onetag.archnames import detect, mask_variables, mentions_arch, unmask_variables

FIXES = [
    ("docker.io/ghostwriternr/cloudflare-sandbox-arm:0.0.9", "docker.io/ghostwriternr/cloudflare-sandbox:0.0.9", "OT101", "arm64"),
    ("acme/sandbox-arm:0.0.9", "acme/sandbox:0.0.9", "OT101", "arm64"),
    ("k8s.gcr.io/pause-amd64:3.1", "k8s.gcr.io/pause:3.1", "OT101", "amd64"),
    ("emby/embyserver_arm64v8:4.8", "emby/embyserver:4.8", "OT101", "arm64"),
    ("homeassistant/aarch64-homeassistant:2024.1", "homeassistant/homeassistant:2024.1", "OT101", "arm64"),
    ("acme/app-armhf", "acme/app", "OT101", "arm/v7"),
    ("acme/app-x86_64:1", "acme/app:1", "OT101", "amd64"),
    ("acme/app-linux-arm64:1", "acme/app:1", "OT101", "arm64"),
    ("ghcr.io/acme/app-arm64:${VERSION}", "ghcr.io/acme/app:${VERSION}", "OT101", "arm64"),
    ("acme/app-arm:$npm_package_version", "acme/app:$npm_package_version", "OT101", "arm64"),
    ("arm64v8/node:20", "node:20", "OT102", "arm64"),
    ("docker.io/arm64v8/node:20", "docker.io/library/node:20", "OT102", "arm64"),
    ("arm32v7/python:3.12-slim", "python:3.12-slim", "OT102", "arm/v7"),
    ("i386/debian", "debian", "OT102", "386"),
    ("winamd64/golang:1.22", "golang:1.22", "OT102", "amd64"),
    ("app:1.2-arm64", "app:1.2", "OT103", "arm64"),
    ("acme/app:3.0-bionic-arm64v8", "acme/app:3.0-bionic", "OT103", "arm64"),
    ("acme/app:arm64v8-latest", "acme/app:latest", "OT103", "arm64"),
    ("acme/app:1.0-linux-amd64", "acme/app:1.0", "OT103", "amd64"),
    ("acme/app:aarch64", "acme/app:latest", "OT103", "arm64"),
]

NOT_ARCH = [
    "harmony/charm:1.0",
    "farmos/farmos:3",
    "acme/gcc-arm-none-eabi:12",
    "arm-none-eabi/gcc",  # a weak token is not trusted as a prefix
    "node:20",
    "acme/warmup:1",
    "acme/app:1.0-armored",
    "acme/app:latest",
    "acme/armada:1",
    "library/alpine:3.19",
    "acme/app:arm",  # a weak token alone is not trusted as a tag
    "${BASE}",
    "not a reference",
    "acme/app-$ARCH:1",
]


@pytest.mark.parametrize(("old", "new", "code", "arch"), FIXES, ids=[f[0] for f in FIXES])
def test_detects(old: str, new: str, code: str, arch: str) -> None:
    proposal = detect(old)
    assert proposal is not None
    assert (proposal.new, proposal.code, proposal.arch) == (new, code, arch)


@pytest.mark.parametrize("text", NOT_ARCH)
def test_not_arch_specific(text: str) -> None:
    assert detect(text) is None


def test_official_namespace_is_certain_other_patterns_are_not() -> None:
    assert detect("arm64v8/node:20").certain
    assert not detect("acme/app-arm:1").certain


def test_digest_is_dropped_and_marked_pinned() -> None:
    proposal = detect("acme/app-arm@sha256:" + "a" * 64)
    assert proposal.new == "acme/app" and proposal.pinned


def test_mask_roundtrip() -> None:
    masked, variables = mask_variables("a/b-${X:-${Y}}:$Z")
    assert "$" not in masked
    assert unmask_variables(masked, variables) == "a/b-${X:-${Y}}:$Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("If you are on Apple Silicon, use", True),
        ("For arm64 machines", True),
        ("run on an M1 Mac", True),
        ("a charming farm", False),
        ("gpg --dearmor", False),
        ("armadillo", False),
    ],
)
def test_mentions_arch(text: str, expected: bool) -> None:
    assert mentions_arch(text) is expected
