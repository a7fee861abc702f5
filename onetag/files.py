"""Reading text as it is (encoding, BOM, newlines) and writing it back atomically."""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from onetag.errors import OnetagError


class UnreadableFile(OnetagError):
    """A file that is not text we can edit safely; it is reported and left alone."""


@dataclass(frozen=True)
class TextFile:
    path: Path
    text: str  # decoded, newlines untouched
    bom: bool
    raw: bytes

    def encode(self, text: str) -> bytes:
        body = text.encode("utf-8")
        return codecs.BOM_UTF8 + body if self.bom else body


def read_text(path: Path) -> TextFile:
    """Read ``path`` as UTF-8 (with or without BOM) keeping every newline as it is."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UnreadableFile(f"{path}: cannot read: {err.strerror or err}") from None
    return decode(path, raw)


def decode(path: Path, raw: bytes, display: str | None = None) -> TextFile:
    """Decode ``raw`` (the bytes of ``path``); errors name ``display`` (default: the path)."""
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8) :] if bom else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        line = body[: err.start].count(b"\n") + 1
        raise UnreadableFile(f"{display or path}:{line}: not valid UTF-8; left unchanged (convert it to UTF-8 to migrate it)") from None
    return TextFile(path, text, bom, raw)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` via a temp file in the same folder and a rename.

    The file's permission bits are kept; a failure at any point leaves the original intact.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".onetag-tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        _rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _rename(src: str, dst: Path) -> None:
    # A separate function so tests can inject a failure between write and rename.
    os.replace(src, dst)


def write_text(original: TextFile, text: str) -> None:
    """Write ``text`` back with the original file's BOM and mode."""
    write_atomic(original.path, original.encode(text))
