"""The rule table: every rule's code, name and documentation. `onetag rules` prints from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # what it flags, one line
    why: str  # why it is a problem
    example: str  # before
    fix: str  # after, or what to do
    fixable: str  # "always", "sometimes" (with evidence), "never"
    severity: str = "error"


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule(
            "OT101", "arch-specific-repository",
            "An image repository name carries an architecture (acme/app-arm, pause-amd64, aarch64-app).",
            "A per-architecture repository makes every user pick an image; the wrong pick fails at run time "
            "with 'exec format error'. One multi-platform tag lets the runtime pick.",
            "FROM docker.io/acme/sandbox-arm:0.0.9",
            "FROM docker.io/acme/sandbox:0.0.9",
            "sometimes: applied when the unified name is mapped in [images], referenced elsewhere in the "
            "repository, or confirmed by --verify",
        ),
        Rule(
            "OT102", "arch-namespace",
            "An official image is pulled from its per-architecture namespace (arm64v8/node, amd64/, i386/...).",
            "Docker Hub's arch namespaces hold one architecture each; the library image (node) is the "
            "multi-platform index of the same builds.",
            "FROM arm64v8/node:20",
            "FROM node:20",
            "always (unless pinned by digest: the digest names one architecture's manifest)",
        ),
        Rule(
            "OT103", "arch-specific-tag",
            "A tag carries an architecture (app:1.2-arm64, app:arm64v8-latest).",
            "Per-architecture tags split one release into several names; a multi-platform tag serves all.",
            "image: acme/app:1.2-arm64",
            "image: acme/app:1.2",
            "sometimes: as OT101",
        ),
        Rule(
            "OT104", "per-arch-alternative",
            "A commented-out per-architecture alternative ('# If building on arm64, use: # FROM app-arm').",
            "With one multi-platform tag there is no choice to make; the alternative and its guidance "
            "mislead readers into the per-architecture image.",
            "FROM acme/sandbox:0.0.9\n# If building your project on arm64, use:\n# FROM acme/sandbox-arm:0.0.9",
            "FROM acme/sandbox:0.0.9",
            "always",
        ),
        Rule(
            "OT105", "choose-arch-prose",
            "Prose tells the reader to choose an image by architecture ('on Apple Silicon, use the -arm image').",
            "The instruction is obsolete once one tag serves every architecture, and wording is a human's job.",
            "If you are on Apple Silicon, use `acme/app-arm` instead.",
            "Delete the sentence, or say that the image runs on amd64 and arm64.",
            "never",
            "warning",
        ),
        Rule(
            "OT201", "constant-from-platform",
            "FROM --platform= names a constant platform (linux/amd64).",
            "A constant platform makes every variant of a multi-platform build use that platform's base: the "
            "arm64 image ships amd64 binaries. Build stages should use $BUILDPLATFORM; the final stage none.",
            "FROM --platform=linux/amd64 node:20",
            "FROM node:20   (final stage)  or  FROM --platform=$BUILDPLATFORM golang:1.22 AS build",
            "sometimes: the flag is removed from the final stage; earlier stages are reported",
        ),
        Rule(
            "OT202", "arch-specific-download",
            "A RUN step downloads an architecture-specific artifact (linux-amd64, x86_64.tar.gz) without "
            "TARGETARCH.",
            "Built for arm64 the step still fetches the amd64 binary; the image fails with 'exec format error'.",
            "RUN curl -fsSLo /usr/local/bin/tool https://example.com/tool-linux-amd64",
            "ARG TARGETARCH\nRUN curl -fsSLo /usr/local/bin/tool https://example.com/tool-linux-${TARGETARCH}",
            "never",
            "warning",
        ),
        Rule(
            "OT203", "base-image-lacks-platform",
            "A base image does not resolve on every required platform (needs --verify).",
            "The build fails, or silently uses an emulated foreign image, on the missing platform.",
            "FROM acme/amd64-only:1.0",
            "Use a base image published for every required platform.",
            "never",
        ),
        Rule(
            "OT204", "emulated-heavy-build",
            "A heavy build step runs in a stage without --platform=$BUILDPLATFORM in a multi-stage build.",
            "Under QEMU emulation compilers and bundlers run 3x-20x slower; cross-compile on the build "
            "platform and copy the result into the target stage.",
            "FROM golang:1.22 AS build\nRUN go build -o /app .",
            "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nARG TARGETOS TARGETARCH\n"
            "RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .",
            "never",
            "info",
        ),
        Rule(
            "OT301", "per-arch-build-script",
            "A script builds or pushes one architecture's image (package.json scripts, shell, Makefile).",
            "Per-architecture scripts publish per-architecture tags; one buildx build with --platform "
            "publishes one multi-platform tag.",
            '"docker:build:arm": "docker build --platform linux/arm64 -t acme/app-arm:1 ."',
            '"docker:publish": "docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1 --push ."',
            "sometimes: package.json scripts are rewritten; shell scripts are reported",
        ),
        Rule(
            "OT302", "single-platform-release",
            "A release workflow publishes a single-platform image.",
            "Users on other architectures get an image that fails at run time.",
            "uses: docker/build-push-action@v7 (no platforms:)",
            "platforms: linux/amd64,linux/arm64",
            "never",
        ),
    )
}


def severity_of(code: str, overrides: dict[str, str] | None = None) -> str:
    if overrides and code in overrides:
        return overrides[code]
    rule = RULES.get(code)
    return rule.severity if rule else "error"


def format_rule(rule: Rule) -> str:
    """The rule's documentation as plain text, with the headings ruff uses."""
    def indent(text: str) -> str:
        return "\n".join("    " + line for line in text.splitlines())

    return (
        f"{rule.code} {rule.name} ({rule.severity})\n\n"
        f"What it does\n    {rule.summary}\n\n"
        f"Why is this bad?\n    {rule.why}\n\n"
        f"Example\n{indent(rule.example)}\n\n"
        f"Use instead\n{indent(rule.fix)}\n\n"
        f"Fix safety\n    {rule.fixable}\n"
    )
