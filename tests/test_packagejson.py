"""package.json handler: the OT301 script migration on fixture pairs, report-only cases, properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st

from onetag.cli import cli
from onetag.finding import Context
from onetag.migrate import packagejson
from tests.pairs import check_pair, params

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "packagejson"


@pytest.mark.parametrize("source", params(FIXTURES))
def test_packagejson_fixture(source: Path, tmp_path: Path) -> None:
    json.loads(check_pair(source, tmp_path, "package.json").read_text(encoding="utf-8"))  # still JSON


def _scan(scripts: dict[str, str], platforms=("linux/amd64", "linux/arm64")):
    text = json.dumps({"name": "x", "scripts": scripts}, indent=2) + "\n"
    return text, packagejson.scan(text, Context(Path("package.json"), platforms))


def _apply(text: str, scan) -> str:
    from onetag.edits import apply_edits

    return apply_edits(text, [e for p in scan.problems for e in p.edits])


SEED = {
    "docker:build": "docker build -t ghostwriternr/cloudflare-sandbox:$npm_package_version .",
    "docker:build:arm": "docker build --platform linux/arm64 -t ghostwriternr/cloudflare-sandbox-arm:$npm_package_version .",
    "docker:publish": "docker push docker.io/ghostwriternr/cloudflare-sandbox:$npm_package_version",
    "docker:publish:arm": "docker push docker.io/ghostwriternr/cloudflare-sandbox-arm:$npm_package_version",
}


def test_seed_migration_covers_what_it_rewrites() -> None:
    text, scan = _scan(SEED)
    (problem,) = scan.problems
    assert problem.code == "OT301"
    arch_refs = [r for r in scan.refs if "-arm" in r.text]
    assert arch_refs and all(any(c.contains(r.span) for c in problem.covers) for r in arch_refs)
    after = json.loads(_apply(text, scan))["scripts"]
    assert after == {
        "docker:build": SEED["docker:build"],
        "docker:publish": "docker buildx build --platform linux/amd64,linux/arm64 -t "
        "ghostwriternr/cloudflare-sandbox:$npm_package_version --push .",
    }


def test_platforms_come_from_the_context() -> None:
    text, scan = _scan(SEED, ("linux/amd64", "linux/arm64", "linux/arm/v7"))
    after = json.loads(_apply(text, scan))["scripts"]
    assert "--platform linux/amd64,linux/arm64,linux/arm/v7 " in after["docker:publish"]


@pytest.mark.parametrize(
    "scripts",
    [
        pytest.param({"b": "docker build -t a/b:1 .", "b:arm": "docker build --platform linux/arm64 -t a/b-arm:1 ."}, id="no-publish"),
        pytest.param({"p:arm64": "docker push a/b-arm64:1"}, id="no-unified-counterpart"),
        pytest.param({"p": "podman push a/b:1", "p:arm": "podman push a/b-arm:1"}, id="podman-publish"),
        pytest.param({"p": "docker push a/b:1 | tee log", "p:arm": "docker push a/b-arm:1"}, id="publish-in-a-pipe"),
    ],
)
def test_per_arch_without_a_safe_rewrite_is_reported_only(scripts: dict[str, str]) -> None:
    text, scan = _scan(scripts)
    assert scan.problems and all(p.code == "OT301" and not p.edits for p in scan.problems)
    for ref in scan.refs:
        if "arm" in ref.text:
            assert any(c.contains(ref.span) for p in scan.problems for c in p.covers)


@pytest.mark.parametrize(
    "scripts",
    [
        pytest.param({"build:arm": "tsc -p tsconfig.arm.json", "build": "npm run build:arm"}, id="npm-run-non-docker"),
        pytest.param({"test": "docker run --rm node:20 npm test"}, id="docker-run-non-arch"),
        pytest.param({"p": "docker buildx build --platform linux/amd64,linux/arm64 -t a/b:1 --push ."}, id="already-unified"),
        pytest.param({"b": "docker build --platform linux/amd64 -t a/b:1 ."}, id="single-platform-unified-name"),
    ],
)
def test_no_problem(scripts: dict[str, str]) -> None:
    _, scan = _scan(scripts)
    assert scan.problems == ()


def test_detected_by_image_not_by_name() -> None:
    scripts = {
        "release": "docker push acme/app:1",
        "release-extra": "docker push acme/app-aarch64:1",
        "ship": "npm run release && npm run release-extra",
        "build": "docker build -t acme/app:1 .",
    }
    text, scan = _scan(scripts)
    after = json.loads(_apply(text, scan))["scripts"]
    assert after == {
        "release": "docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1 --push .",
        "ship": "npm run release",
        "build": "docker build -t acme/app:1 .",
    }


def test_invalid_json_is_an_error() -> None:
    scan = packagejson.scan('{"scripts": {"a": "docker push a-arm"', Context(Path("package.json")))
    assert scan.error and not scan.refs and not scan.problems


SCRIPT_PARTS = st.sampled_from([
    "docker build -t acme/app:1 .", "docker build -f D --build-arg A=1 -t acme/app:1 ctx",
    "docker build --platform linux/arm64 -t acme/app-arm:1 .", "docker build -t acme/app:1-arm64 .",
    "docker push acme/app:1", "docker push docker.io/acme/app:1", "docker push acme/app-arm:1",
    "docker push acme/app:1-arm64", "npm run docker:build", "npm run docker:build:arm", "npm run docker:publish",
    "npm run docker:publish:arm", "npm run all", "vitest run", "docker run --rm acme/app-arm:1 true",
])
SCRIPTS = st.dictionaries(
    st.sampled_from(["docker:build", "docker:build:arm", "docker:publish", "docker:publish:arm", "all", "test"]),
    st.lists(SCRIPT_PARTS, min_size=1, max_size=3).flatmap(
        lambda parts: st.sampled_from([" && ", "; ", " || "]).map(lambda sep: sep.join(parts))
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(SCRIPTS, st.sampled_from([2, 4, "\t"]))
def test_fixes_keep_json_valid_and_are_idempotent(scripts: dict[str, str], indent) -> None:
    text = json.dumps({"name": "x", "scripts": scripts}, indent=indent) + "\n"
    ctx = Context(Path("package.json"))
    scan = packagejson.scan(text, ctx)
    after = _apply(text, scan)
    json.loads(after)
    assert after.endswith("}\n")
    event("fixed" if after != text else "unchanged")
    again = packagejson.scan(after, ctx)
    assert _apply(after, again) == after


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_random_text_never_raises(text: str) -> None:
    packagejson.scan(text, Context(Path("package.json")))


def test_cli_lint_reports_the_seed(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"scripts": SEED}, indent=2) + "\n", encoding="utf-8")
    outcome = CliRunner().invoke(cli, ["lint", str(tmp_path)])
    assert outcome.exit_code == 1
    assert "OT301" in outcome.output and "OT101" not in outcome.output
