"""A small client for the OCI distribution API: manifests, blobs, uploads, tags, deletes.

One ``RegistryClient`` shares one httpx connection pool across hosts and threads. It pings each
host once (``/v2/``) to learn its scheme and auth challenge, fetches Bearer tokens per scope,
retries 5xx and connection resets (at most ``retries`` times, honouring Retry-After), fails at
once on refused connections, DNS and TLS errors, and checks every digest it is given against
the bytes. Plain HTTP is used only for loopback hosts and ``insecure_registries``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx

from onetag.verify import transport
from onetag.verify.auth import Challenge, CredentialStore, TokenCache, parse_challenge
from onetag.verify.errors import DigestMismatch, NotFound, ProtocolError, RegistryError

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
ALL_MANIFEST_TYPES = INDEX_TYPES + MANIFEST_TYPES
_MAX_MANIFEST = 4 * 1024 * 1024  # distribution's own limit for a manifest body


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as fetched: its bytes, their digest, and the media type it was served as."""

    media_type: str
    digest: str
    body: bytes

    def json(self) -> dict[str, Any]:
        return transport.parse_json(self.body, f"manifest {self.digest}")

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_digest(reference: str) -> bool:
    return ":" in reference and reference.split(":", 1)[0] in ("sha256", "sha384", "sha512")


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _check_digest(data: bytes, expected: str, what: str) -> None:
    algo = expected.split(":", 1)[0]
    if algo not in ("sha256", "sha384", "sha512"):
        raise ProtocolError(f"{what}: unsupported digest algorithm {algo!r}")
    actual = f"{algo}:{hashlib.new(algo, data).hexdigest()}"
    if actual != expected:
        raise DigestMismatch(f"{what}: content hashes to {actual}, not {expected} (tampered or corrupted)")


class RegistryClient:
    """Thread-safe registry API client; use as a context manager or call ``close()``."""

    def __init__(
        self,
        *,
        insecure_registries: frozenset[str] = frozenset(),
        timeout: float = 30.0,
        verify: bool | str = True,
        credentials: CredentialStore | None = None,
        max_connections: int = 16,
        retries: int = 2,
        max_retry_wait: float = 10.0,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.insecure_registries = frozenset(insecure_registries)
        self.credentials = credentials if credentials is not None else CredentialStore()
        self.retries, self.max_retry_wait, self.timeout = retries, max_retry_wait, timeout
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        tmo = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        if isinstance(verify, str):
            verify = ssl.create_default_context(cafile=verify)
        self._http = httpx.Client(timeout=tmo, verify=verify, limits=limits, transport=http_transport, follow_redirects=False)
        self._unverified: httpx.Client | None = None
        self._kw = {"timeout": tmo, "limits": limits, "transport": http_transport}
        self._hosts: dict[str, transport.Endpoint] = {}
        self._host_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.tokens = TokenCache()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        if self._unverified is not None:
            self._unverified.close()

    # --- manifests -----------------------------------------------------------------------

    def get_manifest(self, host: str, repo: str, reference: str, *, accept: tuple[str, ...] = ALL_MANIFEST_TYPES) -> Manifest:
        """GET a manifest or index; checks Docker-Content-Digest and, for a digest reference, the bytes."""
        what = f"{host}/{repo}:{reference}" if not is_digest(reference) else f"{host}/{repo}@{reference}"
        resp = self.request("GET", host, f"/v2/{repo}/manifests/{reference}", repo=repo, headers={"Accept": ", ".join(accept)})
        self._raise_for(resp, host, repo, reference, "manifest")
        body = resp.content
        if len(body) > _MAX_MANIFEST:
            raise ProtocolError(f"{what}: manifest larger than {_MAX_MANIFEST} bytes")
        media_type = self._media_type(resp, body, accept, what)
        digest = sha256_digest(body)
        if is_digest(reference):
            _check_digest(body, reference, what)
            digest = reference
        header = resp.headers.get("Docker-Content-Digest")
        if header and header != digest:
            raise DigestMismatch(f"{what}: registry says {header} but the manifest hashes to {digest} (tampered or corrupted)")
        return Manifest(media_type, digest, body)

    def head_manifest(self, host: str, repo: str, reference: str, *, accept: tuple[str, ...] = ALL_MANIFEST_TYPES) -> Descriptor:
        """HEAD a manifest (does not count as a pull on Docker Hub); raises NotFound when absent."""
        resp = self.request("HEAD", host, f"/v2/{repo}/manifests/{reference}", repo=repo, headers={"Accept": ", ".join(accept)})
        self._raise_for(resp, host, repo, reference, "manifest")
        digest = resp.headers.get("Docker-Content-Digest", "")
        if is_digest(reference) and digest and digest != reference:
            raise DigestMismatch(f"{host}/{repo}@{reference}: registry says {digest} (tampered or corrupted)")
        media_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
        return Descriptor(media_type, digest or reference, int(resp.headers.get("Content-Length") or 0))

    def put_manifest(self, host: str, repo: str, reference: str, body: bytes, media_type: str) -> str:
        """PUT a manifest under a tag or digest; returns its digest (checked against the registry's)."""
        resp = self.request("PUT", host, f"/v2/{repo}/manifests/{reference}", repo=repo, actions=("pull", "push"),
                            headers={"Content-Type": media_type}, content=body)
        self._raise_for(resp, host, repo, reference, "manifest", expect=(201,))
        digest = sha256_digest(body)
        header = resp.headers.get("Docker-Content-Digest")
        if header and header != digest:
            raise DigestMismatch(f"{host}/{repo}:{reference}: registry stored {header}, we sent {digest}")
        return digest

    def delete_manifest(self, host: str, repo: str, reference: str) -> str:
        """DELETE a manifest (a tag is resolved to its digest first); returns the digest deleted."""
        digest = reference if is_digest(reference) else self.head_manifest(host, repo, reference).digest
        resp = self.request("DELETE", host, f"/v2/{repo}/manifests/{digest}", repo=repo, actions=("pull", "push", "delete"))
        self._raise_for(resp, host, repo, digest, "manifest", expect=(202, 200))
        return digest

    def list_tags(self, host: str, repo: str, *, page_size: int = 1000) -> list[str]:
        """Every tag of ``repo``, following ``Link: <...>; rel="next"`` pagination."""
        tags: list[str] = []
        path: str | None = f"/v2/{repo}/tags/list?n={page_size}"
        while path:
            resp = self.request("GET", host, path, repo=repo)
            self._raise_for(resp, host, repo, "", "repository")
            tags += transport.parse_json(resp.content, f"{host}/{repo} tag list").get("tags") or []
            path = transport.next_link(resp.headers.get("Link", ""))
        return tags

    # --- blobs ---------------------------------------------------------------------------

    def get_blob(self, host: str, repo: str, digest: str, *, max_size: int = 64 * 1024 * 1024) -> bytes:
        """GET a blob (following redirects to storage) and check its digest."""
        resp = self.request("GET", host, f"/v2/{repo}/blobs/{digest}", repo=repo)
        self._raise_for(resp, host, repo, digest, "blob")
        if len(resp.content) > max_size:
            raise ProtocolError(f"{host}/{repo}@{digest}: blob larger than {max_size} bytes")
        _check_digest(resp.content, digest, f"blob {digest} in {host}/{repo}")
        return resp.content

    def head_blob(self, host: str, repo: str, digest: str) -> Descriptor:
        resp = self.request("HEAD", host, f"/v2/{repo}/blobs/{digest}", repo=repo)
        self._raise_for(resp, host, repo, digest, "blob")
        return Descriptor(resp.headers.get("Content-Type", ""), digest, int(resp.headers.get("Content-Length") or 0))

    def blob_exists(self, host: str, repo: str, digest: str) -> bool:
        try:
            self.head_blob(host, repo, digest)
        except NotFound:
            return False
        return True

    def put_blob(self, host: str, repo: str, data: bytes, *, chunk_size: int | None = None) -> str:
        """Upload a blob unless it is there: one PUT, or PATCH chunks then PUT when ``chunk_size`` is set."""
        digest = sha256_digest(data)
        if self.blob_exists(host, repo, digest):
            return digest
        push = ("pull", "push")
        resp = self.request("POST", host, f"/v2/{repo}/blobs/uploads/", repo=repo, actions=push, content=b"")
        self._raise_for(resp, host, repo, digest, "upload", expect=(202,))
        location = resp.headers["Location"]
        if chunk_size:
            for start in range(0, len(data), chunk_size):
                chunk = data[start:start + chunk_size]
                headers = {"Content-Type": "application/octet-stream", "Content-Range": f"{start}-{start + len(chunk) - 1}"}
                resp = self.request("PATCH", host, location, repo=repo, actions=push, headers=headers, content=chunk)
                self._raise_for(resp, host, repo, digest, "upload", expect=(202,))
                location = resp.headers["Location"]
            data = b""
        final = transport.add_query(location, digest=digest)
        resp = self.request("PUT", host, final, repo=repo, actions=push, content=data,
                            headers={"Content-Type": "application/octet-stream"})
        self._raise_for(resp, host, repo, digest, "upload", expect=(201,))
        return digest

    def mount_blob(self, host: str, repo: str, digest: str, from_repo: str) -> bool:
        """Cross-repository mount; False (and the upload it opened cancelled) when the registry declines."""
        scopes = (f"repository:{repo}:pull,push", f"repository:{from_repo}:pull")
        path = f"/v2/{repo}/blobs/uploads/?mount={urllib.parse.quote(digest)}&from={urllib.parse.quote(from_repo)}"
        resp = self.request("POST", host, path, repo=repo, scopes=scopes, content=b"")
        if resp.status_code == 201:
            return True
        self._raise_for(resp, host, repo, digest, "upload", expect=(202,))
        self.request("DELETE", host, resp.headers["Location"], repo=repo, scopes=scopes)
        return False

    # --- plumbing ------------------------------------------------------------------------

    def request(self, method: str, host: str, path: str, *, repo: str = "", actions: tuple[str, ...] = ("pull",),
                scopes: tuple[str, ...] | None = None, headers: dict[str, str] | None = None, content: bytes | None = None) -> httpx.Response:
        """One API request with auth, redirects and retries; ``path`` may be absolute (upload Locations)."""
        endpoint = self.endpoint(host)
        if scopes is None:
            scopes = (f"repository:{repo}:{','.join(actions)}",) if repo else ()
        return transport.send(self, endpoint, method, path, scopes, dict(headers or {}), content)

    def endpoint(self, host: str) -> transport.Endpoint:
        """Ping ``host`` once to learn its scheme and challenge (thread-safe, cached)."""
        with self._lock:
            if host in self._hosts:
                return self._hosts[host]
            lock = self._host_locks.setdefault(host, threading.Lock())
        with lock:
            with self._lock:
                if host in self._hosts:
                    return self._hosts[host]
            found = transport.ping(self, host)
            with self._lock:
                self._hosts[host] = found
            return found

    def http_for(self, endpoint: transport.Endpoint) -> httpx.Client:
        if not endpoint.unverified:
            return self._http
        with self._lock:
            if self._unverified is None:
                self._unverified = httpx.Client(verify=False, follow_redirects=False, **self._kw)
            return self._unverified

    def plain_http_allowed(self, host: str) -> bool:
        return is_loopback(host) or host in self.insecure_registries

    def set_challenge(self, host: str, challenge: Challenge | None) -> None:
        with self._lock:
            self._hosts[host] = self._hosts[host].with_challenge(challenge)

    def _media_type(self, resp: httpx.Response, body: bytes, accept: tuple[str, ...], what: str) -> str:
        header = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if header in accept:
            return header
        # Some registries answer application/json; the body's own mediaType then decides.
        declared = transport.parse_json(body, what).get("mediaType", "")
        if declared in accept:
            return declared
        raise ProtocolError(f"{what}: unsupported manifest type {header or declared or 'unknown'!r} (schema 1 or an artifact?)")

    def _raise_for(self, resp: httpx.Response, host: str, repo: str, reference: str, what: str, expect: tuple[int, ...] = (200,)) -> None:
        if resp.status_code in expect:
            return
        transport.raise_for_status(self, resp, host, repo, reference, what)


__all__ = [
    "ALL_MANIFEST_TYPES", "DOCKER_LIST", "DOCKER_MANIFEST", "Descriptor", "INDEX_TYPES", "MANIFEST_TYPES", "Manifest",
    "OCI_INDEX", "OCI_MANIFEST", "RegistryClient", "RegistryError", "is_digest", "is_loopback", "parse_challenge",
    "sha256_digest",
]
