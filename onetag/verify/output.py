"""Verdicts as text (one line per image) or JSON (everything, for machines)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from onetag.verify.platforms import ImageVerdict


@dataclass(frozen=True)
class Skipped:
    """A reference ``verify --from`` found but could not check, and why."""

    reference: str
    where: str  # "path:line"
    reason: str


def _short(digest: str | None) -> str:
    return digest[:19] if digest else ""


def text_lines(verdicts: list[ImageVerdict], skipped: list[Skipped] = ()) -> list[str]:
    lines = []
    for v in verdicts:
        if v.ok:
            platforms = " ".join(p.platform for p in v.platforms) or " ".join(v.found)
            lines.append(f"ok    {v.image}  {platforms}  {_short(v.digest)}".rstrip())
        else:
            lines.append(f"FAIL  {v.image}  {'; '.join(v.problems)}")
    lines += [f"skip  {s.reference}  {s.where}: {s.reason}" for s in skipped]
    return lines


def to_json(verdicts: list[ImageVerdict], skipped: list[Skipped] = (), sites: dict[str, list[str]] | None = None) -> str:
    images = []
    for v in verdicts:
        item = {
            "image": v.image,
            "ok": v.ok,
            "digest": v.digest,
            "platforms": [{"platform": p.platform, "ok": p.ok, "digest": p.digest, "problem": p.problem} for p in v.platforms],
            "found": [{"platform": p, "digest": d} for p, d in v.found_digests],
            "problems": list(v.problems),
        }
        if sites and v.image in sites:
            item["where"] = sites[v.image]
        images.append(item)
    doc = {
        "ok": all(v.ok for v in verdicts),
        "images": images,
        "skipped": [{"reference": s.reference, "where": s.where, "reason": s.reason} for s in skipped],
    }
    return json.dumps(doc, indent=2)
