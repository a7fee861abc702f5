"""``onetag retire`` against a real registry: repoint, dry run, delete, refused mounts, failures midway."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.registry_fixtures import FaultProxy, Registry, _reply, push_image, push_manifest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.registry
ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
])


def onetag(*args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DOCKER_CONFIG": str(ROOT / "tests"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "onetag", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@dataclass
class Repos:
    old: str  # old/app-arm: single-platform arm64 at 1.0, 1.1 and 0.9
    new: str  # new/app: two-platform indexes at 1.0 and 1.1
    new_digests: dict[str, str]
    old_digests: dict[str, str]


def make_repos(reg: Registry) -> Repos:
    run = uuid.uuid4().hex[:8]
    old, new = f"old{run}/app-arm", f"new{run}/app"
    new_digests = {tag: push_image(reg, new, tag).digest for tag in ("1.0", "1.1")}
    old_digests = {tag: push_image(reg, old, tag, ["linux/arm64"], single=True).digest for tag in ("1.0", "1.1", "0.9")}
    return Repos(old, new, new_digests, old_digests)


def state(reg: Registry, repo: str) -> dict[str, str]:
    """Every tag of ``repo`` and the digest it resolves to."""
    with reg.http() as client:
        resp = client.get(f"/v2/{repo}/tags/list")
        if resp.status_code == 404:
            return {}
        tags = resp.json().get("tags") or []
        return {t: client.head(f"/v2/{repo}/manifests/{t}", headers={"Accept": ACCEPT}).headers["Docker-Content-Digest"]
                for t in tags}


def manifest_exists(reg: Registry, repo: str, reference: str) -> bool:
    with reg.http() as client:
        return client.head(f"/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT}).status_code == 200


class RuleProxy(FaultProxy):
    """The fault proxy, plus faults chosen by method and path, and a registry that refuses mounts.

    A registry that will not mount answers the mount POST like a plain upload start (202 and a
    Location); ``refuse_mounts`` makes the real registry do exactly that by dropping the query.
    """

    def __init__(self, upstream: Registry) -> None:
        super().__init__(upstream)
        self.rules: list[list[Any]] = []
        self.refuse_mounts = False
        self.mounts_refused = 0

    def fail(self, method: str, path_end: str, status: int, times: int = 1, code: str = "INJECTED") -> None:
        self.rules.append([method, path_end, status, times, code])

    def _handle(self, handler: Any, method: str) -> None:
        path = handler.path.split("?")[0]
        for rule in self.rules:
            if rule[0] == method and path.endswith(rule[1]) and rule[3] > 0:
                rule[3] -= 1
                self.seen.append((method, handler.path))
                return _reply(handler, rule[2], {"errors": [{"code": rule[4], "message": "injected"}]})
        if self.refuse_mounts and method == "POST" and "mount=" in handler.path:
            self.mounts_refused += 1
            handler.path = path
        return super()._handle(handler, method)


@pytest.fixture
def proxy(registry: Registry) -> Iterator[RuleProxy]:
    p = RuleProxy(registry)
    yield p
    p.close()


def _via(proxy: RuleProxy) -> Registry:
    return Registry(host=proxy.host)


def test_repoint_serves_both_platforms_and_leaves_unpaired_alone(registry: Registry) -> None:
    repos = make_repos(registry)
    host = registry.host
    rc, out, err = onetag("retire", f"{host}/{repos.old}", "--to", f"{host}/{repos.new}", "--repoint")
    assert rc == 0, out + err
    was = repos.old_digests["1.0"]
    assert re.search(rf"^  repoint   1\.0  now sha256:\w{{12}} \(linux/amd64 linux/arm64\), verified --deep; was {was}$", out, re.M), out
    assert re.search(r"^  unpaired  0\.9  no new\w+/app:0\.9; left alone$", out, re.M), out
    assert "retire: 2 repointed; 1 without a counterpart left alone (0.9)" in err + out
    after = state(registry, repos.old)
    assert after == {"0.9": repos.old_digests["0.9"], "1.0": repos.new_digests["1.0"], "1.1": repos.new_digests["1.1"]}
    for tag in ("1.0", "1.1"):
        rc, out, err = onetag("verify", "--deep", f"{host}/{repos.old}:{tag}")
        assert rc == 0 and "linux/amd64 linux/arm64" in out, out + err
    # Again: nothing left to do, nothing changes.
    rc, out, err = onetag("retire", f"{host}/{repos.old}", "--to", f"{host}/{repos.new}")
    assert rc == 0 and out.count("already serves the unified index") == 2, out + err
    assert state(registry, repos.old) == after


@pytest.mark.parametrize("mode", ["--repoint", "--delete"])
def test_dry_run_changes_nothing(registry: Registry, mode: str) -> None:
    repos = make_repos(registry)
    host = registry.host
    before = (state(registry, repos.old), state(registry, repos.new))
    rc, out, err = onetag("retire", f"{host}/{repos.old}", "--to", f"{host}/{repos.new}", mode, "--dry-run")
    assert rc == 0, out + err
    assert (state(registry, repos.old), state(registry, repos.new)) == before
    lines = out.splitlines()
    assert lines[0] == f"retire {host}/{repos.old} -> {repos.new} (plan)"
    assert [line.split()[:2] for line in lines[1:4]] == [["unpaired", "0.9"], [mode[2:], "1.0"], [mode[2:], "1.1"]]
    if mode == "--repoint":
        assert re.search(rf"1\.0  sha256:\w{{12}} -> {repos.new}@sha256:\w{{12}} \(linux/amd64, linux/arm64\)", out), out
    assert lines[-1] == "dry run: nothing changed"


def test_delete_removes_paired_tags_only(registry: Registry) -> None:
    repos = make_repos(registry)
    host = registry.host
    rc, out, err = onetag("retire", f"{host}/{repos.old}", "--to", f"{host}/{repos.new}", "--delete")
    assert rc == 0, out + err
    assert re.search(r"^  delete    1\.0  deleted sha256:\w{12}$", out, re.M), out
    assert state(registry, repos.old) == {"0.9": repos.old_digests["0.9"]}
    assert state(registry, repos.new) == repos.new_digests


def test_delete_never_takes_a_kept_tag_along(registry: Registry) -> None:
    """DELETE by digest removes every tag on the manifest; a tag sharing it with an unpaired one is skipped."""
    repos = make_repos(registry)
    with registry.http() as client:
        body = client.get(f"/v2/{repos.old}/manifests/1.0", headers={"Accept": ACCEPT})
    push_manifest(registry, repos.old, "latest-arm", body.content, body.headers["Content-Type"])
    rc, out, err = onetag("retire", f"{registry.host}/{repos.old}", "--to", f"{registry.host}/{repos.new}", "--delete")
    assert rc == 0, out + err
    assert "1.0  shares its manifest with latest-arm, which deleting by digest would remove too" in out
    assert set(state(registry, repos.old)) == {"0.9", "1.0", "latest-arm"}


def test_refused_mounts_fall_back_to_copy(registry: Registry, proxy: RuleProxy) -> None:
    repos = make_repos(registry)
    proxy.refuse_mounts = True
    rc, out, err = onetag("retire", f"{proxy.host}/{repos.old}", "--to", f"{proxy.host}/{repos.new}", "--tag", "1.0")
    assert rc == 0, out + err
    assert proxy.mounts_refused > 0
    assert re.search(r"1\.0  now sha256:\w{12} \(linux/amd64 linux/arm64\), verified --deep; \d+ blobs copied", out), out
    assert state(registry, repos.old)["1.0"] == repos.new_digests["1.0"]
    rc, out, err = onetag("verify", "--deep", f"{registry.host}/{repos.old}:1.0")
    assert rc == 0, out + err


def test_failure_before_the_index_leaves_the_old_tag_as_it_was(registry: Registry, proxy: RuleProxy) -> None:
    repos = make_repos(registry)
    proxy.fail("PUT", f"{repos.old}/manifests/1.0", 500, times=10)
    rc, out, err = onetag("retire", f"{proxy.host}/{repos.old}", "--to", f"{proxy.host}/{repos.new}")
    assert rc == 1, out + err
    assert re.search(rf"^  FAIL      1\.0  push the index under {repos.old}:1\.0: .*failed with 500 \(INJECTED\).*"
                     rf"\({repos.old}:1\.0 unchanged\)$", out, re.M), out
    assert "retire: 1 repointed; 1 without a counterpart left alone (0.9); 1 failed (1.0)" in err
    after = state(registry, repos.old)
    assert after["1.0"] == repos.old_digests["1.0"]  # still the old single-platform manifest
    assert after["1.1"] == repos.new_digests["1.1"]  # the other tag went through
    # Blobs and platform manifests were already copied: the failure was between them and the index.
    with registry.http() as client:
        index = client.get(f"/v2/{repos.new}/manifests/1.0", headers={"Accept": ACCEPT}).json()
    assert all(manifest_exists(registry, repos.old, m["digest"]) for m in index["manifests"])


def test_push_rights_are_named_on_403(registry: Registry, proxy: RuleProxy) -> None:
    repos = make_repos(registry)
    proxy.fail("POST", f"{repos.old}/blobs/uploads/", 403, times=100, code="DENIED")
    rc, out, err = onetag("retire", f"{proxy.host}/{repos.old}", "--to", f"{proxy.host}/{repos.new}")
    assert rc == 1, out + err
    assert f"retire needs push rights on {proxy.host}/{repos.old}" in out
    assert "not attempted: push rights are missing" in out
    assert state(registry, repos.old) == repos.old_digests


def test_refused_delete_says_what_to_do(registry: Registry, proxy: RuleProxy) -> None:
    repos = make_repos(registry)
    proxy.fail("DELETE", "", 405, times=100, code="UNSUPPORTED")
    rc, out, err = onetag("retire", f"{proxy.host}/{repos.old}", "--to", f"{proxy.host}/{repos.new}", "--delete", "--tag", "1.0")
    assert rc == 1, out + err
    assert "refuses deletes (405 UNSUPPORTED); enable them (distribution: storage.delete.enabled: true)" in out
    assert state(registry, repos.old) == repos.old_digests


def test_new_tag_missing_a_platform_is_not_repointed(registry: Registry) -> None:
    repos = make_repos(registry)
    push_image(registry, repos.new, "0.9", ["linux/amd64"])
    rc, out, err = onetag("retire", f"{registry.host}/{repos.old}", "--to", f"{registry.host}/{repos.new}", "--tag", "0.9")
    assert rc == 0, out + err
    assert re.search(r"^  skip      0\.9  new\w+/app:0\.9 is not ready: linux/arm64 missing", out, re.M), out
    assert state(registry, repos.old) == repos.old_digests


def test_tag_pairs_and_missing_tags(registry: Registry) -> None:
    repos = make_repos(registry)
    host = registry.host
    rc, out, err = onetag("retire", f"{host}/{repos.old}", "--to", f"{host}/{repos.new}", "--tag", "0.9=1.1", "--tag", "2.0", "--dry-run")
    assert rc == 1, out + err
    assert re.search(r"^  missing   2\.0  no tag '2\.0' in ", out, re.M), out
    assert re.search(r"^  repoint   0\.9 -> 1\.1  sha256:", out, re.M), out


@pytest.mark.parametrize(("args", "message"), [
    (["127.0.0.1:1/a/app-arm", "--to", "127.0.0.1:2/a/app"], "retire works within one registry"),
    (["127.0.0.1:1/a/app-arm:1.0", "--to", "127.0.0.1:1/a/app"], "without :TAG or @DIGEST; choose tags with --tag"),
    (["127.0.0.1:1/a/app", "--to", "127.0.0.1:1/a/app"], "are the same repository"),
    (["127.0.0.1:1/a/app-arm", "--to", "127.0.0.1:1/a/app", "--tag", "=x"], "expected TAG or OLD_TAG=NEW_TAG"),
])
def test_usage_errors(args: list[str], message: str) -> None:
    rc, out, err = onetag("retire", *args)
    assert rc == 2 and message in err, out + err


def test_docker_hub_delete_advice() -> None:
    from onetag.verify.retire import Plan, TagPlan, _refused_delete

    text = _refused_delete(Plan("registry-1.docker.io", "acme/app-arm", "acme/app", "delete", ()), TagPlan("1.0", "1.0", "delete"))
    assert "Docker Hub does not delete tags through the registry API" in text
    assert "https://hub.docker.com/repository/docker/acme/app-arm/tags" in text
    assert "Docker Hub API" in text and "acme/app-arm:1.0" in text


def test_pairs_sort_versions_naturally() -> None:
    from onetag.verify.retire import pairs_from

    pairs, missing = pairs_from(["1.10", "latest", "0.9", "1.2"], {"1.2", "1.10"}, None)
    assert pairs == [("0.9", None), ("1.2", "1.2"), ("1.10", "1.10"), ("latest", None)] and missing == []
