"""YAML handler: fixture pairs through `onetag migrate`, lint positions, random text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pairs import check_pair, migrate, params, positions
from onetag.finding import Context
from onetag.migrate import yaml as yaml_handler

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "yaml"


@pytest.mark.parametrize("case", params(FIXTURES))
def test_fixture_pair(case: Path, tmp_path: Path) -> None:
    check_pair(case, tmp_path)


def test_compose_positions() -> None:
    assert positions(FIXTURES / "compose.in.yml", "OT1,OT2") == [
        (3, 10, "OT101"), (14, 13, "OT102"), (16, 13, "OT102"), (18, 12, "OT103"), (22, 11, "OT103"),
    ]


def test_platform_pin_is_reported_not_fixed() -> None:
    assert positions(FIXTURES / "platform.in.yml", "OT1,OT2") == [(4, 15, "OT201")]


def test_workflow_positions() -> None:
    found = positions(FIXTURES / "workflow.in.yml", "OT1,OT2")
    assert found[:5] == [(8, 16, "OT102"), (11, 16, "OT102"), (13, 17, "OT102"), (16, 24, "OT102"), (22, 14, "OT102")]
    assert (27, 29, "OT101") in found  # second item of `images: acme/app, acme/app-arm`
    assert (30, 13, "OT101") in found  # a line of a `tags: |` block
    assert (33, 33, "OT101") in found  # second item of a comma list


def test_keys_are_not_references() -> None:
    assert positions(FIXTURES / "keys.in.yml", "OT1,OT2") == []


def test_invalid_yaml_names_the_line() -> None:
    text = (FIXTURES / "invalid.in.yml").read_text()
    assert yaml_handler.scan(text, Context(Path("compose.yml"))).error.startswith("line 4, column 4:")


def test_alias_is_one_reference() -> None:
    text = "x: &i acme/app-arm:1\na: {image: *i}\nb:\n  image: *i\n"
    found = yaml_handler.scan(text, Context(Path("values.yaml")))
    assert [(r.span.start, r.text) for r in found.refs] == [(6, "acme/app-arm:1")]


_YAML_BITS = st.sampled_from(
    ["\n", "\r\n", " ", "  ", "- ", "image: ", "run: ", "run: |\n", "run: >\n", "tags: ", "with:\n", "services:\n",
     "jobs:\n", "platform: linux/amd64", "acme/app-arm:1", "arm64v8/node:20", "docker pull ", "'", '"', "&a ",
     "*a", "<<: ", "{", "}", "[", "]", ",", "#", "---\n", "\t", ":", "é", "\\n", "\x85"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_YAML_BITS, st.text(max_size=4)), max_size=40).map("".join))
def test_random_text_never_raises(text: str) -> None:
    found = yaml_handler.scan(text, Context(Path(".github/workflows/ci.yml")))
    for site in found.refs:
        assert 0 <= site.span.start <= site.span.end <= len(text)
        if not site.evidence_only:
            assert text[site.span.start : site.span.end] == site.text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(["a: b\n", "image: node:20\n", "build-arm: charm\n", "# farm\n", "- x\n",
                                      "run: echo hi\n", "---\n", "\r\n", "k: 'v'\n"]), max_size=15).map("".join))
def test_files_without_findings_stay_identical(text: str, tmp_path_factory) -> None:
    target = tmp_path_factory.mktemp("yaml") / "compose.yml"
    target.write_bytes(text.encode())
    code, output = migrate(target)
    assert code in (0, 1), output
    assert target.read_bytes() == text.encode()
