"""RegistryClient against real registries: auth (Basic, token, helpers), TLS, faults, push/delete/tags."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from pathlib import Path

import httpx
import pytest

from onetag.verify.auth import CredentialStore
from onetag.verify.client import OCI_INDEX, OCI_MANIFEST, RegistryClient, sha256_digest
from onetag.verify.errors import AuthDenied, DigestMismatch, NotFound, RateLimited, RegistryError, Unreachable
from onetag.verify.platforms import verify_images
from tests.registry_fixtures import AUTH_PASSWORD, AUTH_USER, push_image, unique_repo
from tests.test_verify_command import onetag

pytestmark = pytest.mark.registry
BOTH = ["linux/amd64", "linux/arm64"]


def _docker_config(folder: Path, data: dict) -> CredentialStore:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(data))
    return CredentialStore(folder / "config.json")


def _auths(host: str) -> dict:
    return {"auths": {host: {"auth": base64.b64encode(f"{AUTH_USER}:{AUTH_PASSWORD}".encode()).decode()}}}


def _verdict(image: str, store: CredentialStore, **kw: object):  # noqa: ANN202
    with RegistryClient(credentials=store, **kw) as client:
        (verdict,) = verify_images([image], BOTH, deep=True, client=client)
    return verdict


# --- Basic auth --------------------------------------------------------------------------


def test_basic_auth_with_auths_entry(auth_registry, tmp_path: Path) -> None:  # noqa: ANN001
    repo = unique_repo()
    push_image(auth_registry, repo, "1.0")
    verdict = _verdict(f"{auth_registry.host}/{repo}:1.0", _docker_config(tmp_path, _auths(auth_registry.host)))
    assert verdict.ok, verdict.problems


def test_basic_auth_denied_names_the_source_not_the_secret(auth_registry, tmp_path: Path) -> None:  # noqa: ANN001
    store = _docker_config(tmp_path, {})
    verdict = _verdict(f"{auth_registry.host}/test/x:1.0", store)
    (problem,) = verdict.problems
    assert problem == (f"access to test/x on {auth_registry.host} denied (401) with anonymous "
                       f"(no credentials for {auth_registry.host} in {tmp_path / 'config.json'}); "
                       f"run `docker login {auth_registry.host}`")
    wrong = {"auths": {auth_registry.host: {"auth": base64.b64encode(b"tester:wrong-password-123").decode()}}}
    verdict = _verdict(f"{auth_registry.host}/test/x:1.0", _docker_config(tmp_path / "w", wrong))
    assert "denied (401) with credentials from auths in" in verdict.problems[0]
    assert "wrong-password-123" not in verdict.problems[0]


def test_cli_auths_password_never_printed(auth_registry, tmp_path: Path) -> None:  # noqa: ANN001
    repo = unique_repo()
    push_image(auth_registry, repo, "1.0")
    _docker_config(tmp_path, _auths(auth_registry.host))
    for fmt in ("text", "json"):
        for image in (f"{auth_registry.host}/{repo}:1.0", f"{auth_registry.host}/{repo}:missing"):
            rc, out, err = onetag("-v", "verify", "--deep", "--format", fmt, image, cwd=tmp_path, env={"DOCKER_CONFIG": str(tmp_path)})
            assert AUTH_PASSWORD not in out + err
            assert base64.b64encode(f"{AUTH_USER}:{AUTH_PASSWORD}".encode()).decode() not in out + err
    assert rc == 1 and "tag 'missing' not found" in out


# --- credential helpers ------------------------------------------------------------------


def _helper(bin_dir: Path, body: str) -> dict[str, str]:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "docker-credential-test"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_credential_helper_cli(auth_registry, tmp_path: Path) -> None:  # noqa: ANN001
    repo = unique_repo()
    push_image(auth_registry, repo, "1.0")
    env = _helper(tmp_path / "bin", f"""read server
[ "$1" = get ] || exit 3
printf '{{"ServerURL":"%s","Username":"{AUTH_USER}","Secret":"{AUTH_PASSWORD}"}}' "$server"
""")
    _docker_config(tmp_path / "cfg", {"credHelpers": {auth_registry.host: "test"}, **_auths("other.example")})
    env["DOCKER_CONFIG"] = str(tmp_path / "cfg")
    rc, out, err = onetag("verify", "--deep", f"{auth_registry.host}/{repo}:1.0", cwd=tmp_path, env=env)
    assert rc == 0, out + err
    assert AUTH_PASSWORD not in out + err


def test_credential_helper_not_found_and_failure(auth_registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    env = _helper(tmp_path / "bin", 'echo "credentials not found in native keychain"; exit 1\n')
    monkeypatch.setenv("PATH", env["PATH"])
    store = _docker_config(tmp_path, {"credsStore": "test"})
    verdict = _verdict(f"{auth_registry.host}/test/x:1", store)
    assert f"denied (401) with anonymous (docker-credential-test (from {tmp_path / 'config.json'}))" in verdict.problems[0]
    _helper(tmp_path / "bin", f'echo "oops {AUTH_PASSWORD}"; exit 7\n')
    verdict = _verdict(f"{auth_registry.host}/test/x:1", _docker_config(tmp_path / "b", {"credsStore": "test"}))
    assert verdict.problems == (f"{auth_registry.host}: credential helper docker-credential-test failed (exit 7)",)


# --- token auth --------------------------------------------------------------------------


def test_token_auth_with_password_and_token_cache(token_registry, token_server, tmp_path: Path) -> None:  # noqa: ANN001
    repo = unique_repo()
    for tag in ("a", "b", "c"):
        push_image(token_registry, repo, tag)
    store = _docker_config(tmp_path, _auths(token_registry.host))
    before = len(token_server.requests)
    with RegistryClient(credentials=store) as client:
        verdicts = verify_images([f"{token_registry.host}/{repo}:{t}" for t in "abc"], BOTH, deep=True, client=client, concurrency=1)
    assert [v.ok for v in verdicts] == [True, True, True], [v.problems for v in verdicts]
    asked = token_server.requests[before:]
    assert len(asked) == 1 and asked[0]["user"] == AUTH_USER and asked[0]["scopes"] == [f"repository:{repo}:pull"]


def test_token_auth_anonymous(token_registry, tmp_path: Path) -> None:  # noqa: ANN001
    public = "public/" + unique_repo().split("/")[1]
    push_image(token_registry, public, "1.0")
    store = _docker_config(tmp_path, {})
    assert _verdict(f"{token_registry.host}/{public}:1.0", store).ok
    private = unique_repo()
    push_image(token_registry, private, "1.0")
    problem = _verdict(f"{token_registry.host}/{private}:1.0", store).problems[0]
    assert problem.startswith(f"access to {private} on {token_registry.host} denied (401) with anonymous")


def test_token_auth_identity_token_from_helper(token_registry, token_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    repo = unique_repo()
    push_image(token_registry, repo, "1.0")
    env = _helper(tmp_path / "bin", f"""read server
printf '{{"ServerURL":"%s","Username":"<token>","Secret":"{token_server.refresh_token}"}}' "$server"
""")
    monkeypatch.setenv("PATH", env["PATH"])
    store = _docker_config(tmp_path, {"credHelpers": {token_registry.host: "test"}})
    assert _verdict(f"{token_registry.host}/{repo}:1.0", store).ok
    assert token_server.requests[-1]["method"] == "POST"


# --- TLS and plain HTTP --------------------------------------------------------------------


def test_tls_needs_the_ca(tls_registry, tmp_path: Path) -> None:  # noqa: ANN001
    repo = unique_repo()
    push_image(tls_registry, repo, "1.0")
    image = f"{tls_registry.host}/{repo}:1.0"
    store = _docker_config(tmp_path, {})
    problem = _verdict(image, store).problems[0]
    assert problem.startswith(f"TLS certificate of {tls_registry.host} is not trusted")
    assert _verdict(image, store, verify=tls_registry.ca_file).ok
    rc, out, _ = onetag("verify", image, cwd=tmp_path, env={"SSL_CERT_FILE": tls_registry.ca_file})
    assert rc == 0, out
    rc, out, _ = onetag("verify", "--insecure-registry", tls_registry.host, image, cwd=tmp_path)
    assert rc == 0, out


def test_plain_http_only_for_loopback_or_insecure() -> None:
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        if request.url.scheme == "https":
            raise httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
        return httpx.Response(200, json={})

    with RegistryClient(http_transport=httpx.MockTransport(handler), credentials=CredentialStore(Path("/nonexistent"))) as client:
        with pytest.raises(Unreachable, match="TLS handshake with registry.example failed"):
            client.endpoint("registry.example")
        assert urls == ["https://registry.example/v2/"]
        assert client.endpoint("localhost:5000").base == "http://localhost:5000"
    with RegistryClient(http_transport=httpx.MockTransport(handler), insecure_registries=frozenset({"registry.example"})) as client:
        assert client.endpoint("registry.example").base == "http://registry.example"


def test_redirect_never_carries_authorization_to_another_host(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []
    body = b"config bytes"

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("Authorization")))
        if request.url.path == "/v2/":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        if request.url.host == "registry.example":
            if request.url.path.endswith("/same"):
                return httpx.Response(307, headers={"Location": "/v2/acme/app/other"})
            if request.url.path.endswith(sha256_digest(body)) and "redirected" not in str(request.url):
                return httpx.Response(307, headers={"Location": "https://storage.example/blob?redirected=1"})
        return httpx.Response(200, content=body)

    store = _docker_config(tmp_path, {"auths": {"registry.example": {"auth": base64.b64encode(b"u:p4ss").decode()}}})
    with RegistryClient(http_transport=httpx.MockTransport(handler), credentials=store) as client:
        assert client.get_blob("registry.example", "acme/app", sha256_digest(body)) == body
        assert seen[-2][0] == "registry.example" and seen[-2][1].startswith("Basic ")
        assert seen[-1] == ("storage.example", None)
        client.request("GET", "registry.example", "/v2/acme/app/same", repo="acme/app")
        assert seen[-2][1] is not None and seen[-1][0] == "registry.example" and seen[-1][1] is not None


# --- faults ------------------------------------------------------------------------------


@pytest.fixture
def proxied(fault_proxy, registry):  # noqa: ANN001, ANN201
    repo = unique_repo("fault")
    pushed = push_image(registry, repo, "1.0")
    return fault_proxy, f"{fault_proxy.host}/{repo}:1.0", pushed


def _shallow(image: str, **kw: object):  # noqa: ANN202
    with RegistryClient(credentials=CredentialStore(Path("/nonexistent")), **kw) as client:
        (verdict,) = verify_images([image], BOTH, client=client)
    return verdict


def test_500_then_success_is_retried(proxied) -> None:  # noqa: ANN001
    proxy, image, _ = proxied
    proxy.add("/manifests/1.0", "status", 500)
    proxy.add("/manifests/1.0", "status", 503, {"Retry-After": "0"})
    assert _shallow(image).ok
    assert len([p for _, p in proxy.seen if p.endswith("/manifests/1.0")]) == 3  # two failures, then the answer


def test_reset_then_success_is_retried(proxied) -> None:  # noqa: ANN001
    proxy, image, _ = proxied
    proxy.add("/manifests/1.0", "reset")
    assert _shallow(image).ok


def test_persistent_500_gives_up_after_two_retries(proxied) -> None:  # noqa: ANN001
    proxy, image, _ = proxied
    for _ in range(3):
        proxy.add("/manifests/1.0", "status", 500)
    verdict = _shallow(image)
    assert verdict.problems == (f"{proxy.host} failed with 500 (INJECTED) after 2 retries; try again later",)


def test_429_short_retry_after_is_retried(proxied) -> None:  # noqa: ANN001
    proxy, image, _ = proxied
    proxy.add("/manifests/1.0", "status", 429, {"Retry-After": "1"})
    start = time.monotonic()
    assert _shallow(image).ok
    assert time.monotonic() - start >= 0.9


def test_429_long_retry_after_is_reported(proxied) -> None:  # noqa: ANN001
    proxy, image, _ = proxied
    proxy.add("/manifests/1.0", "status", 429, {"Retry-After": "3600", "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600"})
    start = time.monotonic()
    verdict = _shallow(image)
    assert time.monotonic() - start < 5
    assert verdict.problems == (f"{proxy.host} rate limit reached (429); retry after 3600s; 0 of 100 pulls left; try again later",)


def test_wrong_content_digest_is_tampering(proxied) -> None:  # noqa: ANN001
    proxy, image, _ = proxied
    forged = "sha256:" + "0" * 64
    proxy.add("/manifests/1.0", "digest", forged)
    (problem,) = _shallow(image).problems
    assert problem.startswith(f"{image}: registry says {forged} but the manifest hashes to sha256:") and "tampered" in problem


def test_child_served_with_wrong_digest(proxied) -> None:  # noqa: ANN001
    proxy, image, pushed = proxied
    proxy.add(pushed.children["linux/arm64"], "digest", "sha256:" + "1" * 64)
    with RegistryClient(credentials=CredentialStore(Path("/nonexistent"))) as client:
        with pytest.raises(DigestMismatch, match="tampered"):
            client.head_manifest(proxy.host, image.split("/", 1)[1].split(":")[0], pushed.children["linux/arm64"])


def test_refused_connection_is_not_retried() -> None:
    from tests.registry_fixtures import free_port

    host = f"127.0.0.1:{free_port()}"
    start = time.monotonic()
    with RegistryClient(credentials=CredentialStore(Path("/nonexistent"))) as client:
        with pytest.raises(Unreachable, match="connection refused"):
            client.get_manifest(host, "a/b", "1")
    assert time.monotonic() - start < 2


# --- the write side: uploads, mounts, manifests, tags, deletes ------------------------------


@pytest.mark.parametrize("chunk_size", [None, 7], ids=["monolithic", "chunked"])
def test_upload_and_read_back(registry, chunk_size: int | None) -> None:  # noqa: ANN001
    repo = unique_repo("push")
    data = os.urandom(50)
    with RegistryClient() as client:
        digest = client.put_blob(registry.host, repo, data, chunk_size=chunk_size)
        assert digest == sha256_digest(data)
        assert client.get_blob(registry.host, repo, digest) == data
        assert client.put_blob(registry.host, repo, data) == digest  # already there: no second upload
        other = unique_repo("push")
        assert client.mount_blob(registry.host, other, digest, repo) is True
        assert client.blob_exists(registry.host, other, digest)


def test_manifests_tags_and_delete(registry) -> None:  # noqa: ANN001
    repo = unique_repo("push")
    with RegistryClient() as client:
        config = client.put_blob(registry.host, repo, b'{"os":"linux","architecture":"arm64"}')
        manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 38},
                               "layers": []}).encode()
        child = client.put_manifest(registry.host, repo, sha256_digest(manifest), manifest, OCI_MANIFEST)
        index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": child, "size": len(manifest), "platform": {"os": "linux", "architecture": "arm64"}}]}).encode()
        tags = ["v1", "v2", "v3", "latest", "edge"]
        for tag in tags:
            assert client.put_manifest(registry.host, repo, tag, index, OCI_INDEX) == sha256_digest(index)
        assert sorted(client.list_tags(registry.host, repo, page_size=2)) == sorted(tags)
        got = client.get_manifest(registry.host, repo, "v1")
        assert got.is_index and got.body == index and got.digest == sha256_digest(index)
        assert client.head_manifest(registry.host, repo, "v2").digest == sha256_digest(index)
        assert client.delete_manifest(registry.host, repo, "v3") == sha256_digest(index)
        with pytest.raises(NotFound) as err:
            client.get_manifest(registry.host, repo, "v1")
        assert err.value.what == "tag"
        with pytest.raises(NotFound, match="repository"):
            client.list_tags(registry.host, "push/never-there")


def test_push_with_token_auth(token_registry, tmp_path: Path) -> None:  # noqa: ANN001
    repo = unique_repo("push")
    store = _docker_config(tmp_path, _auths(token_registry.host))
    with RegistryClient(credentials=store) as client:
        digest = client.put_blob(token_registry.host, repo, b"hello", chunk_size=2)
        assert client.get_blob(token_registry.host, repo, digest) == b"hello"
        assert client.mount_blob(token_registry.host, unique_repo("push"), digest, repo)
    with RegistryClient(credentials=_docker_config(tmp_path / "anon", {})) as client:
        with pytest.raises(AuthDenied) as err:
            client.put_blob(token_registry.host, repo, b"nope")
    assert AUTH_PASSWORD not in str(err.value)


def test_credential_repr_hides_secrets(tmp_path: Path) -> None:
    store = _docker_config(tmp_path, _auths("r.example"))
    cred = store.get("r.example")
    assert cred.password == AUTH_PASSWORD
    assert AUTH_PASSWORD not in repr(cred) and AUTH_PASSWORD not in str(cred)


def test_docker_hub_key(tmp_path: Path) -> None:
    store = _docker_config(tmp_path, {"auths": {"https://index.docker.io/v1/": {"auth": base64.b64encode(b"hubuser:hubpass").decode()}}})
    assert store.get("registry-1.docker.io").username == "hubuser"
    assert store.get("ghcr.io") is None


def test_registry_errors_are_one_line() -> None:
    for cls in (AuthDenied, RateLimited, Unreachable, DigestMismatch, RegistryError):
        assert cls.exit_code == 1
