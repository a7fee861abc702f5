"""Python handler: fixture pairs through `onetag migrate`, lint positions, random text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pairs import check_pair, migrate, params, positions
from onetag.finding import Context
from onetag.migrate import python as python_handler

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "python"


@pytest.mark.parametrize("case", params(FIXTURES))
def test_fixture_pair(case: Path, tmp_path: Path) -> None:
    check_pair(case, tmp_path)


def test_string_positions() -> None:
    assert positions(FIXTURES / "strings.in.py") == [
        (4, 9, "OT102"), (5, 12, "OT101"), (7, 9, "OT102"), (8, 12, "OT102"),
        (10, 16, "OT101"), (11, 23, "OT101"), (14, 16, "OT101"),
    ]


def test_non_ascii_positions_are_characters() -> None:
    assert positions(FIXTURES / "unicode.in.py") == [(3, 10, "OT102"), (4, 27, "OT102")]


def test_noop_has_no_findings() -> None:
    assert positions(FIXTURES / "noop.in.py") == []


def test_invalid_python_is_an_error() -> None:
    found = python_handler.scan((FIXTURES / "invalid.in.py").read_text(), Context(Path("x.py")))
    assert found.error and "\n" not in found.error and found.refs == ()


def test_fstring_expressions_are_never_references() -> None:
    text = 'x = f"{image}-arm64:1 acme/app-arm:{tag}"\n'
    found = python_handler.scan(text, Context(Path("x.py")))
    assert [text[r.span.start : r.span.end] for r in found.refs] == ["acme/app-arm"]


_PY_BITS = st.sampled_from(
    ['"', "'", '"""', "f'", 'f"', "r'", "b'", "{", "}", "{x}", "\\", "\n", "\r\n", "    ", "x = ", "(", ")", "[",
     "]", ", ", "#", "acme/app-arm:1", "arm64v8/node:20", "docker run ", "image=", "é", "☃", "\t", ":"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PY_BITS, st.text(max_size=4)), max_size=30).map("".join))
def test_random_text_never_raises(text: str) -> None:
    found = python_handler.scan(text, Context(Path("x.py")))
    for site in found.refs:
        assert 0 <= site.span.start <= site.span.end <= len(text)
        if not site.evidence_only:
            assert text[site.span.start : site.span.end] == site.text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(['x = "node:20"\n', 'y = "build-arm"\n', "# charm\n", 'z = f"{a}:farm"\n',
                                      "\r\n", "def f(image='acme/app:1'):\n    pass\n", "é = 1\n"]), max_size=12).map("".join))
def test_files_without_findings_stay_identical(text: str, tmp_path_factory) -> None:
    target = tmp_path_factory.mktemp("py") / "script.py"
    target.write_bytes(text.encode())
    code, output = migrate(target)
    assert code in (0, 1), output
    assert target.read_bytes() == text.encode()
