"""`--format sarif`: valid SARIF 2.1.0 (official schema), exact regions, fixes that reproduce migrate."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from onetag import __version__
from onetag.edits import Edit, LineIndex, Span, apply_edits
from onetag.finding import Finding
from onetag.migrate.rules import RULES
from onetag.sarif import sarif_document

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
REPO = ROOT / "fixtures" / "sarif" / "repo"


def assert_valid(doc: dict) -> None:
    validator = Draft4Validator(SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def _onetag(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onetag", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.fixture(scope="module")
def lint_sarif() -> dict:
    proc = _onetag("lint", "--format", "sarif", ".", cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def _texts() -> dict[str, str]:
    out = {}
    for path in sorted(REPO.rglob("*")):
        if path.is_file():
            out[path.relative_to(REPO).as_posix()] = path.read_bytes().decode("utf-8")
    return out


def _offset(text: str, line: int, col: int) -> int:
    return LineIndex(text).line_start(line) + col - 1


def test_the_official_schema_is_the_oasis_errata01_one():
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def test_real_lint_output_validates_against_the_sarif_schema(lint_sarif):
    assert_valid(lint_sarif)
    assert lint_sarif["version"] == "2.1.0"


def test_real_lint_output_matches_the_snapshot(lint_sarif, snapshot):
    text = json.dumps(lint_sarif, indent=2, ensure_ascii=False) + "\n"
    snapshot.assert_match(text.replace(f'"{__version__}"', '"VERSION"'), "lint.sarif.json")


def test_one_rule_entry_per_rule_with_its_docs(lint_sarif):
    driver = lint_sarif["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for entry in driver["rules"]:
        rule = RULES[entry["id"]]
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["fullDescription"]["text"] == rule.why
        assert rule.example in entry["help"]["text"] and rule.example in entry["help"]["markdown"]
        assert entry["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[
            rule.severity]


def test_results_point_at_their_rule_and_at_the_exact_text(lint_sarif):
    run = lint_sarif["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    rules = run["tool"]["driver"]["rules"]
    texts = _texts()
    seen = []
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        path = artifact["uri"].replace("%20", " ")
        region = location["physicalLocation"]["region"]
        text = texts[path]
        start = _offset(text, region["startLine"], region["startColumn"])
        end = _offset(text, region["endLine"], region["endColumn"])
        seen.append((result["ruleId"], path, text[start:end]))
    assert seen == [
        ("OT201", "Dockerfile", "--platform=linux/amd64"),
        ("OT104", "Dockerfile", "acme/sandbox-arm:0.0.9"),
        ("OT102", "Dockerfile", "arm64v8/busybox:1.36"),  # after a character outside the BMP on its line
        ("OT201", "services/web app/Containerfile", "--platform=linux/amd64"),
        ("OT102", "services/web app/Containerfile", "arm32v7/python:3.12-slim"),
    ]
    assert artifact["uri"] == "services/web%20app/Containerfile"


def test_fixes_applied_from_the_sarif_log_give_what_migrate_writes(lint_sarif, tmp_path):
    texts = _texts()
    edits: dict[str, list[Edit]] = {}
    for result in lint_sarif["runs"][0]["results"]:
        for fix in result.get("fixes", []):
            for change in fix["artifactChanges"]:
                path = change["artifactLocation"]["uri"].replace("%20", " ")
                for rep in change["replacements"]:
                    region, text = rep["deletedRegion"], texts[path]
                    span = Span(_offset(text, region["startLine"], region["startColumn"]),
                                _offset(text, region["endLine"], region["endColumn"]))
                    edits.setdefault(path, []).append(Edit(span, rep["insertedContent"]["text"]))
    work = tmp_path / "repo"
    shutil.copytree(REPO, work)
    proc = _onetag("migrate", "--allow-dirty", ".", cwd=work)
    assert proc.returncode == 0, proc.stderr
    for path, text in texts.items():
        expected = (work / path).read_bytes().decode("utf-8")
        assert apply_edits(text, edits.get(path, [])) == expected, path
    assert set(edits) == {"Dockerfile", "services/web app/Containerfile"}


def _finding(**kw) -> Finding:
    base = dict(path="Dockerfile", line=1, col=6, end_line=1, end_col=21, code="OT102",
                message="'arm64v8/node:20' is an arm64-only name", severity="error",
                edits=(Edit(Span(5, 20), "node:20"),), fixable=True)
    base.update(kw)
    return Finding(**base)


DOCKERFILE = "FROM arm64v8/node:20\n"

UNIT_CASES = [
    pytest.param([], {}, id="no-findings"),
    pytest.param([_finding()], {"Dockerfile": DOCKERFILE}, id="fixable"),
    pytest.param([_finding()], {}, id="fixable-without-text"),
    pytest.param([_finding(fixable=False, severity="warning", suggestion="node:20")], {"Dockerfile": DOCKERFILE},
                 id="suggested"),
    pytest.param([_finding(code="OT999", severity="info", edits=())], {}, id="unknown-code"),
    pytest.param([_finding(path="/elsewhere/my app/Dockerfile")], {"/elsewhere/my app/Dockerfile": DOCKERFILE},
                 id="absolute-path"),
]


@pytest.mark.parametrize("findings, texts", UNIT_CASES)
def test_every_shape_of_finding_is_valid_sarif(findings, texts):
    assert_valid(sarif_document(findings, texts))


def test_levels_follow_each_findings_severity():
    findings = [_finding(severity=s, edits=()) for s in ("error", "warning", "info")]
    assert [r["level"] for r in sarif_document(findings, {})["runs"][0]["results"]] == ["error", "warning", "note"]


def test_a_fix_needs_the_files_text_for_its_positions():
    (result,) = sarif_document([_finding()], {})["runs"][0]["results"]
    assert "fixes" not in result
    (result,) = sarif_document([_finding()], {"Dockerfile": DOCKERFILE})["runs"][0]["results"]
    (change,) = result["fixes"][0]["artifactChanges"]
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": 1, "startColumn": 6, "endLine": 1, "endColumn": 21},
        "insertedContent": {"text": "node:20"},
    }]


def test_a_suggestion_is_in_the_message_and_its_fix_says_it_is_not_applied():
    (result,) = sarif_document([_finding(fixable=False, suggestion="node:20")],
                               {"Dockerfile": DOCKERFILE})["runs"][0]["results"]
    assert result["message"]["text"].endswith("(suggested: node:20)")
    assert "does not apply it" in result["fixes"][0]["description"]["text"]


def test_paths_outside_the_scanned_folder_stay_absolute_file_uris():
    (result,) = sarif_document([_finding(path="/elsewhere/my app/Dockerfile")], {})["runs"][0]["results"]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "file:///elsewhere/my%20app/Dockerfile"}
