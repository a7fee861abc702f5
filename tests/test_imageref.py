"""onetag.imageref: distribution/reference's Go test tables (fixtures/imageref) and our own API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onetag import imageref
from onetag.imageref import (
    REFERENCE_RE,
    ImageRef,
    ReferenceError,
    is_reference,
    parse,
    parse_normalized,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imageref"

# Go error values in the tables, and the ReferenceError.kind each one is.
GO_ERRORS = {
    "ErrNameEmpty": "name_empty",
    "ErrReferenceInvalidFormat": "invalid_format",
    "ErrNameContainsUppercase": "name_uppercase",
    "ErrNameTooLong": "name_too_long",
    "digest.ErrDigestInvalidLength": "digest_invalid_length",
    "digest.ErrDigestUnsupported": "digest_unsupported",
    "digest.ErrDigestInvalidFormat": "digest_invalid_format",
}

SHA = "sha256:" + "0123456789abcdef" * 4


def _load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


REFERENCE = _load("reference_test")
NORMALIZE = _load("normalize_test")
REGEXP = _load("regexp_test")


def _id(text: str) -> str:
    if not text:
        return "<empty>"
    return text if len(text) <= 60 else f"{text[:40]}...<{len(text)} chars>"


def _params(table: list, key: str = "input") -> list:
    return [pytest.param(case, id=_id(case[key])) for case in table]


def _first(case: tuple) -> str:
    return _id(case[0])


def _strings(texts: list[str]) -> list:
    return [pytest.param(text, id=_id(text)) for text in texts]


def _go_domain(name: str) -> str:
    """Go's Domain() of a parsed reference: the anchored name regexp's split."""
    match = imageref._ANCHORED_NAME_RE.match(name)
    assert match is not None
    return match.group("domain") or ""


# --- reference_test.go ---------------------------------------------------------------


@pytest.mark.parametrize("case", _params(REFERENCE["TestReferenceParse"]))
def test_reference_parse(case: dict) -> None:
    expected = {**case, **case.get("onetag", {})}
    if "error" in expected and "onetag" not in case:
        with pytest.raises(ReferenceError) as err:
            parse(case["input"])
        assert err.value.kind == GO_ERRORS[case["error"]]
        assert not is_reference(case["input"])
        return
    ref = parse(case["input"])
    assert str(ref) == case["input"]
    assert (ref.name, ref.domain, ref.tag, ref.digest) == (
        expected["name"],
        expected["domain"],
        expected["tag"],
        expected["digest"],
    )
    if "domain" in case:
        assert _go_domain(ref.name) == case["domain"]


@pytest.mark.parametrize("case", _params(REFERENCE["TestDomainAndPath"]))
def test_domain_and_path(case: dict) -> None:
    ref = parse(case["input"])
    assert (ref.domain, ref.path) == (case["domain"], case["path"])


@pytest.mark.parametrize("case", _params(REFERENCE["TestSerialization"], key="description"))
def test_serialization(case: dict) -> None:
    if "error" in case:
        with pytest.raises(ReferenceError) as err:
            parse(case["input"])
        assert err.value.kind == GO_ERRORS[case["error"]]
        return
    ref = parse(case["input"])
    assert (ref.name, ref.tag, ref.digest) == (case["name"], case["tag"], case["digest"])
    assert str(ref) == case["input"]


@pytest.mark.parametrize(
    "case", _params(REFERENCE["TestWithTag"] + REFERENCE["TestWithDigest"], key="combined")
)
def test_with_tag_and_digest_as_replace(case: dict) -> None:
    ref = parse(case["name"]).replace(tag=case["tag"], digest=case["digest"])
    assert str(ref) == case["combined"]


@pytest.mark.parametrize("case", _params(REFERENCE["TestParseNamed"]))
def test_parse_named(case: dict) -> None:
    # ParseNamed = ParseNormalizedNamed whose string must equal the input.
    ref = parse_normalized(case["input"])
    if "error" in case:
        assert str(ref) != case["input"]
        return
    assert str(ref) == case["input"]
    assert (ref.domain, ref.path) == (case["domain"], case["path"])


# --- normalize_test.go ---------------------------------------------------------------

VALID_NAMES = (
    NORMALIZE["TestValidateReferenceName"]["valid"] + NORMALIZE["TestValidateRemoteName"]["valid"]
)
INVALID_NAMES = (
    NORMALIZE["TestValidateReferenceName"]["invalid"]
    + NORMALIZE["TestValidateRemoteName"]["invalid"]
    + [case["input"] for case in NORMALIZE["TestInvalidReferenceComponents"]]
)


@pytest.mark.parametrize("text", _strings(VALID_NAMES))
def test_parse_normalized_accepts(text: str) -> None:
    ref = parse_normalized(text)
    assert ref.normalized() == ref


@pytest.mark.parametrize("text", _strings(INVALID_NAMES))
def test_parse_normalized_rejects(text: str) -> None:
    with pytest.raises(ReferenceError):
        parse_normalized(text)


def _repository_info_params() -> list:
    params = []
    for index, case in enumerate(NORMALIZE["TestParseRepositoryInfo"]):
        texts = [case["FamiliarName"], case["FullName"]]
        if case["AmbiguousName"]:
            texts.append(case["AmbiguousName"])
        params += [pytest.param(case, text, id=f"{index}/{text}") for text in texts]
    return params


@pytest.mark.parametrize(("case", "text"), _repository_info_params())
def test_parse_repository_info(case: dict, text: str) -> None:
    ref = parse_normalized(text)
    assert ref.familiar() == case["FamiliarName"]
    assert str(ref) == ref.canonical() == case["FullName"]
    assert ref.domain == case["Domain"]
    assert ref.path == ref.repository == case["RemoteName"]


@pytest.mark.parametrize("case", _params(NORMALIZE["TestParseReferenceWithTagAndDigest"]))
def test_parse_reference_with_tag_and_digest(case: dict) -> None:
    ref = parse_normalized(case["input"])
    assert ref.canonical() == case["canonical"]
    assert ref.familiar() == case["familiar"]
    assert (ref.tag is not None, ref.digest is not None) == (case["tagged"], case["digested"])


@pytest.mark.parametrize("case", _params(NORMALIZE["TestParseAnyReference"], key="Reference"))
def test_parse_any_reference(case: dict) -> None:
    ref = parse_normalized(case["Reference"])
    assert ref.canonical() == case["Equivalent"]
    assert ref == parse(case["Equivalent"])


@pytest.mark.parametrize("case", _params(NORMALIZE["TestNormalizedSplitHostname"]))
def test_normalized_split_hostname(case: dict) -> None:
    ref = parse_normalized(case["input"])
    assert (ref.domain, ref.path) == (case["domain"], case["path"])


@pytest.mark.parametrize("case", _params(NORMALIZE["TestParseDockerRef"], key="name"))
def test_parse_docker_ref(case: dict) -> None:
    # ParseDockerRef: a digested reference drops its tag, a bare name gets :latest.
    ref = parse_normalized(case["input"])
    ref = ref.replace(tag=None) if ref.digest else ref.with_latest()
    assert str(ref) == case["expected"]
    assert is_reference(str(ref))


# --- regexp_test.go ------------------------------------------------------------------


def _check_regexp(pattern, case: dict, groups: tuple[str, ...]) -> None:
    match = pattern.match(case["input"])
    assert (match is not None) == case["match"]
    if match is not None and "subs" in case:
        assert [match.group(g) or "" for g in groups] == case["subs"]


@pytest.mark.parametrize("case", _params(REGEXP["TestDomainRegexp"]))
def test_domain_regexp(case: dict) -> None:
    _check_regexp(imageref._DOMAIN_RE, case, ())


@pytest.mark.parametrize("case", _params(REGEXP["TestFullNameRegexp"]))
def test_full_name_regexp(case: dict) -> None:
    _check_regexp(imageref._ANCHORED_NAME_RE, case, ("domain", "path"))


@pytest.mark.parametrize("case", _params(REGEXP["TestReferenceRegexp"]))
def test_reference_regexp(case: dict) -> None:
    _check_regexp(REFERENCE_RE, case, ("name", "tag", "digest"))


@pytest.mark.parametrize("case", _params(REGEXP["TestIdentifierRegexp"]))
def test_identifier_regexp(case: dict) -> None:
    _check_regexp(imageref._IDENTIFIER_RE, case, ())


def test_regexp_groups() -> None:
    assert list(REFERENCE_RE.groupindex) == ["name", "tag", "digest"]
    assert REFERENCE_RE.groups == 3
    assert imageref._ANCHORED_NAME_RE.groups == 2


# --- our own API ---------------------------------------------------------------------

AS_WRITTEN = [
    ("node:20", "", "node", "20", None),
    ("node", "", "node", None, None),
    ("library/node", "", "library/node", None, None),
    ("docker.io/library/node", "docker.io", "library/node", None, None),
    ("index.docker.io/acme/app:1", "index.docker.io", "acme/app", "1", None),
    ("acme/sandbox-arm:0.0.9", "", "acme/sandbox-arm", "0.0.9", None),
    ("localhost/app", "localhost", "app", None, None),
    ("localhost:5000/a/b:c@" + SHA, "localhost:5000", "a/b", "c", SHA),
    ("[::1]:5000/x", "[::1]:5000", "x", None, None),
    ("ghcr.io/org/app@" + SHA, "ghcr.io", "org/app", None, SHA),
    ("registry:5000/app", "registry:5000", "app", None, None),
]


@pytest.mark.parametrize("case", AS_WRITTEN, ids=_first)
def test_parse_keeps_spelling(case: tuple) -> None:
    text, domain, path, tag, digest = case
    ref = parse(text)
    assert ref == ImageRef(domain, path, tag, digest)
    assert str(ref) == text
    assert parse(str(ref)) == ref


HUB = "registry-1.docker.io"
FORMS = [
    # text, familiar, canonical, registry_host, repository
    ("node:20", "node:20", "docker.io/library/node:20", HUB, "library/node"),
    ("docker.io/library/node", "node", "docker.io/library/node", HUB, "library/node"),
    ("index.docker.io/node", "node", "docker.io/library/node", HUB, "library/node"),
    ("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", HUB, "library/foo/bar"),
    ("arm64v8/node:20", "arm64v8/node:20", "docker.io/arm64v8/node:20", HUB, "arm64v8/node"),
    ("ghcr.io/a/b:1", "ghcr.io/a/b:1", "ghcr.io/a/b:1", "ghcr.io", "a/b"),
    ("localhost:5000/app", "localhost:5000/app", "localhost:5000/app", "localhost:5000", "app"),
    ("[::1]:5000/app", "[::1]:5000/app", "[::1]:5000/app", "[::1]:5000", "app"),
    ("ghcr.io/app", "ghcr.io/app", "ghcr.io/app", "ghcr.io", "app"),  # library/ is Docker Hub only
]


@pytest.mark.parametrize("case", FORMS, ids=_first)
def test_forms(case: tuple) -> None:
    text, familiar, canonical, host, repository = case
    ref = parse(text)
    assert ref.familiar() == familiar
    assert ref.canonical() == canonical
    assert ref.registry_host == host
    assert ref.repository == repository
    assert parse_normalized(text) == ref.normalized()
    assert parse_normalized(familiar).canonical() == canonical


def test_canonical_does_not_add_latest() -> None:
    assert parse("node").canonical() == "docker.io/library/node"
    assert parse("node").with_latest().canonical() == "docker.io/library/node:latest"
    assert parse("node:20").with_latest() == parse("node:20")
    assert parse("node@" + SHA).with_latest() == parse("node@" + SHA)


def test_replace_keeps_the_rest_as_written() -> None:
    ref = parse("docker.io/ghostwriternr/cloudflare-sandbox-arm:0.0.9")
    new = ref.replace(path="ghostwriternr/cloudflare-sandbox")
    assert str(new) == "docker.io/ghostwriternr/cloudflare-sandbox:0.0.9"
    assert str(parse("node:20-arm64").replace(tag="20")) == "node:20"
    assert str(parse("arm64v8/node:20").replace(path="node")) == "node:20"
    assert str(parse("app:1@" + SHA).replace(digest=None)) == "app:1"
    assert ref.replace() == ref


def test_frozen() -> None:
    with pytest.raises(AttributeError):
        parse("node").tag = "x"  # type: ignore[misc]


ERRORS = [
    (
        "",
        "name_empty",
        'invalid reference format: repository name must have at least one component: ""',
    ),
    (
        "Foo/Bar",
        "name_uppercase",
        'invalid reference format: repository name must be lowercase: "Foo/Bar"',
    ),
    ("a b", "invalid_format", 'invalid reference format: "a b"'),
    ("a\nb", "invalid_format", 'invalid reference format: "a\\nb"'),
    ('a"b', "invalid_format", 'invalid reference format: "a\\"b"'),
    ("x@sha256:" + "a" * 40, "digest_invalid_length", None),
    ("x@sha256:" + "A" * 64, "digest_invalid_format", None),
    ("x@SHA256:" + "a" * 64, "digest_invalid_format", None),
    ("x@md5:" + "a" * 32, "digest_unsupported", None),
    ("x@sha384:" + "a" * 64, "digest_invalid_length", None),
    ("a" * 256, "name_too_long", None),
    ("\u0130mage", "name_uppercase", None),  # Go lowercases U+0130 to a plain "i"
]


@pytest.mark.parametrize("case", ERRORS, ids=_first)
def test_errors(case: tuple) -> None:
    text, kind, message = case
    with pytest.raises(ReferenceError) as err:
        parse(text)
    assert err.value.kind == kind
    assert err.value.text == text
    assert isinstance(err.value, ValueError)
    assert len(str(err.value).splitlines()) == 1
    if message is not None:
        assert str(err.value) == message


@pytest.mark.parametrize("algorithm,length", [("sha256", 64), ("sha384", 96), ("sha512", 128)])
def test_digest_algorithms(algorithm: str, length: int) -> None:
    assert parse(f"x@{algorithm}:{'a' * length}").digest == f"{algorithm}:{'a' * length}"
    assert not is_reference(f"x@{algorithm}:{'a' * (length + 2)}")


NORMALIZED_ERRORS = [
    ("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "name_is_identifier"),
    ("docker/Docker", "name_uppercase"),
    ("a" * 250, "name_too_long"),  # library/ makes it too long
    ("", "invalid_format"),  # Go parses "docker.io/library/" here
]


@pytest.mark.parametrize("case", NORMALIZED_ERRORS, ids=_first)
def test_parse_normalized_errors(case: tuple) -> None:
    text, kind = case
    with pytest.raises(ReferenceError) as err:
        parse_normalized(text)
    assert err.value.kind == kind
    assert err.value.text == text


def test_familiar_is_lossy_as_in_go() -> None:
    # A Docker Hub namespace that looks like a host loses its meaning once docker.io/ is dropped.
    ref = parse_normalized("docker.io/foo.com/bar")
    assert ref.familiar() == "foo.com/bar"
    assert parse_normalized(ref.familiar()).domain == "foo.com"


def test_first_component_that_is_not_a_valid_host() -> None:
    # Go's splitDockerDomain calls "foo_bar.com" a domain, then its regexp cannot, and Go
    # returns a reference with no domain at all. An ImageRef without a domain is Docker Hub.
    ref = parse_normalized("foo_bar.com/x")
    assert (ref.domain, ref.path) == ("docker.io", "foo_bar.com/x")
    assert ref.familiar() == "foo_bar.com/x"


def test_parse_keeps_what_normalizing_rejects() -> None:
    # parse is Go's Parse: a 64-hex name and a 250-character name are valid as written.
    assert is_reference("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a")
    assert is_reference("a" * 250)


LONG_INVALID = [
    "a" * 100_000 + "!",
    "a-" * 50_000 + "!",
    "ab." * 30_000 + ":x/y",
    "[" + ":" * 100_000,
]


@pytest.mark.parametrize("text", _strings(LONG_INVALID))
def test_long_input_is_fast(text: str) -> None:
    start = time.perf_counter()
    assert not is_reference(text)
    assert time.perf_counter() - start < 1.0


# --- properties ----------------------------------------------------------------------

# st.from_regex(REFERENCE_RE) is slow and mostly yields bad digests; build reference-like text
# from the grammar's pieces instead, plus jumbles of its punctuation and arbitrary text.
_COMPONENT = st.text(alphabet="abz019._-", min_size=1, max_size=6)
_REFISH = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(
        ["", "docker.io/", "index.docker.io/", "localhost/", "localhost:5000/", "ghcr.io/"]
        + ["[::1]:5000/", "Foo/", "foo_bar.com/", "192.168.0.1:80/", "a-b/"]
    ),
    st.lists(_COMPONENT, min_size=1, max_size=3).map("/".join),
    st.sampled_from(["", ":20", ":latest", ":Tag_1.0-x", ":-bad", ":" + "t" * 129]),
    st.sampled_from(["", "@" + SHA, "@sha512:" + "b" * 128, "@sha256:abc", "@md5:" + "c" * 32]),
)
_JUMBLE = st.text(alphabet="aZ09._-:/@[]%\n\u0130")
ANY_TEXT = st.text() | _REFISH | _JUMBLE


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_parse_returns_text_as_written_or_raises_reference_error(text: str) -> None:
    try:
        ref = parse(text)
    except ReferenceError as err:
        assert len(str(err).splitlines()) == 1
        return
    assert str(ref) == text
    assert parse(str(ref)) == ref
    normalized = ref.normalized()
    assert normalized.normalized() == normalized
    assert normalized.familiar() == ref.familiar()


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_parse_normalized_is_normalized_or_raises_reference_error(text: str) -> None:
    try:
        ref = parse_normalized(text)
    except ReferenceError:
        return
    assert ref.normalized() == ref
    assert parse(str(ref)) == ref
    assert parse_normalized(ref.canonical()) == ref
