"""Markdown handler: fixture pairs through `onetag migrate`, lint positions, random text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pairs import check_pair, migrate, params, positions
from onetag.finding import Context
from onetag.migrate import markdown

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "markdown"


@pytest.mark.parametrize("case", params(FIXTURES))
def test_fixture_pair(case: Path, tmp_path: Path) -> None:
    check_pair(case, tmp_path)


def test_seed_positions() -> None:
    assert positions(FIXTURES / "seed.in.md") == [(8, 8, "OT104")]


def test_prose_positions() -> None:
    found = positions(FIXTURES / "prose.in.md")
    assert [f for f in found if f[2] == "OT105"] == [
        (3, 1, "OT105"),  # If you are on Apple Silicon, use the -arm image.
        (4, 1, "OT105"),  # For ARM64 machines use `acme/app-arm`.
        (6, 3, "OT105"),  # - **Raspberry Pi users**: ... instead.
        (10, 1, "OT105"),  # | amd64 | `acme/app` |
        (11, 1, "OT105"),  # | arm64 | `acme/app-arm` |
    ]
    assert (4, 25, "OT101") in found and (11, 12, "OT101") in found


def test_crlf_positions() -> None:
    assert positions(FIXTURES / "crlf.in.md") == [(6, 8, "OT104"), (10, 6, "OT102")]


def test_words_have_no_findings() -> None:
    assert positions(FIXTURES / "words.in.md") == []


def test_inline_code_spans_are_exact() -> None:
    text = "Run ``docker pull acme/app-arm:1`` or `arm64v8/node:20`, not `charm`.\n"
    found = markdown.scan(text, Context(Path("README.md")))
    assert sorted(text[r.span.start : r.span.end] for r in found.refs) == ["acme/app-arm:1", "arm64v8/node:20"]


@pytest.mark.parametrize(
    "sentence",
    [
        "If you are on Apple Silicon, use the -arm image.",
        "For ARM64 machines use `acme/app-arm`.",
        "On a Raspberry Pi, pull `acme/app:1-arm64` instead.",
        "Apple Silicon users should use the arm64 tag.",
    ],
)
def test_ot105_finds(sentence: str) -> None:
    found = markdown.scan(f"Intro.\n\n{sentence}\n", Context(Path("README.md")))
    assert [(p.code, p.span.start) for p in found.problems] == [("OT105", 8)]


@pytest.mark.parametrize(
    "sentence",
    [
        "onetag supports arm64 and amd64.",
        "The image is multi-arch.",
        "It runs on amd64 and arm64 hosts alike.",
        "Use the same image on Apple Silicon and on Intel.",
        "You can use onetag on a Raspberry Pi.",
        "Docker pulls the arm64 variant by itself when you are on arm64.",
        "The charm of the farm is its harmony.",
    ],
)
def test_ot105_precise(sentence: str) -> None:
    assert markdown.scan(f"{sentence}\n", Context(Path("README.md"))).problems == ()


_MARKDOWN_BITS = st.sampled_from(
    ["\n", "\r\n", "\r", " ", "    ", "> ", "- ", "1. ", "`", "``", "```", "```dockerfile", "```yaml", "```sh", "~~~",
     "|", "---", "#", "FROM ", "# FROM ", "acme/app-arm:1", "arm64v8/node:20", "If you are on arm64, use ",
     "image: ", "docker pull ", "charm", "-arm", "\t", "<!--", "-->", "\\", "é", "\u2028", "\x00"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_MARKDOWN_BITS, st.text(max_size=5)), max_size=40).map("".join))
def test_random_text_never_raises(text: str) -> None:
    found = markdown.scan(text, Context(Path("README.md")))
    for site in found.refs:
        assert 0 <= site.span.start <= site.span.end <= len(text)
        if not site.evidence_only:
            assert text[site.span.start : site.span.end] == site.text
    for problem in found.problems:
        assert 0 <= problem.span.start <= problem.span.end <= len(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(["# Title\n", "text ", "`code`", "```\n", "charm ", "farm\n", "> quote\n",
                                 "| a | b |\n", "    indented\n", "\r\n", "node:20 ", "acme/app:1"]), max_size=20).map("".join))
def test_files_without_findings_stay_identical(text: str, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("md")
    target = folder / "README.md"
    target.write_bytes(text.encode())
    code, output = migrate(target)
    assert code in (0, 1), output
    assert target.read_bytes() == text.encode()
