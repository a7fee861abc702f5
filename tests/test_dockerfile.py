"""Dockerfile handler: fixture pairs through the real CLI, positions, and properties."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onetag.finding import Context
from onetag.migrate import dockerfile
from onetag.migrate.dockerfile_syntax import parse
from tests.pairs import case_id, cases, check_pair

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "dockerfile"


@pytest.mark.parametrize("source", cases(FOLDER), ids=case_id)
def test_fixture_pair(source: Path, tmp_path: Path) -> None:
    check_pair(source, tmp_path, "Dockerfile")


def test_file_mode_is_kept(tmp_path: Path) -> None:
    source = FOLDER / "official_namespace.in.Dockerfile"
    target = tmp_path / "Dockerfile"
    target.write_bytes(source.read_bytes())
    os.chmod(target, 0o640)
    check_pair(source, tmp_path, "Dockerfile")
    assert target.stat().st_mode & 0o777 == 0o640


def _refs(text: str) -> list[tuple[str, str]]:
    return [(r.where, text[r.span.start : r.span.end]) for r in dockerfile.scan(text, Context(Path("Dockerfile"))).refs]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("FROM a/b:1 AS x\nFROM x\n", [("FROM", "a/b:1")], id="stage-alias-is-not-an-image"),
        pytest.param("from A/B\n", [("FROM", "A/B")], id="lowercase-keyword"),
        pytest.param("FROM --platform=$BUILDPLATFORM a:1 AS b\n", [("FROM", "a:1")], id="platform-flag-skipped"),
        pytest.param('FROM "a:1"\n', [("FROM", "a:1")], id="quoted-image"),
        pytest.param("COPY --from=0 /a /b\n", [], id="numeric-stage"),
        pytest.param("FROM scratch\n", [], id="scratch"),
        pytest.param("# FROM a/b-arm:1\n", [("commented FROM", "a/b-arm:1")], id="commented-from"),
        pytest.param("FROM a@sha256:" + "0" * 64 + "\n", [("FROM", "a@sha256:" + "0" * 64)], id="digest"),
        pytest.param("FROM [::1]:5000/a:1\n", [("FROM", "[::1]:5000/a:1")], id="ipv6-registry"),
        pytest.param("ARG B=x/y:1\nFROM $B\n", [("FROM", "$B"), ("ARG B", "x/y:1")], id="arg-default"),
    ],
)
def test_reference_sites(text: str, expected: list[tuple[str, str]]) -> None:
    assert _refs(text) == expected


def test_continuation_offsets_are_exact() -> None:
    text = "FROM \\\n  # note\n\n  arm64v8/node:20\n"
    (site,) = dockerfile.scan(text, Context(Path("Dockerfile"))).refs
    assert text[site.span.start : site.span.end] == "arm64v8/node:20"


def test_instruction_lines_agree_with_dockerfile_parse() -> None:
    """Differential check against dockerfile-parse on every fixture without heredocs."""
    dfp = pytest.importorskip("dockerfile_parse")
    for source in cases(FOLDER):
        raw = source.read_bytes()
        if b"<<" in raw or b"escape=" in raw:
            continue  # dockerfile-parse knows neither heredocs nor the escape directive
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        parser = dfp.DockerfileParser(fileobj=__import__("io").BytesIO(text.replace("\r\n", "\n").encode()))
        theirs = [(i["instruction"], i["startline"] + 1) for i in parser.structure if i["instruction"] != "COMMENT"]
        ours = [(ins.keyword, ins.line) for ins in parse(text.replace("\r\n", "\n")).instructions]
        assert ours == theirs, source.name


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.sampled_from(list("FROMASCOPYRUN --=:/@\\`#\n\r\tarm64v8ab.<>EOF'\"$") + ["FROM ", "arm64v8/", "<<EOF\n", "\\\n", "# escape=`\n"]), max_size=80).map("".join))
def test_random_text_never_crashes(text: str) -> None:
    scan = dockerfile.scan(text, Context(Path("Dockerfile")))
    for site in scan.refs:
        assert 0 <= site.span.start <= site.span.end <= len(text)
    for problem in scan.problems:
        for edit in problem.edits:
            assert 0 <= edit.span.start <= edit.span.end <= len(text)


def _codes(text: str) -> list[tuple[str, str]]:
    scan = dockerfile.scan(text, Context(Path("Dockerfile")))
    return [(p.code, text[p.span.start : p.span.end]) for p in scan.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("FROM a\nRUN curl -fsSLO https://x.io/tool-linux-amd64.tar.gz\n", [("OT202", "amd64")], id="download-amd64"),
        pytest.param("FROM a\nRUN wget https://x.io/bun-linux-x64.zip \\\n && unzip bun-linux-x64.zip\n", [("OT202", "x64")], id="one-per-run"),
        pytest.param("FROM a\nRUN dpkg -i pkg_1.0_arm64.deb\n", [("OT202", "arm64")], id="deb-file"),
        pytest.param("FROM a\nARG TARGETARCH\nRUN curl -O https://x.io/tool-linux-${TARGETARCH}.tgz\n", [], id="uses-targetarch"),
        pytest.param("FROM a\nRUN ARCH=$(uname -m) && curl -O https://x.io/tool-$ARCH.tgz https://x.io/x86_64.txt\n", [], id="uses-uname"),
        pytest.param("FROM a\nRUN apt-get install -y gcc-aarch64-linux-gnu\n", [], id="package-name-not-download"),
        pytest.param("FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM alpine\nCOPY --from=build /app /app\n", [("OT204", "go build")], id="heavy-emulated"),
        pytest.param("FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN go build -o /app .\nFROM alpine\n", [], id="heavy-on-buildplatform"),
        pytest.param("FROM golang:1.22\nRUN go build -o /app .\n", [], id="single-stage-not-reported"),
        pytest.param("FROM node:20 AS web\nRUN npm ci && npm run build\nRUN make\nFROM nginx\n", [("OT204", "npm run build")], id="one-per-stage"),
    ],
)
def test_readiness_rules(text: str, expected: list[tuple[str, str]]) -> None:
    assert _codes(text) == expected
