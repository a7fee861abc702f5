"""``onetag migrate --notes/--changeset``: the note users read, as snapshots, from config and from the registry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry_fixtures import Registry, push_image

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "fixtures" / "notes" / "app"


def onetag(cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DOCKER_CONFIG": str(ROOT / "tests"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "onetag", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(PROJECT, target)
    return target


def test_notes_from_config(project: Path, snapshot) -> None:  # noqa: ANN001
    rc, out, err = onetag(project, "migrate", ".", "--allow-dirty", "--notes", "MIGRATION.md")
    assert rc == 0, out + err
    assert "MIGRATION.md: migration note for users (3 references)" in err
    snapshot.assert_match((project / "MIGRATION.md").read_text(), "notes-config.md")
    # Run again: nothing left to rewrite (the note's own old names are marked as intended), and
    # the note is not overwritten with an empty one; lint is clean.
    rc, out, err = onetag(project, "migrate", ".", "--allow-dirty", "--notes", "MIGRATION.md")
    assert rc == 0 and out == "" and "no migration note written" in err, out + err
    assert onetag(project, "lint", ".")[0] == 0
    snapshot.assert_match((project / "MIGRATION.md").read_text(), "notes-config.md")


def test_changeset(project: Path, snapshot) -> None:  # noqa: ANN001
    (project / ".changeset").mkdir()
    rc, out, err = onetag(project, "migrate", ".", "--allow-dirty", "--changeset")
    assert rc == 0, out + err
    written = project / ".changeset" / "onetag-multi-platform-image.md"
    assert sorted(p.name for p in (project / ".changeset").iterdir()) == [written.name]
    text = written.read_text()
    assert text.startswith('---\n"@acme/app": patch\n---\n\n`acme/app`, `ghcr.io/acme/worker` are now published')
    snapshot.assert_match(text, "changeset.md")


def test_changeset_without_changeset_folder_is_a_usage_error(project: Path) -> None:
    before = tree(project)
    rc, out, err = onetag(project, "migrate", ".", "--allow-dirty", "--changeset", "--notes", "MIGRATION.md")
    assert rc == 2, out + err
    assert "--changeset: no .changeset/ folder at or above" in err and "npx changeset init" in err
    assert tree(project) == before  # nothing rewritten, no note


def test_notes_not_written_with_diff_or_check(project: Path) -> None:
    for flag in ("--diff", "--check"):
        onetag(project, "migrate", ".", flag, "--notes", "MIGRATION.md")
        assert not (project / "MIGRATION.md").exists()


def test_changeset_package_is_the_nearest_public_package(tmp_path: Path) -> None:
    from onetag.notes import package_name

    (tmp_path / "package.json").write_text('{"name": "monorepo", "private": true}')
    pkg = tmp_path / "packages" / "sandbox"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "@cloudflare/sandbox"}')
    assert package_name(tmp_path, [pkg / "Dockerfile"]) == "@cloudflare/sandbox"
    with pytest.raises(Exception, match="no package.json with a public package name"):
        package_name(tmp_path, [tmp_path / "README.md"])


@pytest.mark.registry
def test_notes_platforms_from_the_registry(registry: Registry, tmp_path: Path, snapshot) -> None:  # noqa: ANN001
    push_image(registry, "notes/app", "1.2.0", ["linux/amd64", "linux/arm64", "linux/arm/v7"])
    project = tmp_path / "app"
    project.mkdir()
    (project / "Dockerfile").write_text(f"FROM {registry.host}/notes/app-arm64:1.2.0\n")
    (project / ".onetag.toml").write_text(f'[images]\n"{registry.host}/notes/app-arm64" = "{registry.host}/notes/app"\n')
    rc, out, err = onetag(project, "migrate", ".", "--allow-dirty", "--verify", "--notes", "NOTES.md")
    assert rc == 0, out + err
    text = (project / "NOTES.md").read_text().replace(registry.host, "REGISTRY")
    assert "| `REGISTRY/notes/app-arm64:1.2.0` | `REGISTRY/notes/app:1.2.0` | linux/amd64, linux/arm64, linux/arm/v7 <!-- onetag: ignore --> |" in text
    snapshot.assert_match(text, "notes-verified.md")
