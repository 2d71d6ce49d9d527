"""The driver: references -> facts -> license -> restrictions -> spectrum -> report.

Each stage lives in its own module; this file only joins them, and keeps one model's failure from
hiding the others' results.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from pathlib import Path

from openscope.errors import ModelError, internal_error
from openscope.types import (
    ErrorInfo,
    LicenseFileReport,
    LicenseReport,
    ModelReport,
    Report,
)


def _error_report(raw: str, kind: str, exc: ModelError, model_id: str | None = None) -> ModelReport:
    return ModelReport(ref=raw, id=model_id, kind=kind, provenance=None, spectrum="unknown",
                       error=ErrorInfo(code=exc.code, message=str(exc)), license_status="unknown",
                       license_status_reason="not assessed")


FETCH_WORKERS = 8  # Hub calls are I/O bound; 8 keeps well inside the Hub's rate limits
PROGRESS_MIN_MODELS = 10  # a progress bar only for runs long enough to need one


def make_resolver(offline: bool = False):
    from openscope.sources import FactResolver
    from openscope.sources.hub import hub_offline_from_env, hub_sources

    offline = offline or hub_offline_from_env()
    return FactResolver(hub_sources=hub_sources(offline))


@contextmanager
def _progress(total: int, enabled: bool | None):
    """Yield an `advance()` callable; draws a rich bar on stderr only for long runs on a terminal."""
    if enabled is None:
        enabled = total >= PROGRESS_MIN_MODELS and sys.stderr.isatty()
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Fetching model facts", total=total)
        yield lambda: bar.advance(task)


def fetch_all(resolver, refs: list, *, workers: int = FETCH_WORKERS, progress: bool | None = None) -> list:
    """`resolver.fetch` for every ref on a bounded thread pool: facts or the ModelError, in input order."""
    def one(ref):
        try:
            return resolver.fetch(ref)
        except ModelError as exc:
            return exc
        except Exception as exc:  # a bug in one model's fetch never loses the batch
            return internal_error(getattr(ref, "raw", str(ref)), exc)

    if len(refs) <= 1 or workers <= 1:
        return [one(ref) for ref in refs]
    # A local folder or card is read from disk and parsed: CPU work, which threads only slow down (they
    # contend for the GIL: 10,000 card folders took 5.7 s on 8 threads, 3.1 s on one). Those are read on
    # this thread, in turn; the pool is for what waits on the network.
    remote = [getattr(ref, "kind", None) != "local" for ref in refs]
    with _progress(len(refs), progress) as advance, ExitStack() as stack:
        futures: list = [None] * len(refs)
        if any(remote):
            from concurrent.futures import (
                ThreadPoolExecutor,  # only when there is something to overlap
            )

            pool = stack.enter_context(ThreadPoolExecutor(max_workers=min(workers, sum(remote)),
                                                          thread_name_prefix="openscope-fetch"))
            futures = [pool.submit(one, ref) if far else None for ref, far in zip(refs, remote)]
            for future in futures:
                if future is not None:
                    future.add_done_callback(lambda _: advance())
        out = []
        for ref, future in zip(refs, futures):
            if future is None:
                out.append(one(ref))
                advance()
            else:
                out.append(future.result())
        return out


def fetch_through(resolver):
    """The `fetch_base` an Assessor needs: a Hub id -> facts, through this resolver."""
    from openscope.refs import parse_ref

    return lambda model_id: resolver.fetch(parse_ref(model_id))


def assess_facts(facts, catalog, resolver=None) -> ModelReport:
    """Stages 3-5 for one model whose facts are known (bases are fetched through `resolver`)."""
    from openscope.assess.model import Assessor

    return Assessor(catalog, fetch_through(resolver or make_resolver(offline=True))).assess(facts)


def audit(refs: Iterable, *, offline: bool = False, resolver=None, locations=None,
          workers: int = FETCH_WORKERS, progress: bool | None = None) -> Report:
    """Assess every reference; a failing one gets an `error` entry and never hides the others."""
    return _assess_all(refs, offline=offline, resolver=resolver, workers=workers, progress=progress)[0]


def _assess_all(refs: Iterable, *, offline: bool = False, resolver=None, workers: int = FETCH_WORKERS,
                progress: bool | None = None):
    """`audit`, also giving each model's facts (None where there were none) and the run's Assessor."""
    from openscope.assess.model import Assessor
    from openscope.catalog import load_catalog
    from openscope.refs import parse_ref
    from openscope.types import ModelRef

    catalog = load_catalog()
    resolver = resolver or make_resolver(offline)
    assessor = Assessor(catalog, fetch_through(resolver))  # one per run: each base is assessed once
    report = Report()
    facts_of: list = []
    entries: list = []  # a ModelRef to fetch, or the report of a reference that did not parse
    for raw in refs:
        if isinstance(raw, ModelError):  # a reference that already failed to parse (e.g. a line of `-r FILE`)
            entries.append(_error_report(raw.ref, "hub", raw))
            continue
        try:
            entries.append(raw if isinstance(raw, ModelRef) else parse_ref(raw))
        except ModelError as exc:
            entries.append(_error_report(str(raw), "hub", exc))
        except Exception as exc:
            entries.append(_error_report(str(raw), "hub", internal_error(str(raw), exc)))
    to_fetch = [e for e in entries if isinstance(e, ModelRef)]
    fetched = iter(fetch_all(resolver, to_fetch, workers=workers, progress=progress))
    # Assessment stays on this thread and in input order; only the network-bound fetching is concurrent.
    for entry in entries:
        if not isinstance(entry, ModelRef):
            report.models.append(entry)
            facts_of.append(None)
            continue
        ref, facts = entry, next(fetched)
        try:
            if isinstance(facts, ModelError):
                raise facts
            model = assessor.assess(facts)
        except ModelError as exc:
            model = _error_report(ref.raw, ref.kind, exc, ref.id)
        except Exception as exc:  # one model's bug is that model's `internal` error, never a lost batch
            model = _error_report(ref.raw, ref.kind, internal_error(ref.raw, exc), ref.id)
        model.locations = list(ref.locations)
        _cap_warnings(model)
        report.models.append(model)
        facts_of.append(facts if not isinstance(facts, ModelError) else None)
    return report, facts_of, assessor


MAX_WARNINGS = 50  # per model: a hostile card must not turn one entry into thousands of lines


def _cap_warnings(model: ModelReport) -> None:
    from openscope.types import ReportWarning

    if len(model.warnings or ()) > MAX_WARNINGS:
        extra = len(model.warnings) - MAX_WARNINGS
        model.warnings = [*model.warnings[:MAX_WARNINGS],
                          ReportWarning("warnings-truncated", f"{model.ref}: {extra} more warning(s) not shown")]


def notice(paths, *, offline: bool = False, include_texts: bool = False, since: str | None = None,
           progress: bool = False, resolver=None):
    """`openscope notice`: the notice bundle for the models `scan` finds under paths (openscope.notice/1)."""
    from openscope.assess.notice import build_bundle
    from openscope.catalog import load_catalog
    from openscope.scan import collect_refs

    found = collect_refs(paths, since=since, progress=progress)
    report, facts_of, assessor = _assess_all(found.refs, offline=offline, resolver=resolver)

    def base_license(model_id):
        node = assessor.base_node(model_id)
        return node.license if node is not None else None

    return build_bundle(list(zip(report.models, facts_of)), load_catalog(), base_facts=assessor.base_facts,
                        base_license=base_license, include_texts=include_texts)


def analyze_license_files(paths: Iterable, *, stdin_text: str | bytes | None = None,
                          freeze: bool = False) -> LicenseReport:
    """`openscope license`: identify each text and flag its restrictions, one entry per file.

    Bad input never stops the batch: an empty, binary or unreadable file gets an `error`; a huge
    file is cut, a non-UTF-8 file decoded best effort and HTML/Markdown unwrapped, each with a warning.
    `freeze`: see `license.analyze_texts` (for a one-shot process).
    """
    from openscope.assess.licensing import license_info, osi_open_of
    from openscope.catalog import load_catalog
    from openscope.license import analyze_texts
    from openscope.text.bounded import read_bounded
    from openscope.text.decode import MAX_LICENSE_BYTES, decode_license_bytes
    from openscope.types import ReportWarning

    catalog = load_catalog()
    report = LicenseReport()
    read: list = []  # per path: (entry, decode warnings, text, name) or (entry, None, None, None) when unreadable
    for p in paths:
        label = str(p)
        entry = LicenseFileReport(path=label)
        try:
            if label == "-":
                data = stdin_text.encode("utf-8") if isinstance(stdin_text, str) else (stdin_text or b"")
            else:
                # One byte over the cap tells decode_license_bytes to cut and say so.
                data, _ = read_bounded(Path(p), MAX_LICENSE_BYTES + 1, label=label, truncate=True)
            text, warnings = decode_license_bytes(data, label)
        except ModelError as exc:
            entry.error = ErrorInfo(code="unreadable", message=str(exc))
            read.append((entry, None, None, None))
            continue
        except Exception as exc:  # one file's bug never loses the other files
            entry.error = ErrorInfo(code="internal", message=str(internal_error(label, exc)))
            read.append((entry, None, None, None))
            continue
        read.append((entry, warnings, text, Path(label).name if label != "-" else "<stdin>"))
    # Distinct texts are read once each, by both cores when there are enough of them.
    analyses = iter(analyze_texts([(text, name) for _, w, text, name in read if w is not None], freeze=freeze))
    for entry, warnings, _, _ in read:
        report.licenses.append(entry)
        if warnings is None:
            continue
        analysis = next(analyses)
        if isinstance(analysis, ModelError):
            entry.error = ErrorInfo(code="unreadable", message=str(analysis))
            continue
        if isinstance(analysis, Exception):  # one file's bug never loses the other files
            entry.error = ErrorInfo(code="internal", message=str(internal_error(entry.path, analysis)))
            continue
        label = entry.path
        if analysis.unwrapped:
            warnings.append(ReportWarning("unwrapped", f"{label}: {analysis.unwrapped.upper()} markup removed "
                                                       "before analysis; quotes are from the plain text"))
        ident = analysis.identification
        lic = catalog.known(ident.key) if ident and ident.key else None  # catalogued, or a LicenseDB license
        if lic is not None:
            entry.license = license_info(lic, "text" if ident.method != "classifier" else "classifier",
                                         round(ident.confidence, 3))
            entry.osi_open = osi_open_of(lic, analysis.flags)
        entry.flags = analysis.flags
        entry.obligations = analysis.obligations
        entry.warnings = [*warnings, *analysis.warnings]
    return report


def scan(paths, *, offline: bool = False, since: str | None = None, progress: bool = False,
         resolver=None, exclude=(), policy_file=None, strict_manifests: bool = False) -> Report:
    """`openscope scan`: find references under paths, assess each with its locations.

    References seen but not resolvable (variables, unknown names) and files that could not be
    read go to `report.skipped`; they are listed, not failures. `exclude`: gitignore-style patterns
    of paths not to scan (with `exclude = [...]` of the scanned folder's and `policy_file`'s table).
    `strict_manifests` (check): a models list that cannot be read or decoded is an InputError (exit 2).
    """
    from openscope.errors import InputError
    from openscope.scan import collect_refs

    found = collect_refs(paths, since=since, progress=progress, exclude=exclude, policy_file=policy_file)
    if strict_manifests and found.manifest_errors:  # SPEC §4: a gate that cannot read its list fails
        more = f" (and {len(found.manifest_errors) - 1} more)" if len(found.manifest_errors) > 1 else ""
        raise InputError(f"{found.manifest_errors[0]}{more}: a models list must be readable text")
    if offline and resolver is None:
        # The same references answered from openscope's own files give the same report (memo.py).
        from openscope.memo import remembered_audit

        report = remembered_audit(found.refs, lambda r: audit(found.refs, offline=True, resolver=r),
                                  lambda: make_resolver(offline=True))
    else:
        report = audit(found.refs, offline=offline, resolver=resolver)
    report.skipped = list(found.skipped)
    return report


def check(paths, *, policy_path=None, offline: bool = False, since: str | None = None, policy=None,
          today=None, progress: bool = False, exclude=(), baseline=None) -> Report:
    """`openscope check`: scan, assess, then judge the report against the policy (SPEC §6).

    The policy (and the `baseline` report, when given) is loaded before scanning, so a broken one fails at
    once (exit 2) without any work. With a baseline, every change since it is a finding (`report.drift`) and a
    policy violation of rule `drift/<kind>` (policies/drift.yaml says which fail the gate).
    """
    from openscope.policy import apply_policy, load_policy

    policy = policy or load_policy(policy_path)
    baseline_report = None
    if baseline is not None:
        from openscope.drift import load_report

        baseline_report = load_report(baseline)
    source = Path(policy.source) if policy.source and not policy.source.startswith("<") else None
    report = scan(paths, offline=offline, since=since, progress=progress, exclude=exclude,
                  policy_file=source if source is not None and source.is_file() else None, strict_manifests=True)
    report.policy = apply_policy(policy, report, today=today)
    if baseline_report is not None:
        from openscope.drift import compare, violations

        report.drift = compare(baseline_report, report.to_dict()) + upstream_drift(report, offline=offline)
        result = report.policy
        result.violations += violations(report.drift)
        result.violations.sort(key=lambda v: (v.severity != "error", v.model, v.rule))
        result.passed = not any(v.severity == "error" for v in result.violations)
    return report


def upstream_drift(report: Report, *, offline: bool = False, resolver=None) -> list:
    """For each Hub model pinned to a revision: do the repository's current terms files differ from those at
    the pin? (A finding of its own: moving the pin would change the terms.) A model whose current revision
    cannot be fetched is left out."""
    from openscope.assess.model import terms_files
    from openscope.drift import upstream_finding
    from openscope.refs import parse_ref
    from openscope.types import model_name

    pinned = [m for m in report.models if m.kind == "hub" and m.error is None and m.terms_files
              and m.id and m.ref.startswith(m.id + "@")]
    if not pinned:
        return []
    resolver = resolver or make_resolver(offline)
    out, seen = [], set()
    for m in pinned:
        if model_name(m) in seen:
            continue
        seen.add(model_name(m))
        try:
            head = resolver.fetch(parse_ref(m.id))
        except ModelError:
            continue
        if head.sha and head.sha == m.revision:
            continue
        head_terms = {t.file: t.sha256 for t in terms_files(head)}
        if not head_terms:
            continue  # nothing read upstream (registry facts): nothing to compare
        head_license = None
        try:
            lic = assess_facts(head, _catalog(), resolver).license
            head_license = (lic.id or lic.name) if lic is not None else None
        except ModelError:
            pass
        finding = upstream_finding(model_name(m), m.ref.split("@", 1)[1], head.sha,
                                   {t.file: t.sha256 for t in m.terms_files}, head_terms, head_license)
        if finding is not None:
            out.append(finding)
    return out


def _catalog():
    from openscope.catalog import load_catalog

    return load_catalog()
