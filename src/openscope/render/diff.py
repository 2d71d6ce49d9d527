"""`openscope diff OLD NEW` as text, Markdown or JSON (openscope.diff/1).

Not a report format (the registry in interface.py skips this module): it renders the changes between two
reports, not a report.
"""

from __future__ import annotations

import json

from openscope.errors import InputError
from openscope.vocabulary import drift_defs

FORMATS = ("text", "markdown", "json")


def render_text(diff) -> str:
    if not diff.changes:
        return f"no changes from {diff.old} to {diff.new}\n"
    defs = drift_defs()
    out = [f"{len(diff.changes)} change(s) from {diff.old} to {diff.new}:"]
    for c in diff.changes:
        severity = defs.get(c.kind, {}).get("severity", "warning")
        out.append(f"  [{c.kind}] {c.message}" + (" (fails check --baseline)" if severity == "error" else ""))
    return "\n".join(out) + "\n"


def render_markdown(diff) -> str:
    out = [f"## openscope diff: {len(diff.changes)} change(s)", "", f"`{diff.old}` → `{diff.new}`", ""]
    if not diff.changes:
        return "\n".join(out + ["No changes."]) + "\n"
    defs = drift_defs()
    out += ["| change | model | what |", "|---|---|---|"]
    for c in diff.changes:
        title = defs.get(c.kind, {}).get("title", c.kind)
        message = c.message.replace("|", "\\|").replace("<", "&lt;")
        out.append(f"| {title} (`{c.kind}`) | `{c.model}` | {message} |")
    return "\n".join(out) + "\n"


def render_json(diff) -> str:
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_diff(diff, fmt: str = "text") -> str:
    if fmt not in FORMATS:
        raise InputError(f"unknown diff format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return {"text": render_text, "markdown": render_markdown, "json": render_json}[fmt](diff)
