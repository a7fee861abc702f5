"""Does a tag resolve on every required platform? The verdict per image, from the registry.

Without ``deep``: GET the tag's index (one pull), HEAD each required platform's manifest (free
on Docker Hub). With ``deep``: GET each required platform's manifest and config blob, check every
digest against the bytes, HEAD the layers, and compare the config's os/arch/variant with what
the index claims. Attestation and artifact entries are never counted as platforms.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from onetag.verify.errors import NotFound, RegistryError

# containerd's normalisation, plus the aliases people write in tags and configs.
_ARCH_ALIASES = {
    "x86_64": "amd64", "x86-64": "amd64", "x64": "amd64", "aarch64": "arm64", "arm64v8": "arm64", "armv8": "arm64",
    "i386": "386", "i686": "386", "x86": "386", "armhf": "arm", "armel": "arm", "arm32v7": "arm", "arm32v6": "arm",
}
_IMPLIED_VARIANT = {"armhf": "v7", "arm32v7": "v7", "armel": "v6", "arm32v6": "v6"}
_ATTESTATION_TYPES = ("application/vnd.in-toto+json",)


@dataclass(frozen=True)
class PlatformResult:
    platform: str
    digest: str | None
    ok: bool
    problem: str | None


@dataclass(frozen=True)
class ImageVerdict:
    image: str
    digest: str | None
    ok: bool
    platforms: tuple[PlatformResult, ...]
    found: tuple[str, ...]
    problems: tuple[str, ...]
    found_digests: tuple[tuple[str, str], ...] = ()  # (platform, manifest digest) for every entry found


def normalize_platform(os_name: str, arch: str, variant: str = "") -> str:
    """``os/arch[/variant]`` the way containerd compares them (aarch64 -> arm64, arm64/v8 -> arm64)."""
    os_name, arch, variant = os_name.lower(), arch.lower(), (variant or "").lower()
    variant = variant or _IMPLIED_VARIANT.get(arch, "")
    arch = _ARCH_ALIASES.get(arch, arch)
    if variant and not variant.startswith("v") and variant.isdigit():
        variant = "v" + variant
    if (arch == "arm64" and variant == "v8") or (arch == "amd64" and variant == "v1"):
        variant = ""
    if arch == "arm" and not variant:
        variant = "v7"
    return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"


def parse_platform(text: str) -> str:
    """Normalise a user's ``os/arch[/variant]``; ValueError names what is wrong."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"invalid platform {text!r}: expected os/arch[/variant], e.g. linux/arm64")
    return normalize_platform(*parts)


def _entry_platform(entry: dict[str, Any]) -> str | None:
    """The normalised platform of an index entry, or None for attestations, artifacts and unknowns."""
    annotations = entry.get("annotations") or {}
    platform = entry.get("platform") or {}
    if "vnd.docker.reference.type" in annotations or entry.get("artifactType") or entry.get("subject"):
        return None
    os_name, arch = platform.get("os", ""), platform.get("architecture", "")
    if not os_name or not arch or "unknown" in (os_name, arch):
        return None
    return normalize_platform(os_name, arch, platform.get("variant", ""))


def _short(digest: str) -> str:
    return digest[:19]


def _config_platform(config: dict[str, Any]) -> str:
    return normalize_platform(config.get("os", "?"), config.get("architecture", "?"), config.get("variant", ""))


class _Checker:
    """Checks one image; every registry failure becomes a problem in the verdict, never an exception."""

    def __init__(self, client: Any, required: list[str], deep: bool) -> None:
        self.client, self.required, self.deep = client, required, deep

    def verdict(self, image: str) -> ImageVerdict:
        from onetag.imageref import ReferenceError, parse_normalized

        try:
            ref = parse_normalized(image).with_latest()
        except ReferenceError as err:
            return ImageVerdict(image, None, False, (), (), (str(err),))
        host, repo = ref.registry_host, ref.repository
        try:
            top = self.client.get_manifest(host, repo, ref.digest or ref.tag)
            if top.is_index:
                return self._index(image, host, repo, top)
            return self._single(image, host, repo, top)
        except RegistryError as err:
            return ImageVerdict(image, None, False, (), (), (str(err),))

    def _index(self, image: str, host: str, repo: str, top: Any) -> ImageVerdict:
        entries = [(p, e) for e in top.json().get("manifests") or [] if (p := _entry_platform(e))]
        found = tuple(dict.fromkeys(p for p, _ in entries))
        results = []
        for platform in self.required:
            entry = next((e for p, e in entries if p == platform), None)
            if entry is None:
                has = ", ".join(found) or "no platforms"
                results.append(PlatformResult(platform, None, False, f"{platform} missing; the index has {has}"))
            else:
                results.append(self._child(host, repo, platform, entry))
        problems = tuple(r.problem for r in results if r.problem)
        digests = tuple((p, e.get("digest", "")) for p, e in entries)
        return ImageVerdict(image, top.digest, not problems, tuple(results), found, problems, digests)

    def _child(self, host: str, repo: str, platform: str, entry: dict[str, Any]) -> PlatformResult:
        digest = entry.get("digest", "")
        try:
            if not self.deep:
                self.client.head_manifest(host, repo, digest)
                return PlatformResult(platform, digest, True, None)
            manifest = self.client.get_manifest(host, repo, digest)
            problem = self._deep_check(host, repo, platform, manifest, claimed=True)
        except NotFound as err:
            what = "manifest" if err.what != "blob" else "a blob of its manifest"
            problem = f"{platform} {what} {_short(digest)} missing: {err}"
        except RegistryError as err:
            problem = f"{platform}: {err}"
        return PlatformResult(platform, digest, problem is None, problem)

    def _deep_check(self, host: str, repo: str, platform: str, manifest: Any, *, claimed: bool) -> str | None:
        """Config and layers of one platform manifest; the problem, or None."""
        body = manifest.json()
        if manifest.is_index:
            return f"{platform} entry {_short(manifest.digest)} is a nested index, not an image"
        if body.get("subject") or body.get("artifactType"):
            return f"{platform} entry {_short(manifest.digest)} is an artifact, not an image"
        config_desc = body.get("config") or {}
        config_digest = config_desc.get("digest", "")
        try:
            config_bytes = self.client.get_blob(host, repo, config_digest)
        except NotFound:
            return f"{platform} config blob {config_digest} missing from {host}/{repo}"
        if config_desc.get("size") is not None and config_desc["size"] != len(config_bytes):
            return f"{platform} config blob {_short(config_digest)} is {len(config_bytes)} bytes, manifest says {config_desc['size']}"
        from onetag.verify.transport import parse_json

        actual = _config_platform(parse_json(config_bytes, f"config {config_digest}"))
        if claimed and actual != platform:
            return f"{platform} entry {_short(manifest.digest)} claims {platform}, but its config says {actual}"
        for layer in body.get("layers") or []:
            if not self.client.blob_exists(host, repo, layer.get("digest", "")):
                return f"{platform} layer {layer.get('digest')} missing from {host}/{repo}"
        return None

    def _single(self, image: str, host: str, repo: str, top: Any) -> ImageVerdict:
        config_digest = (top.json().get("config") or {}).get("digest", "")
        try:
            actual = _config_platform(_json(self.client.get_blob(host, repo, config_digest), config_digest))
        except NotFound:
            problem = f"single-platform image whose config blob {config_digest} is missing"
            return ImageVerdict(image, top.digest, False, (), (), (problem,))
        if self.deep:
            problem = self._deep_check(host, repo, actual, top, claimed=False)
            if problem:
                return ImageVerdict(image, top.digest, False, (), (actual,), (problem,), ((actual, top.digest),))
        results = tuple(
            PlatformResult(p, top.digest if p == actual else None, p == actual, None if p == actual else f"{p} missing")
            for p in self.required
        )
        if all(r.ok for r in results):
            return ImageVerdict(image, top.digest, True, results, (actual,), (), ((actual, top.digest),))
        wanted = ",".join(self.required)
        problem = (f"single-platform image ({actual} only, no index); rebuild it for {wanted}: "
                   f"onetag build --platform {wanted} --push")
        return ImageVerdict(image, top.digest, False, results, (actual,), (problem,), ((actual, top.digest),))


def _json(data: bytes, what: str) -> dict[str, Any]:
    from onetag.verify.transport import parse_json

    return parse_json(data, f"config {what}")


def verify_images(
    images: list[str],
    platforms: list[str],
    *,
    deep: bool = False,
    insecure_registries: frozenset[str] = frozenset(),
    timeout: float = 30.0,
    concurrency: int = 8,
    client: Any = None,
) -> list[ImageVerdict]:
    """One verdict per image, in input order; duplicates are checked once, ``concurrency`` at a time."""
    from onetag.verify.client import RegistryClient

    required = list(dict.fromkeys(parse_platform(p) for p in platforms))
    unique = list(dict.fromkeys(images))
    own = client is None
    if own:
        client = RegistryClient(insecure_registries=insecure_registries, timeout=timeout, max_connections=max(concurrency, 1))
    try:
        checker = _Checker(client, required, deep)
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(unique) or 1))) as pool:
            verdicts = dict(zip(unique, pool.map(checker.verdict, unique)))
    finally:
        if own:
            client.close()
    return [verdicts[image] for image in images]
