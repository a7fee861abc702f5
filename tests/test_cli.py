"""The CLI as users run it: exit codes, output formats (snapshots), dirty-tree refusal, config errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from onetag.cli import cli

ROOT = Path(__file__).resolve().parent.parent
LINT = ROOT / "fixtures" / "lint"


def invoke(*args: str, cwd: Path | None = None):
    """Run the CLI through main() semantics: returned ints become the exit code."""
    runner = CliRunner()
    old = Path.cwd()
    if cwd:
        os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), catch_exceptions=False, standalone_mode=True)
    finally:
        os.chdir(old)
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(LINT, tmp_path / "p")
    return tmp_path / "p"


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_lint_formats_snapshot(fmt: str, project: Path, snapshot) -> None:
    result = invoke("lint", "--format", fmt, ".", cwd=project)
    assert result.exit_code == 1
    snapshot.assert_match(result.stdout, f"lint.{fmt}")


def test_lint_json_fields(project: Path) -> None:
    result = invoke("lint", "--format", "json", ".", cwd=project)
    data = json.loads(result.stdout)
    first = data[0]
    assert set(first) >= {"path", "line", "col", "end_line", "end_col", "code", "message", "severity", "fix"}
    assert {d["code"] for d in data} == {"OT101", "OT102", "OT104", "OT201"}


def test_inline_ignore(project: Path) -> None:
    result = invoke("lint", "--format", "json", ".", cwd=project)
    assert not any("other-arm" in d["message"] for d in json.loads(result.stdout))


def test_select_and_ignore(project: Path) -> None:
    only = json.loads(invoke("lint", "--format", "json", "--select", "OT102", ".", cwd=project).stdout)
    assert {d["code"] for d in only} == {"OT102"}
    none = invoke("lint", "--ignore", "OT1,OT2", ".", cwd=project)
    assert none.exit_code == 0 and none.stdout == ""


def test_lint_clean_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:20\n")
    assert invoke("lint", str(tmp_path)).exit_code == 0


def test_bad_rule_code_is_usage_error(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "onetag", "lint", "--select", "XYZ", str(project)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("onetag: error: 'XYZ' is not a rule code")
    assert "Traceback" not in result.stderr


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "onetag", "lint", str(tmp_path / "nope")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("bogus = 1\n", "bogus: unknown key"),
        ("platforms = 'linux/amd64'\n", "platforms: must be a list of strings"),
        ("platforms = ['amd64']\n", "'amd64' is not a platform"),
        ("[build]\nbackend = 'kaniko'\n", "build.backend: must be buildx"),
        ("[images]\nx = 1\n", "images.x: must be a string"),
        ("platforms = [\n", "cannot read configuration"),
    ],
)
def test_config_errors_are_one_line(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / ".onetag.toml").write_text(config)
    (tmp_path / "Dockerfile").write_text("FROM node:20\n")
    result = subprocess.run([sys.executable, "-m", "onetag", "lint", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and str(tmp_path / ".onetag.toml") in result.stderr


def test_pyproject_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.onetag]\nignore = ["OT102"]\n')
    (tmp_path / "Dockerfile").write_text("FROM arm64v8/node:20\n")
    assert invoke("lint", str(tmp_path)).exit_code == 0


def test_migrate_diff_and_check_write_nothing(project: Path) -> None:
    before = {p.name: p.read_bytes() for p in project.iterdir()}
    diff = invoke("migrate", "--diff", "--allow-dirty", ".", cwd=project)
    assert diff.exit_code == 0
    assert "-# FROM docker.io/ghostwriternr/cloudflare-sandbox-arm:0.0.9" in diff.stdout
    assert "+FROM node:20 AS build" in diff.stdout
    check = invoke("migrate", "--check", ".", cwd=project)
    assert check.exit_code == 1
    assert {p.name: p.read_bytes() for p in project.iterdir()} == before


def test_migrate_writes_then_is_idempotent(project: Path) -> None:
    first = invoke("migrate", "--allow-dirty", ".", cwd=project)
    assert first.exit_code == 0
    assert "Dockerfile: fixed 1 (OT104)" in first.stdout
    assert "left for you" in first.stderr  # acme/app-arm has no evidence: listed, not guessed
    assert invoke("migrate", "--check", ".", cwd=project).exit_code == 0


def test_migrate_image_option_applies_mapping(project: Path) -> None:
    invoke("migrate", "--allow-dirty", "--image", "acme/app-arm=acme/app", ".", cwd=project)
    assert "linux/amd64 acme/app:1.0\n" in (project / "web.Dockerfile").read_text()


def test_migrate_image_option_bad_value(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "onetag", "migrate", "--image", "nope", str(project)], capture_output=True, text=True)
    assert result.returncode == 2 and "expected OLD=NEW" in result.stderr


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def test_console_script_refuses_dirty_tree(project: Path) -> None:
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "init")
    (project / "Dockerfile").write_text((project / "Dockerfile").read_text() + "\n# local edit\n")
    onetag = shutil.which("onetag", path=str(Path(sys.executable).parent))
    assert onetag, "the console script is installed"
    result = subprocess.run([onetag, "migrate", "."], cwd=project, capture_output=True, text=True)
    assert result.returncode == 2
    assert "Dockerfile has uncommitted changes" in result.stderr and "--allow-dirty" in result.stderr
    assert "local edit" in (project / "Dockerfile").read_text()
    result = subprocess.run([onetag, "migrate", "--allow-dirty", "."], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "cloudflare-sandbox-arm" not in (project / "Dockerfile").read_text()


def test_gitignored_files_are_skipped(project: Path) -> None:
    _git(project, "init", "-q")
    (project / ".gitignore").write_text("web.Dockerfile\n")
    data = json.loads(invoke("lint", "--format", "json", ".", cwd=project).stdout)
    assert {d["path"] for d in data} == {"Dockerfile"}


def test_unreadable_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_bytes(b"# caf\xe9\nFROM arm64v8/node:20\n")
    result = invoke("migrate", "--allow-dirty", str(tmp_path))
    assert "not valid UTF-8" in result.stderr
    assert bad.read_bytes() == b"# caf\xe9\nFROM arm64v8/node:20\n"
    assert invoke("lint", str(tmp_path)).exit_code == 1


def test_rules_command() -> None:
    result = invoke("rules", "OT104")
    assert result.exit_code == 0 and "per-arch-alternative" in result.stdout and "Use instead" in result.stdout
    assert invoke("rules").stdout.count("What it does") >= 10
    assert invoke("rules", "OT999").exit_code == 2


def test_version_imports_no_parser() -> None:
    code = "import sys; from onetag.cli import main\ntry:\n main(['--version'])\nexcept SystemExit: pass\nprint(sorted(m for m in ('libcst','markdown_it','yaml','httpx','tree_sitter','dockerfile_parse') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().endswith("[]"), out.stdout


def test_parallel_scan_matches_serial(tmp_path: Path, monkeypatch) -> None:
    from onetag import engine
    from onetag.config import Config

    for i in range(40):
        (tmp_path / f"s{i}.Dockerfile").write_text(f"FROM arm64v8/node:{i}\n# FROM acme/app-arm:{i}\nFROM acme/app:{i}\n")
    from onetag import parallel

    monkeypatch.setattr(parallel, "PARALLEL_MIN_ITEMS", 1)
    serial = engine.build_findings(engine.scan_paths([tmp_path], Config(), jobs=1), Config(), engine.Options())
    parallel = engine.build_findings(engine.scan_paths([tmp_path], Config(), jobs=2), Config(), engine.Options())
    assert parallel == serial and len(serial) == 40


def test_progress_only_for_a_person_at_a_terminal(monkeypatch) -> None:
    from onetag import commands

    class Tty:
        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            pass

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert commands._progress(False) is None  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr", Tty())
    wrap = commands._progress(False)
    assert wrap is not None and list(wrap(iter(range(1500)), 1500)) == list(range(1500))
    assert commands._progress(True) is None  # --no-progress
    monkeypatch.setenv("CI", "true")
    assert commands._progress(False) is None
