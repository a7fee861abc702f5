"""What can go wrong talking to a registry: one class per cause, each message one line, no secrets."""

from __future__ import annotations

from onetag.errors import OnetagError


class RegistryError(OnetagError):
    """A registry request failed; ``str(err)`` says which image or host and what to do."""

    exit_code = 1
    kind = "registry"


class NotFound(RegistryError):
    """404: ``what`` is "tag", "repository", "manifest" or "blob"."""

    kind = "not-found"

    def __init__(self, message: str, what: str) -> None:
        super().__init__(message)
        self.what = what


class AuthDenied(RegistryError):
    kind = "auth"


class RateLimited(RegistryError):
    kind = "rate-limited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(RegistryError):
    """Connection refused, DNS, TLS, timeout or reset: the registry could not be asked at all."""

    kind = "unreachable"


class DigestMismatch(RegistryError):
    """The bytes do not hash to the digest the registry or the index promised."""

    kind = "digest-mismatch"


class ProtocolError(RegistryError):
    """The registry answered something the distribution API does not allow."""

    kind = "protocol"
