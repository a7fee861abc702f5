"""Robustness: a corpus of tricky Dockerfile shapes, random text through the whole engine,
symlinks, size limits, and start-up imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from onetag.config import Config
from onetag.discover import Candidate, discover
from onetag.edits import apply_edits
from onetag.engine import FileScan, Options, Run, build_findings, fixes_for, scan_file
from tests.pairs import migrate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "fixtures" / "dockerfile-corpus").glob("*.Dockerfile"))


@pytest.mark.parametrize("source", CORPUS, ids=lambda p: p.stem)
def test_corpus_lints_and_migrates_idempotently(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    shutil.copyfile(source, target)
    code, output = migrate(tmp_path)
    assert code == 0, output
    assert "internal error" not in output and "cannot parse" not in output
    first = target.read_bytes()
    migrate(tmp_path)
    assert target.read_bytes() == first


def test_corpus_heredoc_bodies_are_not_instructions() -> None:
    text = (ROOT / "fixtures" / "dockerfile-corpus" / "heredoc_many.Dockerfile").read_text()
    scan = _scan_text(text, "dockerfile")
    assert [s.text for s in scan.scan.refs] == ["alpine"]


def _scan_text(text: str, fmt: str, tmp: Path | None = None) -> FileScan:
    folder = tmp or Path(os.environ.get("TMPDIR", "/tmp"))
    path = folder / f"onetag-prop-{os.getpid()}"
    path.write_bytes(text.encode("utf-8"))
    try:
        return scan_file(Candidate(str(path), "Dockerfile", fmt), Config())
    finally:
        path.unlink()


def _migrate_text(text: str) -> tuple[str, list]:
    fs = _scan_text(text, "dockerfile")
    findings = build_findings(Run([fs]), Config(), Options()).get("Dockerfile", [])
    return apply_edits(fs.file.text, fixes_for(findings)), findings


_PIECES = ["FROM ", "arm64v8/node:20", "acme/app-arm:1", "acme/app:1", "# ", "# FROM ", "\n", "\r\n", " AS b",
           "--platform=linux/amd64 ", "\\\n", "RUN <<EOF\n", "EOF\n", "COPY --from=", "# If on arm64, use:\n", " ", "x"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
# Found by this test: a repeated flag, and flags that start a continuation line.
@example("FROM --platform=linux/amd64 --platform=linux/amd64 ")
@example("FROM \\\n--platform=linux/amd64 \narm64v8/node:20")
@example("FROM \\\n--platform=linux/amd64 # If on arm64, use:\narm64v8/node:20")
def test_engine_migrate_is_idempotent_on_random_dockerfiles(text: str) -> None:
    once, findings = _migrate_text(text)
    if not any(f.fixable for f in findings):
        assert once == text  # nothing to fix: byte-identical
    twice, again = _migrate_text(once)
    assert twice == once
    assert not any(f.fixable for f in again)


def test_symlink_out_of_tree_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM arm64v8/node:20\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Dockerfile").symlink_to(outside / "Dockerfile")
    found = discover([tree], Config(), cwd=tree)
    assert found.files == []
    assert any("symbolic link out of the scanned tree" in n for n in found.notices)


def test_symlink_inside_tree_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:20\n")
    (tmp_path / "Containerfile").symlink_to(tmp_path / "Dockerfile")
    assert len(discover([tmp_path], Config(), cwd=tmp_path).files) == 1


def test_files_over_the_size_limit_are_skipped_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM arm64v8/node:20\n" + "# pad\n" * 100)
    found = discover([tmp_path], Config(max_file_size=100), cwd=tmp_path)
    assert found.files == [] and "over the size limit" in found.notices[0]


def test_exclude_patterns(tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "Dockerfile").write_text("FROM arm64v8/node:20\n")
    (tmp_path / "Dockerfile").write_text("FROM node:20\n")
    found = discover([tmp_path], Config(exclude=("vendor/",), root=tmp_path), cwd=tmp_path)
    assert [c.rel for c in found.files] == ["Dockerfile"]


def test_lint_of_one_dockerfile_imports_no_other_parser(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM arm64v8/node:20\n")
    code = (
        "import sys\nfrom onetag.cli import main\n"
        f"try:\n main(['lint', {str(tmp_path / 'Dockerfile')!r}])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('libcst','markdown_it','yaml','httpx','tree_sitter','dockerfile_parse') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_a_file_named_explicitly_is_read_even_when_excluded(tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "Dockerfile").write_text("FROM arm64v8/node:20\n")
    config = Config(exclude=("vendor/",), root=tmp_path)
    assert [c.rel for c in discover([tmp_path / "vendor" / "Dockerfile"], config, cwd=tmp_path).files] == ["vendor/Dockerfile"]
