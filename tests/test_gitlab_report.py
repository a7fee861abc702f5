"""`--format gitlab`: GitLab Code Quality issues with stable, unique fingerprints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from onetag.finding import Finding
from onetag.gitlab_report import gitlab_issues, render_gitlab

ROOT = Path(__file__).resolve().parent.parent
REPO = ROOT / "fixtures" / "sarif" / "repo"

# What GitLab reads from a codequality report (docs: "Code Quality report format").
ISSUE_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "not": {"pattern": "^(\\./|/)"}},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1},
                                       "end": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def _finding(**kw) -> Finding:
    base = dict(path="Dockerfile", line=1, col=6, end_line=1, end_col=21, code="OT102",
                message="'arm64v8/node:20' is an arm64-only name", severity="error")
    base.update(kw)
    return Finding(**base)


SEVERITIES = [
    pytest.param("error", "major", id="error"),
    pytest.param("warning", "minor", id="warning"),
    pytest.param("info", "info", id="info"),
]


@pytest.mark.parametrize("ours, theirs", SEVERITIES)
def test_severity_maps_to_gitlabs_scale(ours, theirs):
    (issue,) = gitlab_issues([_finding(severity=ours)])
    assert issue["severity"] == theirs


def test_one_issue_per_finding_with_path_and_lines():
    (issue,) = gitlab_issues([_finding(line=3, end_line=5)])
    assert issue["check_name"] == "OT102"
    assert issue["description"] == "OT102 'arm64v8/node:20' is an arm64-only name"
    assert issue["location"] == {"path": "Dockerfile", "lines": {"begin": 3, "end": 5}}


def test_fingerprint_survives_a_line_move_and_another_run():
    before = gitlab_issues([_finding(line=1, end_line=1)])
    after = gitlab_issues([_finding(line=40, end_line=40, col=9, end_col=24)])
    assert before[0]["fingerprint"] == after[0]["fingerprint"]
    assert gitlab_issues([_finding()]) == gitlab_issues([_finding()])


def test_fingerprints_differ_for_repeats_and_for_other_files_or_rules():
    issues = gitlab_issues([
        _finding(line=1), _finding(line=7),  # the same text twice in one file
        _finding(path="other/Dockerfile"), _finding(code="OT101"), _finding(message="something else"),
    ])
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)


def test_clean_run_is_an_empty_list():
    assert render_gitlab([], {}) == "[]\n"


def test_cli_writes_a_valid_code_quality_report():
    proc = subprocess.run([sys.executable, "-m", "onetag", "lint", "--format", "gitlab", "."],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 1, proc.stderr
    issues = json.loads(proc.stdout)
    Draft7Validator(ISSUE_SCHEMA).validate(issues)
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("OT201", "Dockerfile", 2),
        ("OT104", "Dockerfile", 7),
        ("OT102", "Dockerfile", 8),
        ("OT201", "services/web app/Containerfile", 1),
        ("OT102", "services/web app/Containerfile", 1),
    ]
    assert len({i["fingerprint"] for i in issues}) == len(issues)
