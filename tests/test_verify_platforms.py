"""Verdicts on real images in a real registry: each fixture image, its verdict and message."""

from __future__ import annotations

import pytest

from onetag.verify.platforms import normalize_platform, parse_platform, verify_images
from tests.registry_fixtures import delete_blob, push_image, unique_repo

pytestmark = pytest.mark.registry
BOTH = ["linux/amd64", "linux/arm64"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(("linux", "aarch64", ""), "linux/arm64", id="aarch64"),
        pytest.param(("linux", "arm64", "v8"), "linux/arm64", id="arm64-v8"),
        pytest.param(("linux", "x86_64", ""), "linux/amd64", id="x86_64"),
        pytest.param(("linux", "arm", ""), "linux/arm/v7", id="arm-implies-v7"),
        pytest.param(("linux", "armhf", ""), "linux/arm/v7", id="armhf"),
        pytest.param(("linux", "arm", "6"), "linux/arm/v6", id="arm-6"),
        pytest.param(("linux", "amd64", "v1"), "linux/amd64", id="amd64-v1"),
        pytest.param(("Linux", "AMD64", ""), "linux/amd64", id="case"),
        pytest.param(("windows", "amd64", ""), "windows/amd64", id="windows"),
    ],
)
def test_normalize_platform(given: tuple[str, str, str], expected: str) -> None:
    assert normalize_platform(*given) == expected
    assert normalize_platform(*expected.split("/")) == expected  # idempotent


@pytest.mark.parametrize("text", ["linux", "linux/", "/amd64", "a/b/c/d", ""])
def test_parse_platform_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected os/arch"):
        parse_platform(text)


@pytest.fixture(scope="module")
def images(registry):  # noqa: ANN001, ANN201 - one of each fixture image, pushed once
    repo = unique_repo("verify")
    out = {"repo": repo}
    out["good"] = push_image(registry, repo, "good")
    out["list"] = push_image(registry, repo, "list", ["linux/amd64", "linux/arm64/v8"], docker=True)
    out["liar"] = push_image(registry, repo, "liar", config_arch_override={"linux/arm64": "linux/amd64"})
    out["amd64only"] = push_image(registry, repo, "amd64only", ["linux/amd64"])
    out["single"] = push_image(registry, repo, "single", ["linux/amd64"], single=True)
    noblob = push_image(registry, repo + "-noblob", "1.0")
    delete_blob(registry, repo + "-noblob", noblob.configs["linux/arm64"])
    out["noblob"] = noblob
    return out


def _one(registry, name: str, *, deep: bool = False, platforms: list[str] = BOTH, repo: str | None = None):  # noqa: ANN001, ANN202
    image = f"{registry.host}/{repo}" if repo else f"{registry.host}/{name}"
    (verdict,) = verify_images([image], platforms, deep=deep)
    return verdict


CASES = [
    # (tag, deep, ok, problem substring)
    pytest.param("good", False, True, None, id="buildx-index-with-attestations"),
    pytest.param("good", True, True, None, id="buildx-index-deep"),
    pytest.param("list", False, True, None, id="docker-manifest-list-arm64-v8"),
    pytest.param("list", True, True, None, id="docker-manifest-list-deep"),
    pytest.param("liar", True, False, "claims linux/arm64, but its config says linux/amd64", id="arm64-claim-over-amd64-config"),
    pytest.param("amd64only", False, False, "linux/arm64 missing; the index has linux/amd64", id="index-amd64-only"),
    pytest.param("single", False, False, "single-platform image (linux/amd64 only, no index)", id="single-manifest"),
    pytest.param("missing", False, False, "tag 'missing' not found in", id="missing-tag"),
]


@pytest.mark.parametrize(("tag", "deep", "ok", "problem"), CASES)
def test_verdicts(registry, images, tag: str, deep: bool, ok: bool, problem: str | None) -> None:  # noqa: ANN001
    verdict = _one(registry, tag, deep=deep, repo=f"{images['repo']}:{tag}")
    assert verdict.ok is ok, verdict.problems
    if problem is None:
        assert verdict.problems == ()
        assert [p.platform for p in verdict.platforms] == BOTH
        assert all(p.ok and p.digest for p in verdict.platforms)
    else:
        assert len(verdict.problems) == 1 and problem in verdict.problems[0], verdict.problems


def test_good_index_skips_attestations_and_reports_digests(registry, images) -> None:  # noqa: ANN001
    verdict = _one(registry, "good", repo=f"{images['repo']}:good")
    assert verdict.found == ("linux/amd64", "linux/arm64")
    assert verdict.digest == images["good"].digest
    assert dict(verdict.found_digests) == images["good"].children


def test_liar_passes_without_deep(registry, images) -> None:  # noqa: ANN001
    # Shallow mode trusts the index claim, as documented; --deep is what catches the lie.
    assert _one(registry, "liar", repo=f"{images['repo']}:liar").ok


def test_deleted_config_blob_needs_deep(registry, images) -> None:  # noqa: ANN001
    repo = images["repo"] + "-noblob:1.0"
    assert _one(registry, "x", repo=repo).ok
    verdict = _one(registry, "x", repo=repo, deep=True)
    assert not verdict.ok
    assert verdict.problems == (f"linux/arm64 config blob {images['noblob'].configs['linux/arm64']} missing from {registry.host}/{images['repo']}-noblob",)
    assert [p.ok for p in verdict.platforms] == [True, False]


def test_missing_repository(registry) -> None:  # noqa: ANN001
    verdict = _one(registry, "x", repo="verify/does-not-exist:1.0")
    assert verdict.problems == (f"repository {registry.host}/verify/does-not-exist not found",)


def test_single_platform_satisfies_its_own_platform(registry, images) -> None:  # noqa: ANN001
    verdict = _one(registry, "x", repo=f"{images['repo']}:single", platforms=["linux/amd64"])
    assert verdict.ok and verdict.found == ("linux/amd64",)


def test_by_digest_and_platform_aliases(registry, images) -> None:  # noqa: ANN001
    image = f"{registry.host}/{images['repo']}@{images['good'].digest}"
    (verdict,) = verify_images([image], ["linux/aarch64", "linux/x86_64"], deep=True)
    assert verdict.ok and [p.platform for p in verdict.platforms] == ["linux/arm64", "linux/amd64"]


def test_many_images_keep_order_and_dedupe(registry, images) -> None:  # noqa: ANN001
    names = [f"{registry.host}/{images['repo']}:{t}" for t in ("good", "amd64only", "good", "list", "missing")]
    verdicts = verify_images(names, BOTH, concurrency=3)
    assert [v.image for v in verdicts] == names
    assert [v.ok for v in verdicts] == [True, False, True, True, False]


def test_invalid_reference_is_a_problem_not_an_exception() -> None:
    (verdict,) = verify_images(["Not A Reference"], BOTH)
    assert not verdict.ok and "invalid reference format" in verdict.problems[0]
