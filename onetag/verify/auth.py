"""Registry credentials as Docker finds them, and the challenge/token flow that uses them.

Lookup order is Docker's: ``credHelpers[host]`` -> ``credsStore`` -> ``auths[host]`` in
``$DOCKER_CONFIG/config.json`` (else ``~/.docker/config.json``). Secrets live only in
``Credential`` objects, whose repr hides them; no message built here contains one.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
_HELPER_TIMEOUT = 30


@dataclass(frozen=True)
class Credential:
    """A username with a password or an identity (refresh) token; ``source`` names where it came from."""

    username: str = field(repr=False)
    password: str = field(repr=False, default="")
    identity_token: str = field(repr=False, default="")
    source: str = ""

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


class CredentialError(Exception):
    """A credential helper or config file failed; the message names the source, never a secret."""


def docker_config_path() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return Path(folder) / "config.json" if folder else Path.home() / ".docker" / "config.json"


def config_key(host: str) -> str:
    """The key Docker uses for ``host`` in config.json (Docker Hub has its historical URL)."""
    return DOCKER_HUB_KEY if host in _HUB_HOSTS else host


def _hostname_of_key(key: str) -> str:
    # Docker accepts keys written as URLs ("https://host/v1/") as well as bare hosts.
    key = re.sub(r"^[a-z]+://", "", key)
    return key.split("/", 1)[0]


class CredentialStore:
    """Looks up (and caches) credentials per registry host from one Docker config file."""

    def __init__(self, path: Path | None = None, *, env: dict[str, str] | None = None) -> None:
        self.path = path or docker_config_path()
        self._env = env
        self._cache: dict[str, Credential | None] = {}
        self._lock = threading.Lock()
        self._config: dict | None = None

    def describe(self, host: str) -> str:
        """Which source would be consulted for ``host`` (for error messages)."""
        config = self._load()
        key = config_key(host)
        helper = self._helper_for(config, key)
        if helper:
            return f"docker-credential-{helper} (from {self.path})"
        if self._auths_entry(config, key) is not None:
            return f"auths in {self.path}"
        return f"no credentials for {key} in {self.path}"

    def get(self, host: str) -> Credential | None:
        with self._lock:
            if host not in self._cache:
                self._cache[host] = self._lookup(host)
            return self._cache[host]

    def _load(self) -> dict:
        if self._config is None:
            try:
                self._config = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                self._config = {}
            except (OSError, ValueError) as err:
                raise CredentialError(f"cannot read {self.path}: {type(err).__name__}") from None
            if not isinstance(self._config, dict):
                raise CredentialError(f"cannot read {self.path}: not a JSON object")
        return self._config

    def _helper_for(self, config: dict, key: str) -> str | None:
        helpers = config.get("credHelpers") or {}
        for name, helper in helpers.items():
            if name == key or _hostname_of_key(name) == _hostname_of_key(key):
                return helper
        return config.get("credsStore") or None

    def _auths_entry(self, config: dict, key: str) -> dict | None:
        auths = config.get("auths") or {}
        if key in auths:
            return auths[key]
        for name, entry in auths.items():
            if _hostname_of_key(name) == _hostname_of_key(key):
                return entry
        return None

    def _lookup(self, host: str) -> Credential | None:
        config = self._load()
        key = config_key(host)
        helper = self._helper_for(config, key)
        if helper:
            # A helper (credHelpers entry or credsStore) is authoritative, as in Docker.
            return run_helper(helper, key, env=self._env)
        entry = self._auths_entry(config, key)
        return _from_auths(entry, self.path) if entry else None


def _from_auths(entry: dict, path: Path) -> Credential | None:
    source = f"auths in {path}"
    if entry.get("identitytoken"):
        return Credential(entry.get("username", ""), identity_token=entry["identitytoken"], source=source)
    if entry.get("auth"):
        try:
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise CredentialError(f"the auth entry in {path} is not valid base64 user:password") from None
        return Credential(user, password, source=source)
    if entry.get("username"):
        return Credential(entry["username"], entry.get("password", ""), source=source)
    return None


def run_helper(name: str, server: str, *, env: dict[str, str] | None = None) -> Credential | None:
    """``docker-credential-<name> get`` with the server on stdin; None when it has no credentials."""
    program = f"docker-credential-{name}"
    source = program
    try:
        proc = subprocess.run(
            [program, "get"], input=server.encode(), capture_output=True, timeout=_HELPER_TIMEOUT, env=env, check=False
        )
    except FileNotFoundError:
        raise CredentialError(f"credential helper {program} is not on PATH (named in {docker_config_path()})") from None
    except subprocess.TimeoutExpired:
        raise CredentialError(f"credential helper {program} did not answer within {_HELPER_TIMEOUT}s") from None
    out = proc.stdout.decode(errors="replace").strip()
    if proc.returncode != 0:
        if "credentials not found" in out.lower():
            return None
        # The helper's own output could echo input; report only its exit status.
        raise CredentialError(f"credential helper {program} failed (exit {proc.returncode})")
    try:
        data = json.loads(out)
    except ValueError:
        raise CredentialError(f"credential helper {program} printed something that is not JSON") from None
    user, secret = data.get("Username", ""), data.get("Secret", "")
    if user == "<token>":
        return Credential("", identity_token=secret, source=source)
    return Credential(user, secret, source=source) if secret else None


# --- challenges and tokens -------------------------------------------------------------------

_PARAM = re.compile(r'([A-Za-z_]+)="((?:[^"\\]|\\.)*)"|([A-Za-z_]+)=([^,\s]+)')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "bearer" or "basic"
    params: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str:
        return dict(self.params).get(name, "")


def parse_challenge(header: str) -> Challenge | None:
    """The first Bearer or Basic challenge of a WWW-Authenticate header."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params = tuple((m.group(1) or m.group(3), m.group(2) if m.group(1) else m.group(4)) for m in _PARAM.finditer(rest))
    return Challenge(scheme.lower(), params)


class TokenCache:
    """Bearer tokens per (realm, service, scope), kept until shortly before they expire."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            found = self._tokens.get(key)
            if found and found[1] > time.monotonic():
                return found[0]
            return None

    def put(self, key: tuple[str, str, str], token: str, expires_in: float) -> None:
        # Refresh 10 s early so a token never expires in flight; registries default to 60 s.
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(expires_in - 10, 5))

    def drop(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)
