"""The wire side of ``RegistryClient``: ping, auth, redirects, retries and error mapping.

Kept apart from the API methods so each file reads in one sitting. Nothing here puts a
credential into a message: errors name the host, repository and credential *source* only.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx

from onetag.verify.auth import Challenge, CredentialError, parse_challenge
from onetag.verify.errors import AuthDenied, NotFound, ProtocolError, RateLimited, RegistryError, Unreachable

if TYPE_CHECKING:
    from onetag.verify.client import RegistryClient

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Endpoint:
    host: str
    base: str  # "https://host" or "http://host"
    challenge: Challenge | None = None
    unverified: bool = False  # --insecure-registry host whose TLS certificate is not checked

    def with_challenge(self, challenge: Challenge | None) -> Endpoint:
        return replace(self, challenge=challenge)


def parse_json(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ProtocolError(f"{what}: the registry answered something that is not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"{what}: expected a JSON object")
    return data


def next_link(header: str) -> str | None:
    match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', header)
    return match.group(1) if match else None


def add_query(url: str, **params: str) -> str:
    sep = "&" if "?" in url else "?"
    return url + sep + urllib.parse.urlencode(params)


# --- connecting ----------------------------------------------------------------------------


def _connect_error(host: str, err: Exception) -> Unreachable:
    text = str(err)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        reason = text.split("certificate verify failed:")[-1].split("(_ssl")[0].strip() or "untrusted certificate"
        return Unreachable(f"TLS certificate of {host} is not trusted ({reason}); point SSL_CERT_FILE at its CA, "
                           f"or pass --insecure-registry {host} if you accept that risk")
    if "SSL" in text or "TLS" in text:
        return Unreachable(f"TLS handshake with {host} failed: {text.split('(_ssl')[0].strip()}")
    if "Name or service not known" in text or "name resolution" in text or "nodename nor servname" in text:
        return Unreachable(f"cannot resolve {host.rsplit(':', 1)[0]} (DNS); check the registry name")
    if "refused" in text.lower():
        return Unreachable(f"cannot connect to {host}: connection refused (is the registry running?)")
    return Unreachable(f"cannot connect to {host}: {text or type(err).__name__}")


def _plain_tls_mismatch(err: Exception) -> bool:
    # What an https request to a plain-HTTP server looks like from Python's ssl module.
    text = str(err)
    return any(s in text for s in ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure", "UNEXPECTED_EOF"))


def ping(client: RegistryClient, host: str) -> Endpoint:
    """GET /v2/ over HTTPS (plain HTTP only where allowed); remember the scheme and auth challenge."""
    candidates = [Endpoint(host, f"https://{host}")]
    if client.plain_http_allowed(host):
        if host in client.insecure_registries:
            candidates.append(Endpoint(host, f"https://{host}", unverified=True))
        candidates.append(Endpoint(host, f"http://{host}"))
    last: Exception | None = None
    for endpoint in candidates:
        try:
            resp = _retrying(client, endpoint, lambda ep=endpoint: client.http_for(ep).get(f"{ep.base}/v2/"))
        except Unreachable as err:
            cause = err.__cause__ or err
            nxt = candidates[candidates.index(endpoint) + 1] if endpoint is not candidates[-1] else None
            untrusted = "TLS certificate" in str(err) and nxt is not None and nxt.unverified
            if nxt is None or not (_plain_tls_mismatch(cause) or untrusted):
                raise
            last = err
            continue
        challenge = parse_challenge(resp.headers.get("WWW-Authenticate", "")) if resp.status_code == 401 else None
        return replace(endpoint, challenge=challenge)
    raise last or Unreachable(f"cannot connect to {host}")  # pragma: no cover - loop always returns or raises


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            from email.utils import parsedate_to_datetime

            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
    return None


def _retrying(client: RegistryClient, endpoint: Endpoint, call: Any) -> httpx.Response:
    """Run ``call`` with at most ``client.retries`` retries of 5xx, 429 (short waits) and resets."""
    attempt = 0
    while True:
        try:
            resp = call()
        except httpx.ConnectError as err:
            raise _connect_error(endpoint.host, err) from err
        except httpx.TimeoutException as err:
            raise Unreachable(f"{endpoint.host} did not answer within {client.timeout:g}s") from err
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as err:
            if attempt >= client.retries:
                raise Unreachable(f"connection to {endpoint.host} was reset {attempt + 1} times; try again later") from err
            attempt += 1
            time.sleep(0.1 * 2**attempt)
            continue
        retryable = resp.status_code >= 500 or resp.status_code == 429
        if not retryable or attempt >= client.retries:
            return resp
        wait = _retry_after(resp)
        if resp.status_code == 429 and (wait is None or wait > client.max_retry_wait):
            return resp
        attempt += 1
        time.sleep(min(wait if wait is not None else 0.2 * 2**attempt, client.max_retry_wait))


# --- auth ---------------------------------------------------------------------------------


def _credential(client: RegistryClient, host: str) -> Any:
    try:
        return client.credentials.get(host)
    except CredentialError as err:
        raise AuthDenied(f"{host}: {err}") from None


def _token(client: RegistryClient, endpoint: Endpoint, challenge: Challenge, scopes: tuple[str, ...]) -> str:
    realm, service = challenge.get("realm"), challenge.get("service")
    scope = " ".join(scopes) or challenge.get("scope")
    key = (realm, service, scope)
    cached = client.tokens.get(key)
    if cached:
        return cached
    realm_host = urllib.parse.urlsplit(realm).netloc
    if not realm.startswith("https://") and not client.plain_http_allowed(realm_host):
        raise AuthDenied(f"{endpoint.host}: token realm {realm} is not HTTPS; refusing to send credentials to it")
    cred = _credential(client, endpoint.host)
    params = {k: v for k, v in (("service", service), ("scope", scope)) if v}
    http = client.http_for(endpoint)
    try:
        if cred is not None and cred.identity_token:
            form = {**params, "grant_type": "refresh_token", "refresh_token": cred.identity_token, "client_id": "onetag"}
            resp = http.post(realm, data=form)
        else:
            headers = {"Authorization": cred.basic_header()} if cred is not None else {}
            resp = http.get(realm, params=params, headers=headers)
    except httpx.TransportError as err:
        raise _connect_error(realm_host, err) from err
    if resp.status_code in (401, 403):
        raise AuthDenied(_denied(client, endpoint.host, scope, resp.status_code, cred, "the token server refused"))
    if resp.status_code == 429:
        raise _rate_limited(endpoint.host, resp)
    if resp.status_code != 200:
        raise ProtocolError(f"token server {realm_host} answered {resp.status_code}")
    data = parse_json(resp.content, f"token from {realm_host}")
    token = data.get("token") or data.get("access_token")
    if not token:
        raise ProtocolError(f"token server {realm_host} sent no token")
    client.tokens.put(key, token, float(data.get("expires_in") or 60))
    return token


def _authorization(client: RegistryClient, endpoint: Endpoint, scopes: tuple[str, ...]) -> str | None:
    challenge = endpoint.challenge
    if challenge is None:
        return None
    if challenge.scheme == "bearer":
        return "Bearer " + _token(client, endpoint, challenge, scopes)
    if challenge.scheme == "basic":
        cred = _credential(client, endpoint.host)
        return cred.basic_header() if cred is not None and cred.username else None
    return None


def _denied(client: RegistryClient, host: str, scope: str, status: int, cred: Any, how: str = "denied") -> str:
    repo = scope.split(":")[1] if scope.count(":") >= 2 else "the registry"
    if cred is not None:
        source = f"credentials from {cred.source}"
    else:
        try:
            source = f"anonymous ({client.credentials.describe(host)})"
        except CredentialError:
            source = "anonymous"
    return f"access to {repo} on {host} {how} ({status}) with {source}; run `docker login {host}`"


def _rate_limited(host: str, resp: httpx.Response) -> RateLimited:
    wait = _retry_after(resp)
    parts = [f"{host} rate limit reached (429)"]
    if wait is not None:
        parts.append(f"retry after {wait:.0f}s")
    remaining = resp.headers.get("ratelimit-remaining")
    if remaining:
        limit = resp.headers.get("ratelimit-limit", "").split(";")[0]
        left = remaining.split(";")[0]
        parts.append(f"{left} of {limit} pulls left" if limit else f"{left} pulls left")
    parts.append("log in (`docker login`) for a higher limit" if "docker.io" in host else "try again later")
    return RateLimited("; ".join(parts), wait)


# --- sending -------------------------------------------------------------------------------


def _follow(http: httpx.Client, method: str, url: str, headers: dict[str, str], content: bytes | None) -> httpx.Response:
    """Send, following redirects ourselves so Authorization never goes to another host."""
    origin = urllib.parse.urlsplit(url)[:2]
    for _ in range(_MAX_REDIRECTS + 1):
        resp = http.request(method, url, headers=headers, content=content)
        if resp.status_code not in _REDIRECTS or "Location" not in resp.headers:
            return resp
        resp.close()
        url = urllib.parse.urljoin(url, resp.headers["Location"])
        if urllib.parse.urlsplit(url)[:2] != origin:
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        if resp.status_code == 303:
            method, content = ("HEAD" if method == "HEAD" else "GET"), None
    raise ProtocolError(f"more than {_MAX_REDIRECTS} redirects from {origin[1]}")


def send(client: RegistryClient, endpoint: Endpoint, method: str, path: str, scopes: tuple[str, ...],
         headers: dict[str, str], content: bytes | None) -> httpx.Response:
    url = path if path.startswith(("http://", "https://")) else endpoint.base + path
    http = client.http_for(endpoint)
    auth = _authorization(client, endpoint, scopes)
    for renewed in (False, True):
        sent = {**headers, **({"Authorization": auth} if auth else {})}
        resp = _retrying(client, endpoint, lambda: _follow(http, method, url, sent, content))
        if resp.status_code != 401 or renewed:
            return resp
        challenge = parse_challenge(resp.headers.get("WWW-Authenticate", ""))
        if challenge is None or (auth is not None and challenge == endpoint.challenge and challenge.scheme == "basic"):
            return resp
        client.set_challenge(endpoint.host, challenge)
        endpoint = endpoint.with_challenge(challenge)
        if challenge.scheme == "bearer":
            # A 401 with a token in hand means the token was not enough: ask again, uncached.
            client.tokens.drop((challenge.get("realm"), challenge.get("service"), " ".join(scopes) or challenge.get("scope")))
        new = _authorization(client, endpoint, scopes)
        if new is None:
            return resp
        auth = new
    return resp  # pragma: no cover


def raise_for_status(client: RegistryClient, resp: httpx.Response, host: str, repo: str, reference: str, what: str) -> None:
    """Map an unexpected status to one of our errors, with the registry's error code when it sent one."""
    codes = _error_codes(resp)
    name = f"{host}/{repo}"
    status = resp.status_code
    if status == 404:
        if "NAME_UNKNOWN" in codes:
            raise NotFound(f"repository {name} not found", "repository")
        if what == "manifest" and not _is_digest(reference):
            if _repository_missing(client, host, repo):
                raise NotFound(f"repository {name} not found", "repository")
            raise NotFound(f"tag {reference!r} not found in {name}", "tag")
        if what == "blob":
            raise NotFound(f"blob {reference} missing from {name}", "blob")
        raise NotFound(f"{what} {reference} not found in {name}", what)
    if status in (401, 403):
        scope = f"repository:{repo}:pull"
        raise AuthDenied(_denied(client, host, scope, status, _credential(client, host)))
    if status == 429:
        raise _rate_limited(host, resp)
    detail = f" ({', '.join(codes)})" if codes else ""
    if status >= 500:
        raise RegistryError(f"{host} failed with {status}{detail} after {client.retries} retries; try again later")
    raise ProtocolError(f"{name}: unexpected {status}{detail} for {what} {reference}".rstrip())


def _is_digest(reference: str) -> bool:
    return reference.startswith(("sha256:", "sha384:", "sha512:"))


def _error_codes(resp: httpx.Response) -> list[str]:
    try:
        errors = json.loads(resp.content or b"{}").get("errors") or []
        return [str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")]
    except (ValueError, AttributeError):
        return []


def _repository_missing(client: RegistryClient, host: str, repo: str) -> bool:
    """distribution 2.8 answers MANIFEST_UNKNOWN for a missing repository too; the tag list tells them apart."""
    try:
        resp = client.request("GET", host, f"/v2/{repo}/tags/list?n=1", repo=repo)
    except RegistryError:
        return False
    return resp.status_code == 404 and ("NAME_UNKNOWN" in _error_codes(resp) or not resp.content)
