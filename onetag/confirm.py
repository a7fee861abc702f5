"""``--verify`` for lint and migrate: ask the registry before trusting a heuristic.

Unified references proposed without evidence are checked on every required platform: a
confirmed one becomes safe to apply, a refuted one is reported with the registry's reason and
never applied. lint also checks Dockerfile base images (OT203). Verify is a separate layer;
this module is the one place the find stage calls it.
"""

from __future__ import annotations

from dataclasses import replace

from onetag import archnames
from onetag.config import Config
from onetag.edits import LineIndex
from onetag.engine import Options, Run, _mapping_for, _to_finding
from onetag.finding import Finding

_BASE_IMAGE_SITES = ("FROM", "COPY --from", "RUN --mount from")


def confirm(run: Run, config: Config, options: Options, *, base_images: bool = True) -> tuple[Options, list[Finding]]:
    """Options with ``verified``/``refuted`` filled in, and OT203 findings for base images."""
    from onetag.verify.platforms import verify_images

    targets: set[str] = set()
    bases: list[tuple[str, LineIndex, object]] = []
    for fs in run.files:
        if fs.scan is None or fs.file is None or fs.error:
            continue
        index = None
        for site in fs.scan.refs:
            if site.evidence_only or site.commented or archnames.has_variables(site.text):
                continue
            mapped = _mapping_for(site.text, options.mappings)
            proposal = archnames.detect(site.text)
            if mapped:
                targets.add(mapped)
            elif proposal and not proposal.certain and not proposal.pinned:
                targets.add(proposal.new)
            if base_images and fs.candidate.fmt == "dockerfile" and site.where in _BASE_IMAGE_SITES and proposal is None:
                index = index or LineIndex(fs.file.text)
                bases.append((fs.candidate.rel, index, site))
    images = sorted(targets | {site.text for _, _, site in bases})
    if not images:
        return options, []
    verdicts = {v.image: v for v in verify_images(images, list(config.platforms), deep=config.verify.deep, timeout=config.verify.timeout)}
    verified = frozenset(image for image in targets if verdicts[image].ok)
    refuted = {image: _reason(verdicts[image]) for image in targets if not verdicts[image].ok}
    extra = [
        _to_finding(rel, index, "OT203", site.span,
                    f"base image '{site.text}' does not serve every required platform: {_reason(verdicts[site.text])}",
                    (), False, None, config)
        for rel, index, site in bases
        if not verdicts[site.text].ok
    ]
    return replace(options, verified=options.verified | verified, refuted={**options.refuted, **refuted}), extra


def _reason(verdict) -> str:
    return "; ".join(verdict.problems) or "the registry did not confirm it"
