"""SARIF 2.1.0 output: one rule entry per rule with its docs, exact regions, fixes as replacements.

Read by GitHub code scanning (github/codeql-action/upload-sarif) and other SARIF viewers.
Columns count characters (code points), which SARIF calls ``unicodeCodePoints``; the run says
so, since SARIF's default is UTF-16 code units.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

from onetag import __version__
from onetag.edits import LineIndex
from onetag.finding import Finding
from onetag.migrate.rules import RULES, Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"

# onetag severity -> SARIF level
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def sarif_document(findings: list[Finding], texts: dict[str, str]) -> dict:
    """The SARIF log of one lint run; ``texts`` (path -> file text) gives fixes their positions."""
    index = {code: i for i, code in enumerate(RULES)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "onetag",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [rule_descriptor(rule) for rule in RULES.values()],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, texts, index) for f in findings],
            }
        ],
    }


def rule_descriptor(rule: Rule) -> dict:
    """A rule's ``reportingDescriptor``: the same documentation `onetag rules` prints."""
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "error")},
        "properties": {"fixable": rule.fixable, "tags": [rule.name]},
    }


def _help_text(rule: Rule) -> str:
    return (
        f"{rule.summary}\n\nWhy is this bad?\n{rule.why}\n\nExample:\n{rule.example}\n\n"
        f"Use instead:\n{rule.fix}\n\nFix safety: {rule.fixable}"
    )


def _help_markdown(rule: Rule) -> str:
    return (
        f"**{rule.code} {rule.name}**\n\n"
        f"## What it does\n\n{rule.summary}\n\n"
        f"## Why is this bad?\n\n{rule.why}\n\n"
        f"## Example\n\n```\n{rule.example}\n```\n\n"
        f"## Use instead\n\n```\n{rule.fix}\n```\n\n"
        f"## Fix safety\n\n{rule.fixable}\n"
    )


def artifact_location(path: str) -> dict:
    """A relative path becomes a URI under %SRCROOT%; a path outside the scanned folder stays absolute."""
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + quote(path, safe="/")}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _result(f: Finding, texts: dict[str, str], index: dict[str, int]) -> dict:
    result: dict = {"ruleId": f.code}
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    result["level"] = LEVELS.get(f.severity, "error")
    message = f.message if not f.suggestion else f"{f.message} (suggested: {f.suggestion})"
    result["message"] = {"text": message}
    result["locations"] = [
        {
            "physicalLocation": {
                "artifactLocation": artifact_location(f.path),
                "region": {
                    "startLine": f.line, "startColumn": f.col, "endLine": f.end_line, "endColumn": f.end_col,
                },
            }
        }
    ]
    fix = _fix(f, texts.get(f.path))
    if fix is not None:
        result["fixes"] = [fix]
    return result


def _fix(f: Finding, text: str | None) -> dict | None:
    """The finding's edits as one artifactChange; None without edits or without the file's text."""
    if not f.edits or text is None:
        return None
    lines = LineIndex(text)
    replacements = []
    for edit in sorted(f.edits, key=lambda e: (e.span.start, e.span.end)):
        (sl, sc), (el, ec) = lines.position(edit.span.start), lines.position(edit.span.end)
        replacements.append(
            {
                "deletedRegion": {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec},
                "insertedContent": {"text": edit.replacement},
            }
        )
    how = "applied by `onetag migrate`" if f.fixable else "suggested; `onetag migrate` does not apply it on its own"
    return {
        "description": {"text": f"{f.code}: {how}"},
        "artifactChanges": [{"artifactLocation": artifact_location(f.path), "replacements": replacements}],
    }
