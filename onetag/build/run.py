"""Run a plan: each step's output streams through, and a known failure becomes one line of advice."""

from __future__ import annotations

import collections
import io
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from onetag.build.plan import Step, digest_placeholder
from onetag.errors import OnetagError

# (pattern in the failing command's output, advice). First match wins; order is most specific first.
ADVICE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), advice)
    for pattern, advice in (
        (
            r"exec format error|no such file or directory.*qemu",
            "a RUN step for a foreign platform found no emulator: register QEMU "
            "(Debian: `apt-get install qemu-user-static binfmt-support`, then `update-binfmts --enable qemu-aarch64`; "
            "with Docker: `docker run --privileged --rm tonistiigi/binfmt --install all`), or use --strategy native",
        ),
        (
            r"docker exporter does not currently support exporting manifest lists|"
            r"multi-platform.*not supported.*load|load.*manifest list",
            "--load cannot store a multi-platform image in the classic docker image store: "
            "use --push, one --platform, or enable the containerd image store",
        ),
        (
            r"multiple platforms feature is currently not supported for docker driver|"
            r"multi-platform build is not supported for the docker driver|"
            r"builder .* does not support platform|no match for platform in builder|failed to find .*platform",
            "the builder cannot build these platforms: `docker buildx create --use --driver docker-container` "
            "(or enable the containerd image store), then check `onetag doctor`",
        ),
        (
            r"no match for platform in manifest|no image found in (image index|manifest list) for architecture",
            "a base image (FROM) has no variant for one of the platforms: use a multi-platform base "
            "(check it with `onetag verify BASE --platform ...`) or drop that platform",
        ),
        (
            r"unauthorized|authentication required|requested access to the resource is denied|"
            r"push access denied|insufficient_scope",
            "the registry refused the push: log in first (`docker login HOST`, or `buildah login HOST`) "
            "with an account that may push to this repository",
        ),
        (
            r"no Containerfile or Dockerfile|failed to read dockerfile|open .*Dockerfile.*no such file|"
            r"Dockerfile.*: no such file or directory|cannot find Containerfile or Dockerfile",
            "no Dockerfile found: pass -f/--file PATH, or run from the directory that has it",
        ),
        (
            r"http: server gave HTTP response to HTTPS client|x509: certificate",
            "the registry is not trusted HTTPS: for a local test registry pass --insecure",
        ),
    )
)


def advise(output: str) -> str | None:
    """One line of advice for a known failure in ``output``, or None."""
    for pattern, advice in ADVICE:
        if pattern.search(output):
            return advice
    return None


@dataclass(frozen=True)
class StepResult:
    step: Step
    seconds: float
    returncode: int
    digest: str | None = None


def read_digest(path: str) -> str:
    """The digest a step left: buildx's --metadata-file JSON or buildah's --digestfile text."""
    text = Path(path).read_text(encoding="utf-8").strip()
    if text.startswith("{"):
        text = str(json.loads(text).get("containerimage.digest", ""))
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", text):
        raise OnetagError(f"{path}: no image digest in it (got {text[:80]!r})", 1)
    return text


def run_plan(
    steps: tuple[Step, ...],
    *,
    out: TextIO | None = None,
    env: dict[str, str] | None = None,
    on_step: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Run steps in order, substituting digests earlier steps left; raise OnetagError on a failure."""
    out = out or sys.stderr
    digests: dict[str, str] = {}
    results = []
    for step in steps:
        argv = tuple(_substitute(arg, digests) for arg in step.argv)
        out.write(f"+ {Step(step.title, argv).shell()}\n")
        out.flush()
        start = time.monotonic()
        # A step that may fail (removing what may not exist) runs quietly; its output shows only in -v traces.
        returncode, tail = _run(argv, io.StringIO() if step.may_fail else out, env)
        seconds = time.monotonic() - start
        if returncode != 0 and not step.may_fail:
            raise _failure(step, argv, returncode, tail)
        digest = read_digest(step.digest_file) if step.digest_file and returncode == 0 else None
        if digest and step.platform:
            digests[step.platform] = digest
        result = StepResult(step, seconds, returncode, digest)
        results.append(result)
        if on_step:
            on_step(result)
    return results


def _substitute(arg: str, digests: dict[str, str]) -> str:
    for platform, digest in digests.items():
        arg = arg.replace(digest_placeholder(platform), digest)
    return arg


def _run(argv: tuple[str, ...], out: TextIO, env: dict[str, str] | None) -> tuple[int, str]:
    tail: collections.deque[str] = collections.deque(maxlen=400)
    try:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, errors="replace", env=env,
        )
    except FileNotFoundError:
        raise OnetagError(
            f"{argv[0]} is not installed: install it, or pick another --backend (see `onetag doctor`)", 2
        ) from None
    assert proc.stdout is not None
    for line in proc.stdout:
        out.write(line)
        tail.append(line)
    out.flush()
    return proc.wait(), "".join(tail)


def _failure(step: Step, argv: tuple[str, ...], returncode: int, tail: str) -> OnetagError:
    advice = advise(tail) or "see the output above"
    return OnetagError(f"{step.title} failed ({argv[0]} exited {returncode}): {advice}", 1)
