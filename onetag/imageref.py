"""Image references per github.com/distribution/reference, keeping the user's spelling.

``parse`` accepts exactly what Go's ``reference.Parse`` accepts and keeps the text as
written, so an edit can swap one part (``ref.replace(path=...)``) and print the rest
unchanged. ``parse_normalized`` is ``ParseNormalizedNamed``. Standard library only:
this module is on the CLI start-up path.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

__all__ = [
    "REFERENCE_RE",
    "ImageRef",
    "ReferenceError",
    "is_reference",
    "parse",
    "parse_normalized",
]

NAME_TOTAL_LENGTH_MAX = 255
DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
DOCKER_HUB_HOST = "registry-1.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
LOCALHOST = "localhost"

# The grammar, piece by piece as in the Go package. Character classes are spelled out
# because Python's \w is Unicode-aware and Go's is ASCII-only.
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6_ADDRESS = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = rf"(?:{_DOMAIN_NAME}|{_IPV6_ADDRESS})(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

# \A and \Z, not ^ and $: Python's $ also matches before a trailing newline.
REFERENCE_RE: re.Pattern[str] = re.compile(
    rf"\A(?P<name>{_NAME})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?\Z"
)
# Go's anchoredNameRegexp. Its split of domain and path is only used for the length
# limit, which Go applies to that path; ImageRef.domain follows splitDockerDomain.
_ANCHORED_NAME_RE = re.compile(rf"\A(?:(?P<domain>{_DOMAIN_AND_PORT})/)?(?P<path>{_REMOTE_NAME})\Z")
_DOMAIN_RE = re.compile(rf"\A{_DOMAIN_AND_PORT}\Z")
_IDENTIFIER_RE = re.compile(r"\A[a-f0-9]{64}\Z")
# go-digest v1.0.0: DigestRegexpAnchored and the hex lengths of its known algorithms.
_GO_DIGEST_RE = re.compile(r"\A[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+\Z")
_HEX_DIGEST_RE = re.compile(r"\A[a-f0-9]+\Z")
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

_REASONS = {
    "invalid_format": "",
    "name_empty": "repository name must have at least one component",
    "name_uppercase": "repository name must be lowercase",
    "name_too_long": f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters",
    "name_is_identifier": "repository name cannot be a 64-character hexadecimal string",
    "digest_invalid_format": "invalid checksum digest format",
    "digest_invalid_length": "invalid checksum digest length",
    "digest_unsupported": "unsupported digest algorithm",
}


class ReferenceError(ValueError):  # noqa: A001 - the agreed API name; shadows the builtin only here
    """A text that is not an image reference; ``kind`` names the rule it breaks.

    ``str(err)`` is one line: ``invalid reference format[: reason]: "<text>"``.
    """

    def __init__(self, kind: str, text: str) -> None:
        reason = _REASONS[kind]
        head = f"invalid reference format: {reason}" if reason else "invalid reference format"
        super().__init__(f"{head}: {_quote(text)}")
        self.kind = kind
        self.text = text


@dataclass(frozen=True)
class ImageRef:
    """A reference as written: ``[domain/]path[:tag][@digest]``.

    ``domain`` is "" when the text names no registry. Nothing is re-validated on
    construction or ``replace``; ``parse(str(ref))`` checks a built reference.
    """

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += ":" + self.tag
        if self.digest is not None:
            text += "@" + self.digest
        return text

    @property
    def name(self) -> str:
        """``[domain/]path`` as written."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def normalized(self) -> ImageRef:
        """The same reference with Docker Hub spelled out: ``docker.io`` and ``library/``."""
        domain = self.domain
        if domain in ("", LEGACY_DEFAULT_DOMAIN):
            domain = DEFAULT_DOMAIN
        path = self.path
        if domain == DEFAULT_DOMAIN and "/" not in path:
            path = OFFICIAL_REPO_PREFIX + path
        return dataclasses.replace(self, domain=domain, path=path)

    def familiar(self) -> str:
        """Go's FamiliarString: the normalized reference without ``docker.io/`` and ``library/``."""
        ref = self.normalized()
        if ref.domain != DEFAULT_DOMAIN:
            return str(ref)
        path = ref.path
        rest = path[len(OFFICIAL_REPO_PREFIX) :]
        # Only a single component after library/ is an official image (Go does the same).
        if path.startswith(OFFICIAL_REPO_PREFIX) and "/" not in rest:
            path = rest
        return str(dataclasses.replace(ref, domain="", path=path))

    def canonical(self) -> str:
        """The full normalized string, e.g. ``docker.io/library/node:20`` (no ``:latest`` added)."""
        return str(self.normalized())

    def with_latest(self) -> ImageRef:
        """Go's TagNameOnly: tag ``latest`` added when there is neither tag nor digest."""
        if self.tag is None and self.digest is None:
            return dataclasses.replace(self, tag=DEFAULT_TAG)
        return self

    def replace(self, **changes: str | None) -> ImageRef:
        """A copy with the given fields changed; the other parts keep their spelling."""
        return dataclasses.replace(self, **changes)

    @property
    def registry_host(self) -> str:
        """The host (with port) to talk to; Docker Hub's API lives on registry-1.docker.io."""
        domain = self.normalized().domain
        return DOCKER_HUB_HOST if domain == DEFAULT_DOMAIN else domain

    @property
    def repository(self) -> str:
        """The repository path on its registry, e.g. ``library/node``."""
        return self.normalized().path


def parse(text: str) -> ImageRef:
    """Parse ``text`` as Go's ``reference.Parse`` does, keeping it as written.

    Raises ReferenceError for anything Go rejects, except that sha384 and sha512
    digests are accepted (as in binaries that register those algorithms).
    """
    return _parse(text, shown=text)


def parse_normalized(text: str) -> ImageRef:
    """Parse ``text`` as Go's ``ParseNormalizedNamed`` does; the result is normalized."""
    if _IDENTIFIER_RE.match(text):
        raise ReferenceError("name_is_identifier", text)
    domain, remainder = _split_docker_domain(text)
    remote = remainder.partition(":")[0]
    if _go_lower(remote) != remote:
        raise ReferenceError("name_uppercase", text)
    return _parse(f"{domain}/{remainder}", shown=text).normalized()


def is_reference(text: str) -> bool:
    """True when ``parse(text)`` succeeds."""
    try:
        parse(text)
    except ReferenceError:
        return False
    return True


def _parse(text: str, shown: str) -> ImageRef:
    """Go's Parse on ``text``; errors quote ``shown``, the text the user wrote."""
    if not text:
        raise ReferenceError("name_empty", shown)
    match = REFERENCE_RE.match(text)
    if match is None:
        lowered = _go_lower(text)
        if lowered != text and REFERENCE_RE.match(lowered):
            raise ReferenceError("name_uppercase", shown)
        raise ReferenceError("invalid_format", shown)
    name, tag, digest = match.group("name", "tag", "digest")
    name_match = _ANCHORED_NAME_RE.match(name)
    assert name_match is not None  # REFERENCE_RE's name group is this same grammar
    if len(name_match.group("path")) > NAME_TOTAL_LENGTH_MAX:
        raise ReferenceError("name_too_long", shown)
    if digest is not None:
        _check_digest(digest, shown)
    domain, path = _split_domain(name)
    return ImageRef(domain, path, tag, digest)


def _check_digest(digest: str, shown: str) -> None:
    """go-digest's Validate for a digest the reference grammar already matched."""
    algorithm, _, encoded = digest.partition(":")
    length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        kind = "digest_unsupported" if _GO_DIGEST_RE.match(digest) else "digest_invalid_format"
        raise ReferenceError(kind, shown)
    if len(encoded) != length:
        raise ReferenceError("digest_invalid_length", shown)
    if not _HEX_DIGEST_RE.match(encoded):
        raise ReferenceError("digest_invalid_format", shown)


def _split_domain(name: str) -> tuple[str, str]:
    """Split a valid name into (domain as written or "", path) by splitDockerDomain's test."""
    first, slash, rest = name.partition("/")
    if slash and _names_registry(first) and _DOMAIN_RE.match(first):
        return first, rest
    return "", name


def _names_registry(component: str) -> bool:
    """splitDockerDomain's test for a first path component that is a registry host."""
    return (
        component == LOCALHOST
        or "." in component
        or ":" in component
        # Repository paths are lowercase, so an uppercase first component is a host.
        or _go_lower(component) != component
    )


def _split_docker_domain(text: str) -> tuple[str, str]:
    """Go's splitDockerDomain on raw text: (normalized domain, remainder with tag/digest)."""
    first, slash, rest = text.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + text
    if first == LEGACY_DEFAULT_DOMAIN:
        domain, remote = DEFAULT_DOMAIN, rest
    elif _names_registry(first):
        domain, remote = first, rest
    else:
        domain, remote = DEFAULT_DOMAIN, text
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = OFFICIAL_REPO_PREFIX + remote
    return domain, remote


def _go_lower(text: str) -> str:
    """Go's strings.ToLower: per-character mapping, so U+0130 becomes a plain "i"."""
    # Python's full case mapping turns U+0130 into "i" plus a combining dot.
    return text.replace("\u0130", "i").lower()


def _quote(text: str) -> str:
    """``text`` in double quotes on one line, control and separator characters escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(ascii(char)[1:-1])
    return '"' + "".join(out) + '"'
