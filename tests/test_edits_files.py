"""Edits splice exactly; files keep BOM, newlines and mode; writes are atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onetag import files
from onetag.edits import Edit, LineIndex, OverlappingEdits, Span, apply_edits


def test_apply_edits_in_any_order() -> None:
    text = "FROM a-arm:1\nFROM b-arm:2\n"
    edits = [Edit(Span(18, 23), "b"), Edit(Span(5, 10), "a")]
    assert apply_edits(text, edits) == "FROM a:1\nFROM b:2\n"


def test_identical_duplicates_collapse_overlaps_raise() -> None:
    assert apply_edits("abc", [Edit(Span(0, 1), "x"), Edit(Span(0, 1), "x")]) == "xbc"
    with pytest.raises(OverlappingEdits):
        apply_edits("abcdef", [Edit(Span(0, 3), "x"), Edit(Span(2, 4), "y")])
    with pytest.raises(OverlappingEdits):
        apply_edits("abc", [Edit(Span(1, 1), "x"), Edit(Span(1, 1), "y")])
    with pytest.raises(OverlappingEdits):
        apply_edits("abc", [Edit(Span(2, 9), "x")])


@given(st.text(max_size=200))
def test_no_edits_is_identity(text: str) -> None:
    assert apply_edits(text, []) == text


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_index(newline: str) -> None:
    text = newline.join(["ab", "cde", "", "f"])
    index = LineIndex(text)
    offset = text.index("d")
    assert index.position(offset) == (2, 2)
    assert index.position(text.index("f")) == (4, 1)
    assert text[index.line_start(2) : index.line_end(2)] == "cde"
    assert text[index.line_start(2) : index.line_end(2, keep_newline=True)] == "cde" + newline


def test_mixed_newlines_positions() -> None:
    index = LineIndex("a\r\nb\nc\rd")
    assert [index.position(i)[0] for i in (0, 3, 5, 7)] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "raw",
    [b"FROM a\n", b"\xef\xbb\xbfFROM a\r\n", b"FROM a\r\nRUN b\nRUN c\r", b"FROM \xc3\xa9"],
    ids=["lf", "bom-crlf", "mixed", "non-ascii"],
)
def test_read_write_roundtrip_is_byte_exact(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(raw)
    text_file = files.read_text(path)
    files.write_text(text_file, text_file.text)
    assert path.read_bytes() == raw


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM a\n# caf\xe9\n")
    with pytest.raises(files.UnreadableFile, match=r"Dockerfile:2: not valid UTF-8"):
        files.read_text(path)


def test_write_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    path.write_text("x")
    os.chmod(path, 0o751)
    files.write_atomic(path, b"y")
    assert path.stat().st_mode & 0o777 == 0o751 and path.read_bytes() == b"y"


def test_failure_between_write_and_rename_leaves_original(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"original\n")

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(files, "_rename", boom)
    with pytest.raises(OSError):
        files.write_atomic(path, b"new\n")
    assert path.read_bytes() == b"original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]  # no temp file left behind
