"""The composite GitHub Action (action.yml): actionlint on workflows that use it, its scripts run for real."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_ci_github import _actionlint  # finds actionlint the way the ci tests do (skips when absent)

ROOT = Path(__file__).resolve().parent.parent
ACTION_FILE = ROOT / "action.yml"
ACTION = yaml.safe_load(ACTION_FILE.read_text(encoding="utf-8"))
WORKFLOWS = sorted((ROOT / "fixtures" / "action").glob("*.yml"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _project(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A git work tree with this action.yml at its root (so `uses: ./` is this action) and the workflows."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(ACTION_FILE, tmp_path / "action.yml")
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in workflows.items():
        (folder / name).write_text(text)
    return tmp_path


def _run_actionlint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_actionlint(), "-no-color"], capture_output=True, text=True, cwd=project, timeout=120)


def _steps() -> list[dict]:
    return ACTION["runs"]["steps"]


# --- actionlint ------------------------------------------------------------------------------------

def test_example_workflows_pass_actionlint_against_this_action(tmp_path):
    project = _project(tmp_path, {p.name: p.read_text() for p in WORKFLOWS})
    proc = _run_actionlint(project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert any("uses: ./" in p.read_text() for p in WORKFLOWS)


def test_actionlint_reads_this_actions_inputs(tmp_path):
    text = (ROOT / "fixtures" / "action" / "example-workflow.yml").read_text().replace("paths: .", "path: .")
    proc = _run_actionlint(_project(tmp_path, {"typo.yml": text}))
    assert proc.returncode == 1
    assert 'input "path" is not defined in action' in proc.stdout
    assert '"args", "paths", "version"' in proc.stdout


def test_the_actions_steps_pass_actionlint_as_a_reusable_workflow(tmp_path):
    """actionlint checks workflows, not composite actions: check the same steps inside a workflow_call job."""
    inputs = {name: {"type": "string", "required": False, "default": spec.get("default", "")}
              for name, spec in ACTION["inputs"].items()}
    workflow = {
        "name": "action steps",
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"lint": {"runs-on": "ubuntu-latest", "steps": _steps()}},
    }
    proc = _run_actionlint(_project(tmp_path, {"steps.yml": yaml.safe_dump(workflow, sort_keys=False)}))
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- structure: what actionlint does not check in action metadata ----------------------------------

def test_required_metadata():
    assert ACTION["name"] and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"paths", "args", "version"}
    assert ACTION["inputs"]["paths"]["default"] == "."
    assert ACTION["inputs"]["args"]["default"] == "" and ACTION["inputs"]["version"]["default"] == ""
    for spec in ACTION["inputs"].values():
        assert spec["description"] and spec["required"] is False


def test_steps_set_up_python_then_run_bash():
    uses = [s["uses"] for s in _steps() if "uses" in s]
    assert uses == ["actions/setup-python@v6"]
    for step in _steps():
        if "run" in step:
            assert step["shell"] == "bash"  # composite run steps must name their shell


def test_inputs_reach_scripts_only_through_env():
    for step in _steps():
        if "run" in step:
            assert "${{" not in step["run"], f"expression interpolated into the script of {step['name']!r}"


def test_every_input_expression_names_a_declared_input_and_every_input_is_used():
    text = ACTION_FILE.read_text()
    used = set()
    for expression in EXPRESSION.findall(text):
        for name in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", expression):
            used.add(name)
    assert used == set(ACTION["inputs"])


def test_lint_step_annotates_with_the_github_format():
    (lint,) = [s for s in _steps() if "onetag lint" in s.get("run", "")]
    assert "onetag lint --format github $ONETAG_ARGS $ONETAG_PATHS" in lint["run"]
    assert lint["env"] == {"ONETAG_ARGS": "${{ inputs.args }}", "ONETAG_PATHS": "${{ inputs.paths }}"}


# --- the scripts, run for real ---------------------------------------------------------------------

def _script(step_name: str) -> str:
    (step,) = [s for s in _steps() if s.get("name") == step_name]
    return step["run"]


def _run_script(step_name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", _script(step_name)], env={**os.environ, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The install step, default version: installs the action's checkout; returns the folder added to PATH."""
    runner_temp = tmp_path_factory.mktemp("runner-temp")
    github_path = runner_temp / "github_path"
    proc = _run_script("Install onetag", {
        "RUNNER_TEMP": str(runner_temp), "GITHUB_PATH": str(github_path),
        "ONETAG_VERSION": "", "ONETAG_SOURCE": str(ROOT), "ONETAG_PYTHON": sys.executable,
    }, cwd=runner_temp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (line,) = github_path.read_text().splitlines()
    return Path(line)


def test_install_step_with_a_version_asks_pip_for_that_release(tmp_path):
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    proc = _run_script("Install onetag", {
        "RUNNER_TEMP": str(tmp_path), "GITHUB_PATH": str(tmp_path / "github_path"),
        "ONETAG_VERSION": "9.9.9", "ONETAG_SOURCE": str(ROOT), "ONETAG_PYTHON": sys.executable,
        "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty),  # no registry: we only need to see what was asked
    }, cwd=tmp_path)
    assert proc.returncode != 0
    assert "onetag==9.9.9" in proc.stdout + proc.stderr
    assert not (tmp_path / "github_path").exists()


def _lint(installed: Path, cwd: Path, args: str, paths: str) -> subprocess.CompletedProcess:
    return _run_script("onetag lint", {
        "PATH": f"{installed}{os.pathsep}{os.environ['PATH']}", "ONETAG_ARGS": args, "ONETAG_PATHS": paths,
    }, cwd=cwd)


def test_lint_step_annotates_findings_and_fails(installed, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM arm64v8/node:20\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Dockerfile").write_text("FROM amd64/python:3.12\n")
    proc = _lint(installed, tmp_path, "--select OT102 --fail-on error", "app")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("::error file=app/Dockerfile,line=1,col=6,endLine=1,endColumn=21,title=onetag OT102::")
    assert "other/" not in proc.stdout


def test_lint_step_passes_on_a_clean_tree(installed, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM node:20\n")
    proc = _lint(installed, tmp_path, "", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("field", ["args", "paths"])
def test_inputs_are_data_not_shell(installed, tmp_path, field):
    hostile = "$(touch pwned) `touch pwned` ; touch pwned #*"
    proc = _lint(installed, tmp_path, hostile if field == "args" else "", hostile if field == "paths" else ".")
    assert not (tmp_path / "pwned").exists()
    assert proc.returncode == 2, proc.stdout + proc.stderr  # onetag saw the words as arguments and refused them


def test_the_readmes_workflows_pass_actionlint(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section:integrations -->")[1].split("<!-- /section:integrations -->")[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    workflows = {f"readme-{i}.yml": b for i, b in enumerate(blocks) if b.startswith("name:") and "jobs:" in b}
    assert workflows, "the README's integrations section shows a whole workflow"
    snippet = next(b for b in blocks if b.lstrip().startswith("- uses: actions/checkout"))
    steps = snippet.replace("OWNER/onetag@v0.1.0", "./")
    workflows["readme-two-lines.yml"] = f"on: pull_request\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    proc = _run_actionlint(_project(tmp_path, workflows))
    assert proc.returncode == 0, proc.stdout + proc.stderr
