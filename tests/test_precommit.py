"""The pre-commit hooks: a valid manifest whose `files` match our handlers, run by pre-commit itself.

The try-repo tests install this repository into pre-commit's own virtualenv (pip, from PyPI for
the dependencies): 10-20 s per pre-commit run here, two runs in all, so they are marked slow
(`-m "not slow"` skips them).
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from onetag.migrate import PATTERNS

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
HOOKS = {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}


def test_the_manifest_is_valid_for_pre_commit():
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(MANIFEST))
    assert [h["id"] for h in hooks] == ["onetag-lint", "onetag-migrate"]
    assert {h["language"] for h in hooks} == {"python"}


def test_entries():
    assert HOOKS["onetag-lint"]["entry"] == "onetag lint"
    assert HOOKS["onetag-migrate"]["entry"] == "onetag migrate --allow-dirty"
    assert HOOKS["onetag-lint"]["files"] == HOOKS["onetag-migrate"]["files"]


def _examples(pattern: str) -> list[str]:
    """File names a glob matches: each * as nothing and as a word."""
    return sorted({pattern.replace("*", ""), pattern.replace("*", "web")} - {""})


HANDLED = sorted({name for patterns in PATTERNS.values() for p in patterns for name in _examples(p)})
NOT_HANDLED = [
    "Dockerfilex", "MyDockerfile", "Containerfilex", "notes.txt", "setup.cfg", "pyproject.toml", "script.ps1",
    "image.png", "Makefile.am", "README", "x.mdown", "a.jsonl", "docker-compose.yml.bak", "x.pyc", ".dockerignore",
]


def _handled(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for patterns in PATTERNS.values() for p in patterns)


@pytest.mark.parametrize("name", HANDLED + NOT_HANDLED)
@pytest.mark.parametrize("folder", ["", "deep/er/"], ids=["top", "nested"])
def test_files_matches_exactly_the_names_onetags_handlers_read(name, folder):
    files = re.compile(HOOKS["onetag-lint"]["files"])
    assert bool(files.search(folder + name)) == _handled(name)


def test_the_handled_names_include_the_documented_ones():
    for name in ("Dockerfile", "Containerfile", "api.Dockerfile", "Dockerfile.prod", "README.md", "tsconfig.json",
                 "devcontainer.jsonc", "compose.yml", "ci.yaml", "setup.py", "build.sh", "Makefile", "package.json"):
        assert _handled(name), name


# --- pre-commit itself -------------------------------------------------------------------------

BAD = "FROM arm64v8/node:20\nCMD [\"node\"]\n"
CLEAN = "FROM node:20\nCMD [\"node\"]\n"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_", "VIRTUAL_ENV"))}
    env.update(
        PRE_COMMIT_HOME=str(home / "pre-commit-home"),  # never the user's cache
        GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.invalid",
    )
    return env


def _try_repo(tmp: Path, dockerfile: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run both hooks from this repository on a fresh git repository holding one Dockerfile."""
    project = tmp / "project"
    project.mkdir(parents=True)
    env = _env(tmp)
    subprocess.run(["git", "init", "-q", str(project)], check=True, env=env)
    (project / "Dockerfile").write_text(dockerfile)
    (project / "notes.txt").write_text("FROM arm64v8/node:20 in a file no hook reads\n")
    subprocess.run(["git", "add", "."], cwd=project, check=True, env=env)
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files", "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )
    return proc, (project / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    return _try_repo(tmp_path_factory.mktemp("bad"), BAD)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    return _try_repo(tmp_path_factory.mktemp("clean"), CLEAN)


def _hook_block(output: str, name: str) -> str:
    """The lines pre-commit prints for one hook: its status line and what follows, up to the next."""
    match = re.search(rf"^{re.escape(name)}\.+(Passed|Failed|\(no files to check\)Skipped)$(.*?)(?=^\S[^\n]*\.{{3,}}|\Z)",
                      output, re.M | re.S)
    assert match, output
    return match.group(0)


@pytest.mark.slow
def test_lint_hook_fails_on_a_bad_dockerfile_and_shows_the_finding(bad_run):
    proc, _ = bad_run
    assert proc.returncode == 1, proc.stdout + proc.stderr
    block = _hook_block(proc.stdout, "onetag lint")
    assert "Failed" in block and "exit code: 1" in block
    assert "Dockerfile:1:6: OT102 'arm64v8/node:20' is an arm64-only name" in block
    assert "notes.txt" not in block


@pytest.mark.slow
def test_migrate_hook_fixes_in_place_and_pre_commit_reports_the_change(bad_run):
    proc, dockerfile = bad_run
    block = _hook_block(proc.stdout, "onetag migrate")
    assert "Failed" in block and "files were modified by this hook" in block
    assert "Dockerfile: fixed 1 (OT102)" in block
    assert dockerfile == CLEAN


@pytest.mark.slow
def test_both_hooks_pass_on_a_clean_dockerfile(clean_run):
    proc, dockerfile = clean_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "onetag lint" in proc.stdout and "onetag migrate" in proc.stdout
    assert "Failed" not in proc.stdout
    assert dockerfile == CLEAN
