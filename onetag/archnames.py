"""The architecture vocabulary, and detection of architecture-specific image names.

``detect(text)`` looks at one image reference as written (it may hold ``$VARS``) and, when
its repository name or tag encodes an architecture, proposes the unified reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Canonical platform architecture for every spelling found in image names.
ARCH_SYNONYMS: dict[str, str] = {
    "amd64": "amd64", "x86_64": "amd64", "x86-64": "amd64", "x64": "amd64",
    "arm64": "arm64", "aarch64": "arm64", "arm64v8": "arm64", "armv8": "arm64", "arm": "arm64",
    "armhf": "arm/v7", "armv7": "arm/v7", "armv7l": "arm/v7", "arm32v7": "arm/v7", "arm32": "arm/v7",
    "armel": "arm/v5", "armv6": "arm/v6", "arm32v6": "arm/v6", "arm32v5": "arm/v5", "armv5": "arm/v5",
    "386": "386", "i386": "386", "i686": "386", "x86": "386",
    "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "mips64le": "mips64le",
}

# Docker Hub's per-architecture namespaces of the official images (arm64v8/node -> node).
OFFICIAL_ARCH_NAMESPACES: dict[str, str] = {
    "amd64": "amd64", "arm64v8": "arm64", "arm32v7": "arm/v7", "arm32v6": "arm/v6",
    "arm32v5": "arm/v5", "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x",
    "riscv64": "riscv64", "mips64le": "mips64le", "winamd64": "amd64",
}

_TOKENS = sorted(ARCH_SYNONYMS, key=len, reverse=True)
_ALT = "|".join(re.escape(t) for t in _TOKENS)
# Repository component: a separator, then an architecture, at either end ("app-arm", "aarch64-app").
_REPO_SUFFIX = re.compile(rf"^(?P<base>[a-z0-9][a-z0-9._-]*?)[-_](?:linux[-_])?(?P<arch>{_ALT})$")
_REPO_PREFIX = re.compile(rf"^(?:linux[-_])?(?P<arch>{_ALT})[-_](?P<base>[a-z0-9][a-z0-9._-]*)$")
# Tags: "1.2-arm64", "3.0-bionic-arm64v8", "arm64v8-latest", "arm64"; "linux-" may stand before.
_TAG_SUFFIX = re.compile(rf"^(?P<base>[\w][\w.-]*?)[-_](?:linux[-_])?(?P<arch>{_ALT})$", re.IGNORECASE)
_TAG_PREFIX = re.compile(rf"^(?:linux[-_])?(?P<arch>{_ALT})[-_](?P<base>[\w][\w.-]*)$", re.IGNORECASE)
_TAG_ONLY = re.compile(rf"^(?:linux[-_])?(?P<arch>{_ALT})$", re.IGNORECASE)
# Tokens too short or common to trust on their own inside a tag ("x86" in "x86-build" is fine, "arm" alone is not).
_WEAK_TAG_TOKENS = {"arm", "x86", "386", "x64"}

# Shell and Dockerfile variables: $NAME, ${NAME}, ${NAME:-default} (balanced braces); make's
# $(NAME) and $$NAME (an escaped shell variable in a recipe).
_VAR = re.compile(r"\$\$?(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\([A-Za-z_][A-Za-z0-9_.]*\)|[A-Za-z_][A-Za-z0-9_]*)")
_PLACEHOLDER = "onetagvar{}x"
_PLACEHOLDER_RE = re.compile(r"onetagvar(\d+)x")


@dataclass(frozen=True)
class Proposal:
    """A unified reference proposed for an architecture-specific one."""

    code: str  # OT101 repository name, OT102 official arch namespace, OT103 tag
    arch: str  # canonical architecture the old name encodes
    old: str  # the reference as written
    new: str  # the unified reference, in the same spelling
    certain: bool  # true when the rule alone proves the unified name (official namespaces)
    why: str  # one phrase for messages
    pinned: bool = False  # the old reference has a digest, which cannot carry over


def mask_variables(text: str) -> tuple[str, list[str]]:
    """Replace each variable with a grammar-safe placeholder; return the masked text and the variables."""
    found: list[str] = []

    def repl(match: re.Match[str]) -> str:
        found.append(match.group(0))
        return _PLACEHOLDER.format(len(found) - 1)

    return _VAR.sub(repl, text), found


def unmask_variables(text: str, variables: list[str]) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: variables[int(m.group(1))], text)


def parse_template(text: str):
    """``(ImageRef, variables)`` for a reference that may hold variables (parsed with grammar-safe
    placeholders in their place), or ``(None, variables)`` when it is no reference."""
    from onetag.imageref import ReferenceError, parse

    masked, variables = mask_variables(text)
    try:
        return parse(masked), variables
    except ReferenceError:
        return None, variables


def is_template_reference(text: str) -> bool:
    """True when ``text`` is an image reference once its variables are set aside."""
    return parse_template(text)[0] is not None


def repository_key(text: str, with_tag: bool = False) -> str | None:
    """Normalized ``domain/path`` (plus ``:tag``, variables kept, when asked) of a reference as
    written, or None: the key two spellings of one image share."""
    ref, variables = parse_template(text)
    if ref is None:
        return None
    ref = ref.normalized()
    name = f"{ref.domain}/{ref.path}"
    if with_tag:
        return f"{name}:{unmask_variables(ref.tag or 'latest', variables)}"
    return name


def has_variables(text: str) -> bool:
    return _VAR.search(text) is not None


def arch_of(token: str) -> str | None:
    """Canonical architecture for a spelling (``aarch64`` -> ``arm64``), or None."""
    return ARCH_SYNONYMS.get(token.lower())


def detect(text: str) -> Proposal | None:
    """Propose the unified reference for an architecture-specific ``text``, or None."""
    ref, variables = parse_template(text)
    if ref is None:
        return None
    proposal = _detect_parsed(ref)
    if proposal is None:
        return None
    code, new, arch, certain, why = proposal
    return Proposal(code, arch, text, unmask_variables(new, variables), certain, why, ref.digest is not None)


def _detect_parsed(ref) -> tuple[str, str, str, bool, str] | None:
    parts = ref.path.split("/")
    # Official per-arch namespace: only on Docker Hub and only as the whole namespace.
    if len(parts) == 2 and ref.domain in ("", "docker.io", "index.docker.io"):
        arch = OFFICIAL_ARCH_NAMESPACES.get(parts[0])
        if arch and not _PLACEHOLDER_RE.search(parts[1]):
            path = parts[1] if not ref.domain else f"library/{parts[1]}"
            return "OT102", str(ref.replace(path=path, digest=None)), arch, True, f"{parts[0]}/ is Docker Hub's {arch} copy of the official image"
    last = parts[-1]
    for pattern, where in ((_REPO_SUFFIX, "suffix"), (_REPO_PREFIX, "prefix")):
        match = pattern.match(last)
        if match and not (where == "prefix" and match.group("arch") in _WEAK_TAG_TOKENS):
            arch = ARCH_SYNONYMS[match.group("arch")]
            path = "/".join(parts[:-1] + [match.group("base")])
            new = ref.replace(path=path, digest=None)
            return "OT101", str(new), arch, False, f"repository name carries the architecture {where} '{match.group('arch')}'"
    if ref.tag:
        tagged = _tag_proposal(ref.tag)
        if tagged:
            new_tag, arch, token = tagged
            return "OT103", str(ref.replace(tag=new_tag, digest=None)), arch, False, f"tag carries the architecture '{token}'"
    return None


def _tag_proposal(tag: str) -> tuple[str, str, str] | None:
    """(unified tag, arch, token) for an architecture-specific tag."""
    for pattern in (_TAG_SUFFIX, _TAG_PREFIX):
        match = pattern.match(tag)
        if match:
            token = match.group("arch")
            if token.lower() in _WEAK_TAG_TOKENS and pattern is _TAG_PREFIX:
                continue
            return match.group("base"), ARCH_SYNONYMS[token.lower()], token
    match = _TAG_ONLY.match(tag)
    if match and match.group("arch").lower() not in _WEAK_TAG_TOKENS:
        return "latest", ARCH_SYNONYMS[match.group("arch").lower()], match.group("arch")
    return None


# Words in prose or comments that tell a reader to choose by architecture.
ARCH_WORDS = re.compile(
    r"(?<![\w-])(?:" + _ALT + r"|apple[ -]silicon|m1|m2|m3|m4|raspberry[ -]pi|graviton|intel|amd|x86[-_]64)(?![\w-])",
    re.IGNORECASE,
)


def mentions_arch(text: str) -> bool:
    """True when ``text`` names an architecture as a word (not inside 'charm' or 'farm')."""
    return ARCH_WORDS.search(text) is not None
