"""A real multi-platform image, built by buildah and pushed to the test registry, passes verify --deep."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from onetag.verify.platforms import verify_images

pytestmark = [pytest.mark.registry, pytest.mark.buildah]


def _buildah(tmp: Path, *args: str) -> None:
    # A private vfs store under tmp: no root-wide state, no fuse, no emulation (FROM scratch + COPY).
    base = ["buildah", "--root", str(tmp / "root"), "--runroot", str(tmp / "run"), "--storage-driver", "vfs"]
    proc = subprocess.run([*base, *args], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_buildah_multi_platform_image_verifies(registry, tmp_path: Path) -> None:  # noqa: ANN001
    if not shutil.which("buildah"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("buildah not installed (scripts/setup.sh installs it)")
        pytest.skip("buildah not installed (scripts/setup.sh installs it)")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "hello.txt").write_text("hello\n")
    (context / "Containerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    _buildah(tmp_path, "build", "--isolation", "chroot", "--platform", "linux/amd64,linux/arm64",
             "--manifest", "localhost/onetag-verify-test:1", "-f", str(context / "Containerfile"), str(context))
    image = f"{registry.host}/buildah/hello:1"
    _buildah(tmp_path, "manifest", "push", "--all", "--tls-verify=false",
             "localhost/onetag-verify-test:1", f"docker://{image}")
    (verdict,) = verify_images([image], ["linux/amd64", "linux/arm64"], deep=True)
    assert verdict.ok, verdict.problems
    assert sorted(verdict.found) == ["linux/amd64", "linux/arm64"]  # buildah builds them in parallel
