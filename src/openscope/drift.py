"""Drift: what changed between a baseline report and a new one (`openscope diff`, `check --baseline`).

Both sides are JSON reports (SPEC §5, `openscope.report/1`), so a baseline written by an older openscope
still compares. Models are matched by name (id, with the revision a reference pins); a model whose pin
moved (`org/name@v1` then `org/name@v2`) is the same model at another revision. For each model: added or
removed; the governing license; flags gained or lost; thresholds; license conflicts; the spectrum; the
digests of its terms files (a LICENSE that differs at another revision is a finding of its own, even when
it still reads as the same license); obligations under an unchanged license; and whether it could be
assessed. The kinds, with their severity under `check --baseline`, are data: policies/drift.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

from openscope.errors import InputError
from openscope.types import REPORT_SCHEMA, DriftFinding, Violation
from openscope.vocabulary import drift_defs, format_thresholds


def load_report(path: str | Path) -> dict:
    """A JSON report file, checked enough to compare: an InputError (exit 2) names the file otherwise."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{shown}: no such report file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, not a report file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: cannot read the report ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{shown}: not a JSON report (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                         "write one with --format json") from None
    return check_report(data, shown)


def check_report(data, shown: str) -> dict:
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"{shown}: not an openscope report (schema {found!r}, expected {REPORT_SCHEMA!r}); "
                         "write one with `openscope scan --format json`")
    models = data.get("models")
    if not isinstance(models, list):
        raise InputError(f"{shown}: models: expected a list of model reports")
    for i, m in enumerate(models):
        if not isinstance(m, dict) or not isinstance(m.get("ref"), str):
            raise InputError(f"{shown}: models[{i}]: expected a model report with a 'ref'")
    return data


def _name(m: dict) -> str:
    """How violations name a model (types.model_name, on a report dict)."""
    mid, ref = m.get("id"), m["ref"]
    if m.get("kind") == "hub" and mid and ref.startswith(mid + "@"):
        return ref
    return mid or ref


def _base(m: dict) -> str:
    return (m.get("id") or m["ref"]).lower()


def _license(m: dict) -> str | None:
    lic = m.get("effective_license") or m.get("license") or {}
    return lic.get("id") or lic.get("name") if isinstance(lic, dict) else None


def _flags(m: dict) -> dict[str, dict]:
    return {f["flag"]: f for f in m.get("flags") or [] if isinstance(f, dict) and "flag" in f}


def _conflicts(m: dict) -> list[str]:
    return [w.get("message", "") for w in m.get("warnings") or [] if isinstance(w, dict)
            and w.get("code") == "license-conflict"]


def _obligations(m: dict) -> set[tuple]:
    return {(o.get("obligation"), o.get("value"), o.get("inherited_from")) for o in m.get("obligations") or []
            if isinstance(o, dict)}


def _terms(m: dict) -> dict[str, str]:
    return {t["file"]: t["sha256"] for t in m.get("terms_files") or [] if isinstance(t, dict) and "file" in t}


def _revision(m: dict) -> str | None:
    name = _name(m)
    pinned = name.rsplit("@", 1)[1] if "@" in name and m.get("kind") == "hub" else None
    return m.get("revision") or pinned


def _pair(old: list[dict], new: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """Matched (old, new) models, then the removed and the added ones. Exact names first; then a model whose
    pin moved is matched by its id when that id is left exactly once on each side."""
    old_by = {_name(m): m for m in old}
    new_by = {_name(m): m for m in new}
    pairs = [(old_by[n], new_by[n]) for n in old_by if n in new_by]
    removed = [m for n, m in old_by.items() if n not in new_by]
    added = [m for n, m in new_by.items() if n not in old_by]
    for m in list(removed):
        same = [a for a in added if _base(a) == _base(m)]
        if len(same) == 1 and sum(_base(r) == _base(m) for r in removed) == 1:
            pairs.append((m, same[0]))
            removed.remove(m)
            added.remove(same[0])
    return pairs, removed, added


def _thresholds(f: dict) -> str:
    return format_thresholds(f.get("thresholds") or {}) or "none"


def compare(old: dict, new: dict) -> list[DriftFinding]:
    """Every change from the `old` report to the `new` one, model by model (models in the new order)."""
    pairs, removed, added = _pair(old.get("models") or [], new.get("models") or [])
    out: list[DriftFinding] = []
    for m in added:
        lic = _license(m)
        out.append(DriftFinding("model-added", _name(m), f"{_name(m)}: new model" + (f" under {lic}" if lic else ""),
                                None, lic))
    for m in removed:
        out.append(DriftFinding("model-removed", _name(m), f"{_name(m)}: no longer referenced", _license(m), None))
    for o, n in pairs:
        out += _model_changes(o, n)
    return out


def _model_changes(o: dict, n: dict) -> list[DriftFinding]:
    name = _name(n)
    out: list[DriftFinding] = []
    if n.get("error") and not o.get("error"):
        message = (n["error"] or {}).get("message", "")
        return [DriftFinding("now-unassessed", name, f"{name}: could not be assessed now ({message})", None,
                             (n["error"] or {}).get("code"))]
    if o.get("error") or n.get("error"):
        return out  # nothing to compare with a model that was not assessed
    moved = f" (revision {_revision(o) or 'unpinned'} -> {_revision(n) or 'unpinned'})" \
        if _revision(o) != _revision(n) else ""
    old_lic, new_lic = _license(o), _license(n)
    if old_lic != new_lic:
        out.append(DriftFinding("license-changed", name, f"{name}: license changed from {old_lic or 'unknown'} "
                                                         f"to {new_lic or 'unknown'}{moved}", old_lic, new_lic))
    old_terms, new_terms = _terms(o), _terms(n)
    changed = sorted(f for f in old_terms.keys() & new_terms.keys() if old_terms[f] != new_terms[f])
    if changed:
        out.append(DriftFinding("terms-changed", name, f"{name}: {', '.join(changed)} differ"
                                f"{'s' if len(changed) == 1 else ''} from the baseline's{moved}",
                                _revision(o), _revision(n)))
    of, nf = _flags(o), _flags(n)
    for flag in [f for f in nf if f not in of]:
        origin = nf[flag].get("inherited_from")
        out.append(DriftFinding("flag-added", name, f"{name}: gained {flag}"
                                + (f" (inherited from {origin})" if origin else ""), None, flag))
    for flag in [f for f in of if f not in nf]:
        out.append(DriftFinding("flag-removed", name, f"{name}: lost {flag}", flag, None))
    for flag in [f for f in nf if f in of]:
        if (of[flag].get("thresholds") or {}) != (nf[flag].get("thresholds") or {}):
            out.append(DriftFinding("threshold-changed", name, f"{name}: {flag} threshold changed from "
                                    f"{_thresholds(of[flag])} to {_thresholds(nf[flag])}",
                                    _thresholds(of[flag]), _thresholds(nf[flag])))
    oc, nc = _conflicts(o), _conflicts(n)
    for c in nc:
        if c not in oc:
            out.append(DriftFinding("conflict-added", name, f"{name}: new license conflict: {c}", None, c))
    for c in oc:
        if c not in nc:
            out.append(DriftFinding("conflict-resolved", name, f"{name}: license conflict gone: {c}", c, None))
    if o.get("spectrum") != n.get("spectrum"):
        out.append(DriftFinding("spectrum-changed", name, f"{name}: spectrum changed from {o.get('spectrum')} "
                                                          f"to {n.get('spectrum')}", o.get("spectrum"), n.get("spectrum")))
    if old_lic == new_lic and _obligations(o) != _obligations(n) and "obligations" in o:
        gained = sorted({ob[0] for ob in _obligations(n) - _obligations(o)})
        lost = sorted({ob[0] for ob in _obligations(o) - _obligations(n)})
        parts = ([f"now also {', '.join(gained)}"] if gained else []) + ([f"no longer {', '.join(lost)}"] if lost else [])
        out.append(DriftFinding("obligations-changed", name, f"{name}: obligations changed: {'; '.join(parts)}",
                                ", ".join(lost) or None, ", ".join(gained) or None))
    return out


def upstream_finding(name: str, pinned: str | None, head: str | None, pinned_terms: dict[str, str],
                     head_terms: dict[str, str], head_license: str | None) -> DriftFinding | None:
    """A pinned model whose repository now carries other terms files than those at its pin."""
    changed = sorted(f for f in pinned_terms.keys() | head_terms.keys() if pinned_terms.get(f) != head_terms.get(f))
    if not changed:
        return None
    return DriftFinding("upstream-terms-changed", name,
                        f"{name}: pinned at {pinned}; upstream ({head or 'main'}) {', '.join(changed)} "
                        f"differ{'s' if len(changed) == 1 else ''}" + (f" and read{'s' if len(changed) == 1 else ''} "
                                                                       f"as {head_license}" if head_license else ""),
                        pinned, head)


def violations(findings: list[DriftFinding]) -> list[Violation]:
    """`check --baseline`: each change as a policy violation (rule `drift/<kind>`, severity from drift.yaml)."""
    defs = drift_defs()
    return [Violation(model=f.model, rule=f"drift/{f.kind}", severity=defs.get(f.kind, {}).get("severity", "warning"),
                      message=f.message) for f in findings]
