"""A real OCI registry for tests: Debian's ``docker-registry`` (distribution 2.8) on loopback.

Fixtures (session-scoped, one process each, started on first use):
  ``registry``        open, plain HTTP
  ``auth_registry``   htpasswd Basic auth (``.username`` / ``.password``)
  ``tls_registry``    HTTPS with a trustme certificate (``.ca_file`` trusts it)
  ``token_registry``  Bearer token auth against ``token_server`` (JWTs the registry validates)
and a ``fault_proxy`` (function-scoped) that fronts ``registry`` and injects failures.

Helpers push content through the registry API: ``push_blob``, ``push_manifest`` and
``push_image`` (a buildx-style index, a Docker manifest list, a single manifest, lying configs).
Nothing here installs anything; without ``/usr/bin/docker-registry`` the tests skip (fail on CI).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import secrets
import socket
import socketserver
import subprocess
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

REGISTRY_BIN = "/usr/bin/docker-registry"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IN_TOTO = "application/vnd.in-toto+json"

# A fixed test password and its bcrypt hash (distribution's htpasswd accepts bcrypt only).
AUTH_USER = "tester"
AUTH_PASSWORD = "s3cret-Pa55word-9f2c"
_AUTH_BCRYPT = "$2b$04$rgG/J52OLeqLdvc/1cZ.eeGqIMazVaawe5Gm/JvWa0FDzv2ZLVB26"


def _require_registry() -> None:
    if not os.access(REGISTRY_BIN, os.X_OK):
        reason = f"{REGISTRY_BIN} not installed (scripts/setup.sh installs the docker-registry package)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def unique_repo(prefix: str = "test") -> str:
    return f"{prefix}/r{uuid.uuid4().hex[:10]}"


@dataclass
class Registry:
    """A running registry: where it listens and how to talk to it."""

    host: str
    scheme: str = "http"
    root: Path | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    token_server: "TokenServer | None" = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    def http(self) -> Any:
        """An httpx client that can push to this registry (auth and TLS taken care of)."""
        auth = None
        if self.token_server is not None:
            auth = _TokenPushAuth(self.token_server)
        elif self.username:
            auth = httpx.BasicAuth(self.username, self.password or "")
        return httpx.Client(base_url=self.url, auth=auth, verify=_verify(self.ca_file), timeout=30)


def _verify(ca_file: str | None) -> Any:
    import ssl

    return ssl.create_default_context(cafile=ca_file) if ca_file else True


def _write_config(root: Path, port: int, extra: str = "") -> Path:
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        "storage:\n"
        f"  filesystem:\n    rootdirectory: {root / 'data'}\n"
        "  delete:\n    enabled: true\n"
        "  maintenance:\n    uploadpurging:\n      enabled: false\n"
        "http:\n"
        f"  addr: 127.0.0.1:{port}\n"
        f"  secret: {secrets.token_hex(16)}\n"
        + extra
    )
    return config


def start_registry(root: Path, extra_config: str = "", *, scheme: str = "http", ca_file: str | None = None) -> Registry:
    """Start docker-registry with ``extra_config`` appended (YAML, top level) and wait for /v2/."""
    import httpx

    _require_registry()
    port = free_port()
    config = _write_config(root, port, extra_config)
    log = open(root / "registry.log", "wb")
    proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    reg = Registry(host=f"127.0.0.1:{port}", scheme=scheme, root=root, ca_file=ca_file, process=proc)
    deadline = time.monotonic() + 15
    with httpx.Client(verify=_verify(ca_file), timeout=2) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {(root / 'registry.log').read_text()[-2000:]}")
            try:
                if client.get(f"{reg.url}/v2/").status_code in (200, 401):
                    return reg
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                stop_registry(reg)
                raise RuntimeError("docker-registry did not answer /v2/ within 15s")
            time.sleep(0.05)


def stop_registry(reg: Registry) -> None:
    if reg.process is not None and reg.process.poll() is None:
        reg.process.terminate()
        try:
            reg.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            reg.process.kill()
            reg.process.wait()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """An open registry on a free 127.0.0.1 port (plain HTTP, deletes enabled)."""
    reg = start_registry(tmp_path_factory.mktemp("registry"))
    yield reg
    stop_registry(reg)


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry behind htpasswd Basic auth: ``AUTH_USER`` / ``AUTH_PASSWORD``."""
    root = tmp_path_factory.mktemp("auth-registry")
    (root / "htpasswd").write_text(f"{AUTH_USER}:{_AUTH_BCRYPT}\n")
    reg = start_registry(root, f"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {root / 'htpasswd'}\n")
    reg.username, reg.password = AUTH_USER, AUTH_PASSWORD
    yield reg
    stop_registry(reg)


@pytest.fixture(scope="session")
def tls_ca() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory, tls_ca: Any) -> Iterator[Registry]:
    """A registry serving HTTPS with a certificate for 127.0.0.1 from a throwaway CA."""
    root = tmp_path_factory.mktemp("tls-registry")
    cert = tls_ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    tls_ca.cert_pem.write_to_path(str(root / "ca.pem"))
    extra = f"  tls:\n    certificate: {root / 'cert.pem'}\n    key: {root / 'key.pem'}\n"
    # tls belongs under http:, which _write_config ends with.
    reg = start_registry(root, extra, scheme="https", ca_file=str(root / "ca.pem"))
    yield reg
    stop_registry(reg)


# --- token auth --------------------------------------------------------------------------


class TokenServer:
    """Issues RS256 JWTs (x5c header) for ``AUTH_USER``; the registry trusts the signing cert."""

    def __init__(self, root: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
        import datetime as dt

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "onetag test token issuer")])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_file = root / "token-cert.pem"
        self.cert_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.key_pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.x5c = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        self.issuer, self.service = "onetag-test-issuer", "onetag-test-registry"
        self.refresh_token = "refresh-" + secrets.token_hex(8)
        self.requests: list[dict[str, Any]] = []
        self.server = _serve(self._handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handle(self, handler: http.server.BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        params = dict(urllib.parse.parse_qsl(parsed.query))
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            params.update(urllib.parse.parse_qsl(handler.rfile.read(length).decode()))
        user = None
        header = handler.headers.get("Authorization", "")
        if header.startswith("Basic "):
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if (name, password) != (AUTH_USER, AUTH_PASSWORD):
                return _reply(handler, 401, {"errors": [{"code": "UNAUTHORIZED"}]})
            user = name
        if params.get("grant_type") == "refresh_token":
            if params.get("refresh_token") != self.refresh_token:
                return _reply(handler, 401, {"errors": [{"code": "UNAUTHORIZED"}]})
            user = AUTH_USER
        scopes = [s for s in params.get("scope", "").split(" ") if s]
        self.requests.append({"method": method, "user": user, "scopes": scopes, "service": params.get("service")})
        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":", 2) if scope.count(":") >= 2 else (scope, "", "")
            granted = actions.split(",") if user else [a for a in actions.split(",") if a == "pull" and name.startswith("public/")]
            access.append({"type": kind, "name": name, "actions": granted})
        token = self.issue(user or "", access)
        _reply(handler, 200, {"token": token, "access_token": token, "expires_in": 300})

    def issue(self, subject: str, access: list[dict[str, Any]]) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": subject, "aud": self.service, "exp": now + 300, "nbf": now - 10,
            "iat": now, "jti": secrets.token_hex(8), "access": access,
        }
        return jwt.encode(claims, self.key_pem, algorithm="RS256", headers={"x5c": [self.x5c]})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _TokenPushAuth(httpx.Auth):
    """httpx auth for test helpers: ask the token server for full access to the repository."""

    def __init__(self, server: TokenServer) -> None:
        self.server = server

    def auth_flow(self, request: Any) -> Iterator[Any]:
        parts = request.url.path.split("/")
        marker = next((i for i, p in enumerate(parts) if p in ("blobs", "manifests", "tags")), None)
        if marker is not None:
            repo = "/".join(parts[2:marker])
            token = self.server.issue(AUTH_USER, [{"type": "repository", "name": repo, "actions": ["pull", "push", "delete"]}])
            request.headers["Authorization"] = f"Bearer {token}"
        yield request


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    pytest.importorskip("jwt")
    server = TokenServer(tmp_path_factory.mktemp("token-server"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory, token_server: TokenServer) -> Iterator[Registry]:
    """A registry that accepts only Bearer tokens from ``token_server``.

    The token server grants what ``AUTH_USER`` asks for, and anonymous pulls of ``public/*``.
    """
    root = tmp_path_factory.mktemp("token-registry")
    extra = (
        "auth:\n  token:\n"
        f"    realm: {token_server.url}/token\n"
        f"    service: {token_server.service}\n"
        f"    issuer: {token_server.issuer}\n"
        f"    rootcertbundle: {token_server.cert_file}\n"
    )
    reg = start_registry(root, extra)
    reg.username, reg.password, reg.token_server = AUTH_USER, AUTH_PASSWORD, token_server
    yield reg
    stop_registry(reg)


# --- a small loopback HTTP server, used by the token server and the fault proxy -------------------


class _ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(handle: Callable[[http.server.BaseHTTPRequestHandler, str], None]) -> _ThreadingServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            handle(self, "GET")

        def do_HEAD(self) -> None:
            handle(self, "HEAD")

        def do_POST(self) -> None:
            handle(self, "POST")

        def do_PUT(self) -> None:
            handle(self, "PUT")

        def do_PATCH(self) -> None:
            handle(self, "PATCH")

        def do_DELETE(self) -> None:
            handle(self, "DELETE")

    server = _ThreadingServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _reply(handler: http.server.BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)


# --- fault injection ---------------------------------------------------------------------


class FaultProxy:
    """A reverse proxy in front of a registry; ``faults`` is a queue of what to do instead of forwarding.

    Each fault is consumed by the next request whose path contains its ``match``:
      ("status", 500, headers)   answer with that status
      ("reset",)                 close the connection without answering
      ("digest", "sha256:...")   forward, but replace Docker-Content-Digest
    """

    def __init__(self, upstream: Registry) -> None:
        self.upstream = httpx.Client(base_url=upstream.url, timeout=30)
        self.faults: list[tuple[str, tuple[Any, ...]]] = []
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = _serve(self._handle)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"

    def add(self, match: str, *fault: Any) -> None:
        with self.lock:
            self.faults.append((match, fault))

    def _take(self, path: str) -> tuple[Any, ...] | None:
        with self.lock:
            for i, (match, fault) in enumerate(self.faults):
                if match in path:
                    del self.faults[i]
                    return fault
        return None

    def _handle(self, handler: http.server.BaseHTTPRequestHandler, method: str) -> None:
        self.seen.append((method, handler.path))
        fault = self._take(handler.path)
        if fault and fault[0] == "status":
            return _reply(handler, fault[1], {"errors": [{"code": "INJECTED", "message": "injected"}]}, fault[2] if len(fault) > 2 else None)
        if fault and fault[0] == "reset":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return None
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        resp = self.upstream.request(method, handler.path, headers=headers, content=body)
        out = {k: v for k, v in resp.headers.items() if k.lower() not in ("content-length", "connection", "transfer-encoding", "content-type", "date")}
        if fault and fault[0] == "digest":
            out = {k: v for k, v in out.items() if k.lower() != "docker-content-digest"}
            out["Docker-Content-Digest"] = fault[1]
        handler.send_response(resp.status_code)
        handler.send_header("Content-Type", resp.headers.get("content-type", "application/octet-stream"))
        handler.send_header("Content-Length", resp.headers.get("content-length", str(len(resp.content))) if method == "HEAD" else str(len(resp.content)))
        for key, value in out.items():
            handler.send_header(key, value)
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(resp.content)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.upstream.close()


@pytest.fixture
def fault_proxy(registry: Registry) -> Iterator[FaultProxy]:
    proxy = FaultProxy(registry)
    yield proxy
    proxy.close()


# --- pushing content ---------------------------------------------------------------------


def push_blob(reg: Registry, repo: str, data: bytes) -> str:
    """Monolithic upload (POST then PUT ?digest=); returns the digest."""
    digest = digest_of(data)
    with reg.http() as client:
        start = client.post(f"/v2/{repo}/blobs/uploads/")
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        sep = "&" if "?" in location else "?"
        done = client.put(f"{location}{sep}digest={digest}", content=data, headers={"Content-Type": "application/octet-stream"})
        assert done.status_code == 201, done.text
    return digest


def push_manifest(reg: Registry, repo: str, reference: str, body: dict[str, Any] | bytes, media_type: str | None = None) -> str:
    """PUT a manifest or index under a tag or digest; returns its digest."""
    data = body if isinstance(body, bytes) else json.dumps(body, indent=2).encode()
    media_type = media_type or (body.get("mediaType") if isinstance(body, dict) else None) or OCI_MANIFEST
    with reg.http() as client:
        resp = client.put(f"/v2/{repo}/manifests/{reference}", content=data, headers={"Content-Type": media_type})
        assert resp.status_code == 201, resp.text
    return digest_of(data)


def delete_blob(reg: Registry, repo: str, digest: str) -> None:
    with reg.http() as client:
        resp = client.delete(f"/v2/{repo}/blobs/{digest}")
        assert resp.status_code == 202, resp.text


def _split_platform(platform: str) -> dict[str, str]:
    parts = platform.split("/")
    out = {"os": parts[0], "architecture": parts[1]}
    if len(parts) > 2:
        out["variant"] = parts[2]
    return out


@dataclass
class PushedImage:
    repo: str
    tag: str
    digest: str  # of the top-level index or manifest
    children: dict[str, str] = field(default_factory=dict)  # platform as claimed -> manifest digest
    configs: dict[str, str] = field(default_factory=dict)  # platform as claimed -> config digest


def push_platform_manifest(reg: Registry, repo: str, platform: str, *, docker: bool = False, config_platform: str | None = None) -> tuple[str, str, int, bytes]:
    """Push one platform's layer, config and manifest; returns (manifest digest, config digest, size, bytes)."""
    layer = f"layer for {platform} {uuid.uuid4().hex}".encode()
    layer_digest = push_blob(reg, repo, layer)
    config = {**_split_platform(config_platform or platform), "rootfs": {"type": "layers", "diff_ids": [layer_digest]}, "config": {}}
    config_bytes = json.dumps(config).encode()
    config_digest = push_blob(reg, repo, config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": [{"mediaType": DOCKER_LAYER if docker else OCI_LAYER, "digest": layer_digest, "size": len(layer)}],
    }
    data = json.dumps(manifest, indent=2).encode()
    digest = push_manifest(reg, repo, digest_of(data), data, manifest["mediaType"])
    return digest, config_digest, len(data), data


def _attestation(reg: Registry, repo: str, subject: str) -> dict[str, Any]:
    """A buildx-style provenance attestation manifest and its index entry."""
    statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "subject": [{"digest": {"sha256": subject[7:]}}]}).encode()
    layer_digest = push_blob(reg, repo, statement)
    config = b"{}"
    config_digest = push_blob(reg, repo, config)
    manifest = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": IN_TOTO, "digest": layer_digest, "size": len(statement),
                    "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
    }
    data = json.dumps(manifest).encode()
    digest = push_manifest(reg, repo, digest_of(data), data, OCI_MANIFEST)
    return {
        "mediaType": OCI_MANIFEST, "digest": digest, "size": len(data),
        "annotations": {"vnd.docker.reference.digest": subject, "vnd.docker.reference.type": "attestation-manifest"},
        "platform": {"architecture": "unknown", "os": "unknown"},
    }


def push_image(
    reg: Registry,
    repo: str,
    tag: str,
    platforms: list[str] | tuple[str, ...] = ("linux/amd64", "linux/arm64"),
    *,
    config_arch_override: dict[str, str] | None = None,
    attestations: bool = True,
    docker: bool = False,
    single: bool = False,
) -> PushedImage:
    """Push a multi-platform image (OCI index, or Docker manifest list with ``docker=True``).

    ``config_arch_override`` maps a claimed platform to what its config really says (the lie
    some published images tell); ``single=True`` pushes one platform's manifest under the tag.
    """
    overrides = config_arch_override or {}
    if single:
        digest, config_digest, size, data = push_platform_manifest(reg, repo, platforms[0], docker=docker, config_platform=overrides.get(platforms[0]))
        push_manifest(reg, repo, tag, data, DOCKER_MANIFEST if docker else OCI_MANIFEST)
        return PushedImage(repo, tag, digest, {platforms[0]: digest}, {platforms[0]: config_digest})
    pushed = PushedImage(repo, tag, "")
    entries = []
    for platform in platforms:
        digest, config_digest, size, _ = push_platform_manifest(reg, repo, platform, docker=docker, config_platform=overrides.get(platform))
        pushed.children[platform], pushed.configs[platform] = digest, config_digest
        entries.append({"mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST, "digest": digest, "size": size,
                        "platform": _split_platform(platform)})
    if attestations and not docker:
        entries += [_attestation(reg, repo, e["digest"]) for e in list(entries)]
    index = {"schemaVersion": 2, "mediaType": DOCKER_LIST if docker else OCI_INDEX, "manifests": entries}
    pushed.digest = push_manifest(reg, repo, tag, index)
    return pushed


__all__ = [
    "registry", "auth_registry", "tls_ca", "tls_registry", "token_server", "token_registry", "fault_proxy",
]
