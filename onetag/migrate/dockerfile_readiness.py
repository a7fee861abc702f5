"""Multi-arch readiness of a Dockerfile: OT202 (arch-specific downloads) and OT204 (heavy build
steps under emulation). Both are reports: the right fix needs a human's knowledge of the tool."""

from __future__ import annotations

import re

from onetag.edits import Span
from onetag.finding import Problem
from onetag.migrate.dockerfile_syntax import Dockerfile, Instruction

# A download or package file: a URL, or a word ending in an archive/package extension.
_DOWNLOAD = re.compile(r"https?://|\.(?:deb|rpm|apk|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|zip|gz|xz|AppImage|msi)\b", re.IGNORECASE)
_ARCH_IN_WORD = re.compile(
    r"(?<![A-Za-z0-9])(amd64|x86_64|x86-64|x64|arm64|aarch64|armv7l|armv7|armhf|arm64v8|i386|i686|ppc64le|s390x)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Signs that the step picks the architecture itself.
_ARCH_AWARE = re.compile(r"TARGETARCH|TARGETPLATFORM|TARGETVARIANT|TARGETOS|uname\s+-m|dpkg\s+--print-architecture|\$\(arch\)|`arch`|\barch\b\s*\)")
_HEAVY = re.compile(
    r"\b(go\s+build|go\s+install|cargo\s+(?:build|install)|make(?:\s|$)|cmake\s+--build|mvn\s|gradle\s|\./gradlew|"
    r"dotnet\s+(?:publish|build)|npm\s+run\s+build|yarn\s+(?:run\s+)?build|pnpm\s+(?:run\s+)?build|"
    r"npx\s+(?:vite|webpack|tsc|esbuild)|swift\s+build|stack\s+build|cabal\s+build)"
)
_BUILDPLATFORM = re.compile(r"--platform=[\"']?\$\{?BUILDPLATFORM\}?")


def readiness_problems(doc: Dockerfile) -> list[Problem]:
    """OT202 and OT204 problems for ``doc``."""
    problems: list[Problem] = []
    stages = _stages(doc)
    for index, stage in enumerate(stages):
        aware = any(_ARCH_AWARE.search(ins.logical) for ins in stage)
        heavy_reported = False
        for ins in stage:
            if ins.keyword != "RUN":
                continue
            if not aware:
                problems.extend(_downloads(ins))
            if not heavy_reported and len(stages) > 1 and index < len(stages) - 1 and not _BUILDPLATFORM.search(stage[0].logical):
                heavy = _heavy(ins)
                if heavy:
                    problems.append(heavy)
                    heavy_reported = True
    return problems


def _stages(doc: Dockerfile) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for ins in doc.instructions:
        if ins.keyword == "FROM":
            stages.append([ins])
        elif stages:
            stages[-1].append(ins)
    return stages


def _downloads(ins: Instruction) -> list[Problem]:
    out = []
    for word in re.finditer(r"\S+", ins.logical):
        if not _DOWNLOAD.search(word.group(0)):
            continue
        arch = _ARCH_IN_WORD.search(word.group(0))
        if arch is None:
            continue
        token = ins.token(word.start() + arch.start(), word.start() + arch.end())
        out.append(
            Problem(
                "OT202",
                Span(token.start, token.end),
                f"RUN downloads a '{arch.group(1)}' artifact without TARGETARCH: every platform's image gets it; "
                "declare `ARG TARGETARCH` and use ${TARGETARCH} (or map it) in the URL",
            )
        )
        break  # one report per RUN is enough to act on
    return out


def _heavy(ins: Instruction) -> Problem | None:
    match = _HEAVY.search(ins.logical)
    if match is None:
        return None
    token = ins.token(match.start(), match.end())
    command = " ".join(match.group(1).split())
    return Problem(
        "OT204",
        Span(token.start, token.end if token.contiguous else token.start + len(match.group(1).split()[0])),
        f"'{command}' runs under emulation for foreign platforms (3x-20x slower); build this stage with "
        "FROM --platform=$BUILDPLATFORM and cross-compile for $TARGETOS/$TARGETARCH",
    )
