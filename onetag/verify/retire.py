"""Retire per-architecture image names: repoint their tags to the unified index, or delete them.

``plan()`` only reads (tag lists, HEADs, the unified indexes); ``execute()`` writes. Repointing a
tag copies the unified index and everything it references into the old repository — blobs by
cross-repository mount (copied when the registry declines), child manifests by digest — and puts
the index under the old tag last, so a failure anywhere leaves that tag as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from onetag.verify.client import ALL_MANIFEST_TYPES, RegistryClient, is_digest
from onetag.verify.errors import AuthDenied, NotFound, RegistryError

_COPY_LIMIT = 1024 * 1024 * 1024  # a blob copied through memory when the registry refuses to mount
_HUB_HOSTS = ("registry-1.docker.io", "docker.io", "index.docker.io")


@dataclass(frozen=True)
class TagPlan:
    """What happens to one old tag: repoint, delete, done (already repointed), skip, unpaired or missing."""

    old_tag: str
    new_tag: str | None
    action: str
    old_digest: str | None = None
    new_digest: str | None = None
    platforms: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    host: str
    old_repo: str
    new_repo: str
    mode: str  # "repoint" or "delete"
    tags: tuple[TagPlan, ...]


@dataclass(frozen=True)
class Outcome:
    """One tag after execute(): ``ok`` False names the ``step`` that failed and why."""

    tag: TagPlan
    ok: bool
    detail: str = ""
    step: str = ""


@dataclass
class _Copied:
    """Blobs and manifests already present in the old repository during this run."""

    blobs: set[str] = field(default_factory=set)
    manifests: set[str] = field(default_factory=set)
    copied: int = 0  # blobs that had to be copied because the mount was refused


class StepFailed(Exception):
    def __init__(self, step: str, error: Exception) -> None:
        super().__init__(f"{step}: {error}")
        self.step, self.error = step, error


def pairs_from(old_tags: list[str], new_tags: set[str], wanted: dict[str, str] | None) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(old tag, new tag or None) for each old tag considered, and the ``--tag`` names the old repo lacks."""
    if wanted is None:
        return [(t, t if t in new_tags else None) for t in sorted(old_tags, key=_tag_key)], []
    present = set(old_tags)
    missing = [old for old in wanted if old not in present]
    return [(old, new if new in new_tags else None) for old, new in wanted.items() if old in present], missing


def _tag_key(tag: str) -> tuple[Any, ...]:
    # 0.9 < 1.0 < 1.10 < latest: numbers compare as numbers.
    import re

    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", tag) if p)


def plan(client: RegistryClient, host: str, old_repo: str, new_repo: str, *, mode: str, platforms: list[str],
         wanted: dict[str, str] | None = None) -> Plan:
    """Read both repositories and decide, tag by tag; raises RegistryError when a listing fails."""
    old_tags = client.list_tags(host, old_repo)
    try:
        new_tags = set(client.list_tags(host, new_repo))
    except NotFound:
        new_tags = set()
    pairs, missing = pairs_from(old_tags, new_tags, wanted)
    digests = {t: _digest(client, host, old_repo, t) for t in old_tags} if mode == "delete" else {}
    items = [TagPlan(t, None, "missing", reason=f"no tag {t!r} in {host}/{old_repo}") for t in missing]
    deleting = {old for old, new in pairs if new is not None}
    for old, new in pairs:
        if new is None:
            items.append(TagPlan(old, None, "unpaired", reason=f"no {new_repo}:{old}; left alone"))
        elif mode == "delete":
            items.append(_plan_delete(old, new, digests, deleting))
        else:
            items.append(_plan_repoint(client, host, old_repo, new_repo, old, new, platforms))
    return Plan(host, old_repo, new_repo, mode, tuple(items))


def _digest(client: RegistryClient, host: str, repo: str, tag: str) -> str | None:
    try:
        return client.head_manifest(host, repo, tag, accept=ALL_MANIFEST_TYPES).digest
    except NotFound:
        return None


def _plan_delete(old: str, new: str, digests: dict[str, str | None], deleting: set[str]) -> TagPlan:
    digest = digests.get(old)
    # DELETE by digest removes every tag on that manifest: never take a tag we keep with it.
    kept = sorted(t for t, d in digests.items() if d == digest and t not in deleting)
    if kept:
        return TagPlan(old, new, "skip", digest, reason=f"shares its manifest with {', '.join(kept)}, which deleting by digest would remove too")
    return TagPlan(old, new, "delete", digest)


def _plan_repoint(client: RegistryClient, host: str, old_repo: str, new_repo: str, old: str, new: str,
                  platforms: list[str]) -> TagPlan:
    from onetag.verify.platforms import verify_images

    (verdict,) = verify_images([f"{host}/{new_repo}:{new}"], platforms, client=client)
    if not verdict.ok:
        return TagPlan(old, new, "skip", reason=f"{new_repo}:{new} is not ready: {'; '.join(verdict.problems)}")
    current = _digest(client, host, old_repo, old)
    found = tuple(p for p, _ in verdict.found_digests)
    if current == verdict.digest:
        return TagPlan(old, new, "done", current, verdict.digest, found, "already serves the unified index")
    return TagPlan(old, new, "repoint", current, verdict.digest, found)


def execute(client: RegistryClient, the_plan: Plan, *, platforms: list[str], progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Carry out the plan; every tag gets an Outcome. Stops early only when push rights are missing."""
    state = _Copied()
    outcomes: list[Outcome] = []
    denied: StepFailed | None = None
    for item in the_plan.tags:
        if item.action == "missing":
            outcome = Outcome(item, False, item.reason, "find the tag")
        elif item.action not in ("repoint", "delete"):
            outcome = Outcome(item, True)
        elif denied is not None:
            outcome = Outcome(item, False, "not attempted: push rights are missing (see above)", denied.step)
        else:
            try:
                if item.action == "repoint":
                    detail = _repoint(client, the_plan, item, state, platforms)
                else:
                    detail = _delete(client, the_plan, item)
                outcome = Outcome(item, True, detail)
            except StepFailed as failed:
                if isinstance(failed.error, AuthDenied):
                    denied = failed
                outcome = Outcome(item, False, _explain(the_plan, item, failed), failed.step)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def _step(name: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except RegistryError as err:
        raise StepFailed(name, err) from err


def _repoint(client: RegistryClient, p: Plan, item: TagPlan, state: _Copied, platforms: list[str]) -> str:
    from onetag.verify.platforms import verify_images

    assert item.new_tag is not None and item.new_digest is not None
    copied = state.copied
    index = _step(f"read {p.new_repo}@{item.new_digest[:19]}",
                  lambda: client.get_manifest(p.host, p.new_repo, item.new_digest))
    for entry in index.json().get("manifests") or []:
        _copy_manifest(client, p, entry.get("digest", ""), state)
    _step(f"push the index under {p.old_repo}:{item.old_tag}",
          lambda: client.put_manifest(p.host, p.old_repo, item.old_tag, index.body, index.media_type))
    (verdict,) = verify_images([f"{p.host}/{p.old_repo}:{item.old_tag}"], platforms, deep=True, client=client)
    if not verdict.ok:
        raise StepFailed(f"verify --deep {p.old_repo}:{item.old_tag}", RegistryError("; ".join(verdict.problems)))
    found = " ".join(x.platform for x in verdict.platforms)
    note = f"; {state.copied - copied} blobs copied (the registry refused to mount them)" if state.copied > copied else ""
    was = f"; was {item.old_digest}" if item.old_digest else ""  # what a rollback re-tags
    return f"now {verdict.digest[:19]} ({found}), verified --deep{note}{was}"


def _copy_manifest(client: RegistryClient, p: Plan, digest: str, state: _Copied) -> None:
    """One child manifest of the index, with its blobs, into the old repository (by digest)."""
    if digest in state.manifests:
        return
    manifest = _step(f"read manifest {digest[:19]} of {p.new_repo}", lambda: client.get_manifest(p.host, p.new_repo, digest))
    body = manifest.json()
    if manifest.is_index:
        for entry in body.get("manifests") or []:
            _copy_manifest(client, p, entry.get("digest", ""), state)
    blobs = [body.get("config") or {}] + list(body.get("layers") or [])
    for blob in blobs:
        if blob.get("digest"):
            _copy_blob(client, p, blob["digest"], state)
    _step(f"push manifest {digest[:19]} to {p.old_repo}",
          lambda: client.put_manifest(p.host, p.old_repo, digest, manifest.body, manifest.media_type))
    state.manifests.add(digest)


def _copy_blob(client: RegistryClient, p: Plan, digest: str, state: _Copied) -> None:
    if digest in state.blobs:
        return
    name = f"mount blob {digest[:19]} from {p.new_repo} into {p.old_repo}"
    if not _step(name, lambda: client.blob_exists(p.host, p.old_repo, digest)):
        if not _step(name, lambda: client.mount_blob(p.host, p.old_repo, digest, p.new_repo)):
            copy = f"copy blob {digest[:19]} (the registry refused to mount it)"
            data = _step(copy, lambda: client.get_blob(p.host, p.new_repo, digest, max_size=_COPY_LIMIT))
            _step(copy, lambda: client.put_blob(p.host, p.old_repo, data))
            state.copied += 1
    state.blobs.add(digest)


def _delete(client: RegistryClient, p: Plan, item: TagPlan) -> str:
    from onetag.verify import transport

    step = f"delete {p.old_repo}:{item.old_tag}"
    digest = item.old_digest or _step(step, lambda: client.head_manifest(p.host, p.old_repo, item.old_tag).digest)
    if not is_digest(digest):
        raise StepFailed(step, RegistryError(f"{p.host} did not say which digest {p.old_repo}:{item.old_tag} has"))
    resp = _step(step, lambda: client.request("DELETE", p.host, f"/v2/{p.old_repo}/manifests/{digest}",
                                              repo=p.old_repo, actions=("pull", "push", "delete")))
    if resp.status_code in (200, 202):
        return f"deleted {digest[:19]}"
    if resp.status_code == 405 or b"UNSUPPORTED" in resp.content:
        raise StepFailed(step, RegistryError(_refused_delete(p, item)))
    _step(step, lambda: transport.raise_for_status(client, resp, p.host, p.old_repo, digest, "manifest"))
    raise StepFailed(step, RegistryError(f"unexpected {resp.status_code}"))  # pragma: no cover


def _refused_delete(p: Plan, item: TagPlan) -> str:
    if p.host in _HUB_HOSTS:
        return (f"Docker Hub does not delete tags through the registry API; delete {p.old_repo}:{item.old_tag} in the Hub "
                f"web UI (https://hub.docker.com/repository/docker/{p.old_repo}/tags) or through the Docker Hub API "
                f"(https://docs.docker.com/reference/api/hub/latest/, tag {p.old_repo}:{item.old_tag}) with a Hub token")
    return (f"{p.host} refuses deletes (405 UNSUPPORTED); enable them (distribution: storage.delete.enabled: true) "
            f"or delete {p.old_repo}:{item.old_tag} in the registry's own UI or API")


def _explain(p: Plan, item: TagPlan, failed: StepFailed) -> str:
    if isinstance(failed.error, AuthDenied):
        return (f"retire needs push rights on {p.host}/{p.old_repo} (and pull on {p.new_repo}): {failed.error}")
    if failed.step.startswith("verify"):
        return f"repointed, but {failed.error}"
    return f"{failed.error} ({p.old_repo}:{item.old_tag} unchanged)"
