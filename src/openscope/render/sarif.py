"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One rule per restriction flag (help from licenses/flags.yaml) and per policy rule (policies/rules.yaml).
With a policy (`check`), each violation becomes a result at every place the model is referenced, and
each waived rule a suppressed result carrying the exception's reason. Without a policy (`audit`,
`scan`), each flag of each model is a result whose level is the flag's default severity, and each obligation
a `note` (rule `obligation/<name>`).

Code scanning needs a file to annotate: a model with no location (given on the command line, not found
in a file) is attached to the policy file when there is one, and otherwise gets a result without a
location, which SARIF allows and code scanning ignores.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

from openscope._version import __version__
from openscope.render.interface import Format
from openscope.render.shared import checklist_item, flag_line

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "openscopeFinding/v1"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
OBLIGATION_PREFIX = "obligation/"  # rule ids of obligations, apart from the flags and policy rules


def _rule_catalog() -> dict[str, dict]:
    from openscope.vocabulary import flag_defs, policy_rule_defs

    rules: dict[str, dict] = {}
    for name, d in flag_defs().items():
        threshold = f" The report records the threshold ({d.threshold})." if d.threshold else ""
        rules[name] = _rule(name, d.title, d.description + threshold, d.severity, "restriction",
                            "Review the license terms, or add a reviewed [[exceptions]] entry to the policy.")
    for name, d in policy_rule_defs().items():
        rules[name] = _rule(name, d["title"], d["description"], "error", "policy", d["fix"])
    from openscope.vocabulary import drift_defs, obligation_defs

    for name, d in drift_defs().items():
        rules[f"drift/{name}"] = _rule(f"drift/{name}", d["title"], d["description"], d["severity"], "drift", d["fix"])

    for name, d in obligation_defs().items():
        rules[OBLIGATION_PREFIX + name] = _rule(OBLIGATION_PREFIX + name, d.title, d.description, "note",
                                                "obligation", "Do what the terms ask; the checklist says how.")
    return rules


def _rule(rule_id: str, title: str, description: str, level: str, tag: str, fix: str) -> dict:
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": f"{description}\n\nHow to fix: {fix}",
                 "markdown": f"**{title}**: {description}\n\n*How to fix:* {fix}"},
        "defaultConfiguration": {"level": _LEVEL.get(level, "warning")},
        "properties": {"tags": ["openscope", "license", tag]},
    }


def _relative_uri(path: str) -> str:
    """A location's path as a URI: relative paths (the scanner's, from the working directory) stay
    relative to %SRCROOT%; an absolute one becomes a file: URI."""
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return PurePosixPath(*p.parts).as_posix() if p.parts else "."


def _line_text(path: str, line: int) -> str:
    from openscope.errors import UnreadableError
    from openscope.text.bounded import read_bounded

    try:  # the file scan read; bounded all the same (it may have changed since, into a FIFO or a huge file)
        text = read_bounded(path, 20_000_000)[0].decode("utf-8", "replace")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # the lines text mode reads
    except UnreadableError:
        lines = []
    if 0 < line <= len(lines):
        return lines[line - 1].strip()
    return f"#{line}"


def _location(path: str, line: int | None) -> dict:
    uri = _relative_uri(path)
    artifact = {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": SRCROOT}
    physical: dict = {"artifactLocation": artifact}
    if line and line >= 1:
        physical["region"] = {"startLine": int(line)}
    return {"physicalLocation": physical}


def _fingerprint(rule: str, model: str, path: str | None, line: int | None) -> dict:
    # The line's text, not its number, so an alert survives unrelated edits above it.
    anchor = f"{_relative_uri(path)}|{_line_text(path, line) if line else ''}" if path else ""
    digest = hashlib.sha256(f"{rule}|{model}|{anchor}".encode()).hexdigest()[:32]
    return {FINGERPRINT_KEY: digest}


def _places(locations, fallback: str | None) -> list[tuple[str | None, int | None]]:
    if locations:
        return [(loc.path, loc.line) for loc in locations]
    return [(fallback, None)]


def _result(rule: str, level: str, text: str, model_name: str, path, line, **extra) -> dict:
    result = {"ruleId": rule, "level": _LEVEL.get(level, "warning"), "message": {"text": text}}
    if path:
        result["locations"] = [_location(path, line)]
    result["partialFingerprints"] = _fingerprint(rule, model_name, path, line)
    result["properties"] = {"model": model_name}
    result.update(extra)
    return result


def _policy_results(report) -> list[dict]:
    from openscope.types import locations_by_model

    where = locations_by_model(report)
    source = report.policy.source
    fallback = source if source and not source.startswith("<") and Path(source).is_file() else None
    results = []
    for v in report.policy.violations:
        for path, line in _places(where.get(v.model), fallback):
            results.append(_result(v.rule, v.severity, v.message, v.model, path, line))
    for w in report.policy.waived:
        until = f" until {w.expires}" if w.expires else ""
        justification = f"Policy exception{until}: {w.reason}"
        for path, line in _places(where.get(w.model), fallback):
            results.append(_result(w.rule, "note", f"{w.model}: {w.rule} waived by a policy exception{until}",
                                   w.model, path, line,
                                   suppressions=[{"kind": "external", "status": "accepted",
                                                  "justification": justification}]))
    return results


def _flag_text(name: str, f) -> str:
    return f"{name}: " + flag_line(f, title=False, quote=200)


def _finding_results(report, flag_levels) -> list[dict]:
    from openscope.types import model_name

    results = []
    for m in report.models:
        name = model_name(m)
        for path, line in _places(m.locations, None):
            if m.error is not None:
                results.append(_result("unknown", "warning", f"{name}: could not be assessed "
                                       f"({m.error.code}: {m.error.message})", name, path, line))
            for f in m.flags:
                results.append(_result(f.flag, flag_levels.get(f.flag, "warning"), _flag_text(name, f),
                                       name, path, line))
            for o in m.obligations:
                results.append(_result(OBLIGATION_PREFIX + o.obligation, "note", f"{name}: {checklist_item(o)}",
                                       name, path, line))
    return results


def _sarif(results: list[dict], properties: dict | None = None) -> str:
    catalog = _rule_catalog()
    used = list(dict.fromkeys(r["ruleId"] for r in results))
    rules = [catalog[r] for r in used]
    index = {r: i for i, r in enumerate(used)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    run = {
        "tool": {"driver": {"name": "openscope", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().resolve().as_uri() + "/"}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if properties:
        run["properties"] = properties
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_report(report) -> str:
    from openscope.vocabulary import flag_defs

    if report.policy is not None:
        results = _policy_results(report)
        props = {"policy": {"passed": report.policy.passed, "source": report.policy.source}}
    else:
        results = _finding_results(report, {n: d.severity for n, d in flag_defs().items()})
        props = None
    return _sarif(results, props)


def render_license_report(report) -> str:
    from openscope.vocabulary import flag_defs

    levels = {n: d.severity for n, d in flag_defs().items()}
    results = []
    for entry in report.licenses:
        path = None if entry.path == "-" else entry.path
        if entry.error is not None:
            results.append(_result("unknown", "warning", entry.error.message, entry.path, path, None))
        for f in entry.flags:
            results.append(_result(f.flag, levels.get(f.flag, "warning"), _flag_text(entry.path, f),
                                   entry.path, path, None))
    return _sarif(results)


FORMAT = Format("sarif", "SARIF 2.1.0 for GitHub code scanning.", render_report, render_license_report)
