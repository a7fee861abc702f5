"""Finding output: text for people, GitHub annotations, JSON and SARIF for machines."""

from __future__ import annotations

import json
from typing import Callable

from onetag.edits import LineIndex
from onetag.finding import Finding


def render(fmt: str, findings: list[Finding], texts: dict[str, str] | None = None) -> str:
    """The whole report in ``fmt``; ``texts`` (path -> file text) lets fixes carry positions."""
    return FORMATS[fmt](findings, texts or {})


def _text(findings: list[Finding], texts: dict[str, str]) -> str:
    lines = []
    for f in findings:
        mark = " (fixable)" if f.fixable else ""
        lines.append(f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}{mark}")
    if findings:
        fixable = sum(1 for f in findings if f.fixable)
        noun = "finding" if len(findings) == 1 else "findings"
        lines.append(f"Found {len(findings)} {noun} ({fixable} fixable with `onetag migrate`).")
    return "\n".join(lines) + ("\n" if lines else "")


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _github(findings: list[Finding], texts: dict[str, str]) -> str:
    out = []
    for f in findings:
        props = ",".join(
            f"{k}={_escape_property(str(v))}"
            for k, v in (
                ("file", f.path), ("line", f.line), ("col", f.col),
                ("endLine", f.end_line), ("endColumn", f.end_col), ("title", f"onetag {f.code}"),
            )
        )
        out.append(f"::{_GITHUB_LEVEL.get(f.severity, 'error')} {props}::{_escape_data(f'{f.code} {f.message}')}")
    return "\n".join(out) + ("\n" if out else "")


def fix_json(f: Finding, texts: dict[str, str]) -> dict | None:
    """A finding's fix as JSON: each edit with 1-based start/end positions and its content."""
    if not f.edits:
        return None
    text = texts.get(f.path)
    index = LineIndex(text) if text is not None else None
    edits = []
    for e in f.edits:
        item: dict = {"start": e.span.start, "end": e.span.end, "content": e.replacement}
        if index is not None:
            (sl, sc), (el, ec) = index.position(e.span.start), index.position(e.span.end)
            item["location"] = {"row": sl, "column": sc}
            item["end_location"] = {"row": el, "column": ec}
        edits.append(item)
    return {"applicability": "safe" if f.fixable else "suggested", "edits": edits}


def as_dict(f: Finding, texts: dict[str, str]) -> dict:
    return {
        "path": f.path, "line": f.line, "col": f.col, "end_line": f.end_line, "end_col": f.end_col,
        "code": f.code, "message": f.message, "severity": f.severity,
        "fixable": f.fixable, "suggestion": f.suggestion, "fix": fix_json(f, texts),
    }


def _json(findings: list[Finding], texts: dict[str, str]) -> str:
    return json.dumps([as_dict(f, texts) for f in findings], indent=2) + "\n"


def _sarif(findings: list[Finding], texts: dict[str, str]) -> str:
    from onetag.sarif import sarif_document

    return json.dumps(sarif_document(findings, texts), indent=2) + "\n"


FORMATS: dict[str, Callable[[list[Finding], dict[str, str]], str]] = {
    "text": _text,
    "github": _github,
    "json": _json,
    "sarif": _sarif,
    "gitlab": lambda findings, texts: __import__("onetag.gitlab_report", fromlist=["_"]).render_gitlab(findings, texts),
}


def flatten(per_file: dict[str, list[Finding]]) -> list[Finding]:
    return [f for path in sorted(per_file) for f in per_file[path]]
