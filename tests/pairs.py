"""Fixture pairs: ``<case>.in.<ext>`` must migrate to ``<case>.out.<ext>`` (or stay as it is)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from onetag.cli import cli


def cases(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.in.*"))


def params(folder: Path) -> list:
    """One pytest param per case of ``folder``, with the case name as its id."""
    import pytest

    return [pytest.param(source, id=case_id(source)) for source in cases(folder)]


def plain_name(source: Path) -> str:
    """``case.in.ext`` -> ``case.ext`` (the name a handler routes by)."""
    case, _, ext = source.name.partition(".in.")
    return f"{case}.{ext}"


def case_id(path: Path) -> str:
    return path.name.split(".in.")[0]


def expected_for(source: Path) -> Path:
    """The ``.out`` twin, or the input itself for a must-not-change case."""
    out = source.with_name(source.name.replace(".in.", ".out.", 1))
    return out if out.exists() else source


def migrate(folder: Path, *args: str) -> tuple[int, str]:
    """Run ``onetag migrate`` on ``folder`` with the real CLI; (exit code, output)."""
    result = CliRunner().invoke(cli, ["migrate", "--allow-dirty", *args, str(folder)], catch_exceptions=False)
    return result.exit_code, result.output


def check_pair(source: Path, tmp_path: Path, name: str | None = None) -> Path:
    """Copy ``source`` into tmp_path as ``name`` (with a sidecar ``<case>.onetag.toml``), migrate
    twice, and assert the first run gives the expected bytes and the second changes nothing."""
    target = tmp_path / (name or plain_name(source))
    shutil.copyfile(source, target)
    sidecar = source.with_name(case_id(source) + ".onetag.toml")
    if sidecar.exists():
        shutil.copyfile(sidecar, tmp_path / ".onetag.toml")
    code, output = migrate(tmp_path)
    assert code == 0, output
    assert target.read_bytes() == expected_for(source).read_bytes(), output
    first = target.read_bytes()
    code, output = migrate(tmp_path)
    assert code == 0, output
    assert target.read_bytes() == first, "second migrate run changed the file"
    return target


def positions(path: Path, select: str = "OT1") -> list[tuple[int, int, str]]:
    """(line, col, code) of every finding ``onetag lint`` reports for ``path``."""
    import json

    result = CliRunner().invoke(cli, ["lint", "--format", "json", "--select", select, str(path)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return [(f["line"], f["col"], f["code"]) for f in json.loads(result.stdout)]
