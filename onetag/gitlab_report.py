"""GitLab Code Quality output: the Code Climate subset GitLab reads from a `codequality` report.

GitLab compares fingerprints between the merge request and its target branch to tell new
findings from old ones, so a fingerprint leaves out line numbers: moving a line keeps it.
"""

from __future__ import annotations

import hashlib
import json

from onetag.finding import Finding

# onetag severity -> GitLab severity (info, minor, major, critical, blocker)
SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}


def fingerprint(f: Finding, occurrence: int) -> str:
    """Stable across runs and line moves: path, rule, message and which occurrence of that triple."""
    key = "\0".join((f.path, f.code, f.message, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def gitlab_issues(findings: list[Finding]) -> list[dict]:
    """One Code Quality issue per finding, in the order given."""
    seen: dict[tuple[str, str, str], int] = {}
    issues = []
    for f in findings:
        triple = (f.path, f.code, f.message)
        seen[triple] = seen.get(triple, 0) + 1
        issues.append(
            {
                "description": f"{f.code} {f.message}",
                "check_name": f.code,
                "fingerprint": fingerprint(f, seen[triple]),
                "severity": SEVERITIES.get(f.severity, "major"),
                "location": {"path": f.path, "lines": {"begin": f.line, "end": f.end_line}},
            }
        )
    return issues


def render_gitlab(findings: list[Finding], texts: dict[str, str]) -> str:
    """The report as JSON text (an empty list when clean: GitLab then shows no degradation)."""
    return json.dumps(gitlab_issues(findings), indent=2) + "\n"
