"""The find stage: scan discovered files with their handlers, then turn reference sites into
findings, deciding which proposals are safe to apply (mapping, evidence, verification)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from onetag import archnames
from onetag.config import Config
from onetag.discover import Candidate, discover, prefilter
from onetag.edits import Edit, LineIndex, Span
from onetag.files import TextFile, UnreadableFile, decode
from onetag.finding import Context, Finding, RefSite, Scan
from onetag.migrate import handler
from onetag.migrate.rules import severity_of

_IGNORE = re.compile(r"onetag:\s*ignore(?:\[([A-Za-z0-9,\s]*)\])?")


@dataclass
class FileScan:
    candidate: Candidate
    file: TextFile | None = None
    scan: Scan | None = None
    error: str | None = None


@dataclass
class Run:
    files: list[FileScan]
    notices: list[str] = field(default_factory=list)
    jobs: int | None = None  # processes for the later passes (None: one per core)


def scan_paths(
    paths: list[Path], config: Config, *, cwd: Path | None = None, jobs: int | None = None, progress=None
) -> Run:
    """Discover and scan every file under ``paths``; unreadable files carry their error."""
    discovery = discover(paths, config, cwd=cwd)
    quick = prefilter(list(config.images))
    results = _scan_all(discovery.files, config, quick, jobs, progress)
    return Run(results, discovery.notices, jobs)


def _scan_all(files: list[Candidate], config: Config, quick, jobs: int | None, progress=None) -> list[FileScan]:
    """Scan in file order; large trees across processes (output order stays deterministic).

    Workers send back only the files the prefilter let through: most files of a large tree
    hold nothing, and their results would cost more to pickle than to compute.
    """
    from functools import partial

    from onetag.parallel import pmap

    scanned = pmap(partial(_scan_or_none, config=config, quick=quick), files, jobs=jobs, progress=progress)
    return [result or FileScan(candidate) for candidate, result in zip(files, scanned)]


def _scan_or_none(candidate: Candidate, config: Config, quick) -> FileScan | None:
    result = scan_file(candidate, config, quick)
    return None if result.file is None and result.error is None else result


def scan_file(candidate: Candidate, config: Config, quick=None) -> FileScan:
    result = FileScan(candidate)
    try:
        with open(candidate.path, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        result.error = f"{candidate.rel}: cannot read: {err.strerror or err}"
        return result
    # Dockerfiles are always parsed (readiness rules need no arch word); others only when they may match.
    if quick is not None and candidate.fmt != "dockerfile" and not quick(raw):
        return result
    try:
        result.file = decode(Path(candidate.path), raw, display=candidate.rel)
    except UnreadableFile as err:
        result.error = str(err)
        return result
    ctx = Context(Path(candidate.path), config.platforms)
    try:
        scan = handler(candidate.fmt).scan(result.file.text, ctx)
    except RecursionError:
        scan = Scan(error="too deeply nested to parse")
    result.scan = scan
    if scan.error:
        result.error = f"{candidate.rel}: cannot parse as {candidate.fmt}: {scan.error}; left unchanged"
    return result


def collect_references(paths: list[Path], config: Config) -> list["Reference"]:
    """Every image reference in the files under ``paths`` (for verify --from), in file order."""
    run = scan_paths(paths, config)
    out = []
    for fs in run.files:
        if fs.scan is None or fs.file is None or fs.error:
            continue
        index = LineIndex(fs.file.text)
        for site in fs.scan.refs:
            line, col = index.position(site.span.start)
            out.append(Reference(fs.candidate.rel, line, col, site.text, archnames.has_variables(site.text), site.commented))
    return out


@dataclass(frozen=True)
class Reference:
    """An image reference as found in a file (for verify --from)."""

    path: str
    line: int
    col: int
    text: str
    variables: bool
    commented: bool


@dataclass(frozen=True)
class Options:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    mappings: dict[str, str] = field(default_factory=dict)  # config [images] plus --image
    verified: frozenset[str] = frozenset()  # unified references the registry confirmed
    refuted: dict[str, str] = field(default_factory=dict)  # unified reference -> why it failed


def build_findings(run: Run, config: Config, options: Options) -> dict[str, list[Finding]]:
    """Findings per file (relative path), sorted, with ignores and selections applied."""
    proposals = _proposals(run, options)
    evidence = _evidence(run, proposals)
    out: dict[str, list[Finding]] = {}
    for fs in run.files:
        if fs.scan is None or fs.file is None or fs.error:
            continue
        index = LineIndex(fs.file.text)
        findings = [
            _to_finding(fs.candidate.rel, index, problem.code, problem.span, problem.message, problem.edits, True, None, config)
            for problem in fs.scan.problems
        ]
        covered = [span for problem in fs.scan.problems for span in problem.covers]
        for site in fs.scan.refs:
            if site.evidence_only or any(span.contains(site.span) for span in covered):
                continue
            finding = _ref_finding(fs.candidate.rel, index, site, proposals, evidence, options, config)
            if finding:
                findings.append(finding)
        findings = _filter(findings, fs.file.text, index, options, config)
        if findings:
            out[fs.candidate.rel] = sorted(findings, key=Finding.sort_key)
    return out


def _proposals(run: Run, options: Options) -> dict[str, archnames.Proposal | None]:
    found: dict[str, archnames.Proposal | None] = {}
    for fs in run.files:
        if fs.scan is None:
            continue
        for site in fs.scan.refs:
            if site.text not in found:
                found[site.text] = archnames.detect(site.text)
    return found


def _evidence_key(proposal: archnames.Proposal) -> str | None:
    """What must be referenced elsewhere to show the unified image exists: the repository for a
    renamed repository, the repository *and* tag for an arch-specific tag (same repository)."""
    return archnames.repository_key(proposal.new, with_tag=proposal.code == "OT103")


def _evidence(run: Run, proposals: dict[str, archnames.Proposal | None]) -> set[str]:
    """Evidence keys (see _evidence_key) that the repository itself references."""
    wanted = {_evidence_key(p) for p in proposals.values() if p is not None and not p.certain}
    wanted.discard(None)
    if not wanted:
        return set()
    present: set[str | None] = set()
    for fs in run.files:
        for site in fs.scan.refs if fs.scan else ():
            present.add(archnames.repository_key(site.text))
            present.add(archnames.repository_key(site.text, with_tag=True))
    found = {name for name in wanted if name in present}
    missing = wanted - found
    if missing:
        found |= _grep_names(run, missing)
    return found


def _grep_names(run: Run, names: set[str]) -> set[str]:
    """Names written anywhere in the discovered files (files the prefilter skipped included)."""
    spellings: dict[bytes, str] = {}
    for name in names:
        domain, _, path = name.partition("/")
        forms = [name]
        if domain == "docker.io":
            forms.append(path)
            if path.startswith("library/"):
                forms.append(path[len("library/"):])
        for form in forms:
            spellings[form.encode()] = name
    from functools import partial

    from onetag.parallel import pmap

    keys = tuple(sorted(spellings, key=len, reverse=True))
    found = set().union(*(_spellings_in(fs.file.raw, keys) for fs in run.files if fs.file))
    cold = [fs.candidate.path for fs in run.files if fs.file is None and fs.error is None]
    if {spellings[k] for k in found} != names:
        found = found.union(*pmap(partial(_spellings_in_file, keys=keys), cold, jobs=run.jobs))
    return {spellings[k] for k in found}


def _spellings_in(data: bytes, keys: tuple[bytes, ...]) -> set[bytes]:
    """Which ``keys`` stand in ``data`` as whole image names (not inside a longer name)."""
    present = [k for k in keys if k in data]  # substring tests first: cheap, and usually empty
    if not present:
        return set()
    pattern = re.compile(rb"(?<![\w./-])(" + b"|".join(re.escape(k) for k in present) + rb")(?![\w/-]|\.\w)")
    return {match.group(1) for match in pattern.finditer(data)}


def _spellings_in_file(path: str, keys: tuple[bytes, ...]) -> set[bytes]:
    try:
        with open(path, "rb") as handle:
            return _spellings_in(handle.read(), keys)
    except OSError:
        return set()


def _mapping_for(text: str, mappings: dict[str, str]) -> str | None:
    """The replacement for ``text`` from an explicit [images] / --image mapping, or None."""
    if not mappings:
        return None
    from onetag.imageref import ReferenceError, parse

    ref, variables = archnames.parse_template(text)
    if ref is None:
        return None
    norm = ref.normalized()
    for old, new in mappings.items():
        try:
            old_ref = parse(old).normalized()
        except ReferenceError:
            continue
        if (old_ref.domain, old_ref.path) != (norm.domain, norm.path):
            continue
        if old_ref.tag and old_ref.tag != norm.tag:
            continue
        new_ref = parse(new)
        tag = new_ref.tag if new_ref.tag or new_ref.digest else ref.tag
        digest = new_ref.digest if new_ref.digest or new_ref.tag else None
        domain = new_ref.domain if new_ref.domain or not ref.domain else _keep_domain(ref, new_ref)
        result = ref.replace(domain=domain, path=new_ref.path, tag=tag, digest=digest)
        return archnames.unmask_variables(str(result), variables)
    return None


def _keep_domain(ref, new_ref) -> str:
    # "docker.io/acme/app-arm" mapped to "acme/app" keeps its explicit docker.io spelling.
    return ref.domain if ref.normalized().domain == "docker.io" else ""


def _ref_finding(rel, index, site: RefSite, proposals, evidence, options: Options, config: Config) -> Finding | None:
    mapped = _mapping_for(site.text, options.mappings)
    proposal = proposals.get(site.text)
    if mapped is not None and mapped != site.text:
        code = proposal.code if proposal else "OT101"
        message = f"'{site.text}' has a multi-platform successor '{mapped}' (mapped in configuration)"
        if mapped in options.refuted:
            message += f" (not applied: {options.refuted[mapped]})"
            return _to_finding(rel, index, code, site.span, message, (), False, mapped, config)
        return _to_finding(rel, index, code, site.span, message, (Edit(site.span, mapped),), True, None, config)
    if proposal is None:
        return None
    new = proposal.new
    base = f"'{site.text}' is an {proposal.arch}-only name; use the multi-platform '{new}'"
    reason = None
    if new in options.refuted:
        reason = options.refuted[new]
    elif proposal.pinned:
        reason = "its digest names one architecture's manifest; pin the unified tag's index digest instead"
    elif not (proposal.certain or new in options.verified or _evidence_key(proposal) in evidence):
        reason = f"nothing shows '{new}' exists; map it with --image OLD=NEW or [images], or confirm it with --verify"
    if reason:
        return _to_finding(rel, index, proposal.code, site.span, f"{base} (not applied: {reason})", (), False, new, config)
    return _to_finding(rel, index, proposal.code, site.span, base, (Edit(site.span, new),), True, None, config)


def _to_finding(rel, index: LineIndex, code, span: Span, message, edits, fixable, suggestion, config: Config) -> Finding:
    line, col = index.position(span.start)
    end_line, end_col = index.position(span.end)
    return Finding(
        rel, line, col, end_line, end_col, code, message, severity_of(code, config.severity),
        tuple(edits), bool(edits) and fixable, suggestion,
    )


def _selected(code: str, options: Options, config: Config) -> bool:
    if options.select and not any(code.startswith(s) for s in options.select):
        return False
    return not any(code.startswith(s) for s in (*options.ignore, *config.ignore))


def _filter(findings: list[Finding], text: str, index: LineIndex, options: Options, config: Config) -> list[Finding]:
    ignores = _inline_ignores(text, index) if "onetag" in text else {}
    kept = []
    for finding in findings:
        if not _selected(finding.code, options, config):
            continue
        codes = ignores.get(finding.line, set()) | ignores.get(finding.line - 1, set())
        if "*" in codes or finding.code in codes:
            continue
        kept.append(finding)
    return kept


def _inline_ignores(text: str, index: LineIndex) -> dict[int, set[str]]:
    """Line -> codes ignored there by an ``onetag: ignore[...]`` comment ('*' for all)."""
    out: dict[int, set[str]] = {}
    for match in _IGNORE.finditer(text):
        line, _ = index.position(match.start())
        codes = {c.strip().upper() for c in (match.group(1) or "").split(",") if c.strip()}
        out.setdefault(line, set()).update(codes or {"*"})
    return out


def fixes_for(findings: list[Finding]) -> list[Edit]:
    """The edits of the fixable findings, dropping any that overlap one already taken."""
    taken: list[Edit] = []
    spans: list[Span] = []
    for finding in sorted(findings, key=lambda f: (f.line, f.col)):
        if not finding.fixable:
            continue
        if any(_overlaps(e.span, s) for e in finding.edits for s in spans):
            continue
        taken.extend(finding.edits)
        spans.extend(e.span for e in finding.edits)
    return taken


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end or (a == b)

