"""JSON / JSONC handler: fixture pairs through the real CLI, the reader against json.loads, properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onetag.finding import Context
from onetag.migrate import jsonc
from tests.pairs import check_pair, params

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "json"


@pytest.mark.parametrize("source", params(FIXTURES))
def test_json_fixture(source: Path, tmp_path: Path) -> None:
    check_pair(source, tmp_path)


def _refs(text: str) -> list[tuple[str, str, bool]]:
    scan = jsonc.scan(text, Context(Path("x.json")))
    assert scan.error is None
    return [(r.text, text[r.span.start:r.span.end], r.evidence_only) for r in scan.refs]


REFS = [
    pytest.param('{"image": "acme/app-arm:1"}', [("acme/app-arm:1", "acme/app-arm:1", False)], id="value"),
    pytest.param('{"acme/app-arm:1": 1, "app-arm": "x"}', [], id="keys-are-not-references"),
    pytest.param('{"image": "app-arm"}', [("app-arm", "app-arm", False)], id="image-key-bare-name"),
    pytest.param('{"name": "app-arm", "target": "aarch64-unknown-linux-gnu"}', [], id="bare-words"),
    pytest.param('["ghcr.io/a/b-arm"]', [("ghcr.io/a/b-arm", "ghcr.io/a/b-arm", False)], id="registry-in-array"),
    pytest.param('{"cmd": "docker pull \\"a/b-arm:1\\" && true"}', [("a/b-arm:1", "a/b-arm:1", False)], id="command-with-escaped-quotes"),
    pytest.param('{"cmd": "docker pull a\\/b-arm:1"}', [("a/b-arm:1", '"docker pull a\\/b-arm:1"', True)], id="escape-inside-reference"),
    pytest.param('{"image": "a/b-arm:1" // comment\n,}', [("a/b-arm:1", "a/b-arm:1", False)], id="comment-and-trailing-comma"),
]


@pytest.mark.parametrize(("text", "expected"), REFS)
def test_references(text: str, expected: list) -> None:
    assert _refs(text) == expected


@pytest.mark.parametrize(
    "text",
    ['{"a": }', '{"a": 1', '{"a" 1}', "{'a': 1}", '{"a": "b\\x"}', '{"a": "/* no"', "[1,,]", '{"a": 1} x', "/* open", ""],
    ids=["missing-value", "unclosed", "no-colon", "single-quotes", "bad-escape", "unterminated-string", "double-comma", "trailing-text", "open-comment", "empty"],
)
def test_invalid_is_an_error(text: str) -> None:
    scan = jsonc.scan(text, Context(Path("x.json")))
    assert scan.error and "\n" not in scan.error and not scan.refs


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 0, 2, "\t"]))
def test_reader_accepts_what_json_dumps_writes(value, indent) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=bool(indent))
    jsonc.parse(text)
    decoded = [s.value for _, s in jsonc.strings(jsonc.parse(text))]
    assert all(isinstance(s, str) for s in decoded)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}[]:,"\\/*ntrue0-1. \nabu')), max_size=40))
def test_reader_agrees_with_json_loads(text: str) -> None:
    try:
        json.loads(text)
        valid = True
    except ValueError:
        valid = False
    try:
        jsonc.parse(text)
        ours = True
    except jsonc.JsonError:
        ours = False
    if valid:
        assert ours
    elif ours:
        # JSONC is wider than JSON: only comments and trailing commas may make the difference.
        assert "/" in text or "," in text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_random_text_never_raises(text: str) -> None:
    jsonc.scan(text, Context(Path("x.jsonc")))
