"""Model card parsing: one parser for cards from the Hub, the cache and local folders.

A card is YAML front matter between '---' lines, then a Markdown body. Broken YAML is not fatal:
the body is still read and the problem is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class ParsedCard:
    data: dict = field(default_factory=dict)
    body: str = ""
    front_matter: str = "none"  # "valid-yaml" | "invalid-yaml" | "none"
    problem: str | None = None


def parse_card(text: str) -> ParsedCard:
    import yaml

    stripped = text.lstrip("\ufeff")
    # Blank lines before the opening '---' are common in hand-edited cards; the Hub accepts them too.
    lines = stripped.splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or lines[0].strip() != "---":
        return ParsedCard(body=stripped, front_matter="none")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return ParsedCard(body=stripped, front_matter="invalid-yaml", problem="front matter is never closed with '---'")
    header, body = "".join(lines[1:end]), "".join(lines[end + 1 :])
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(header, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        message = f"front matter is not valid YAML{where}: {problem}"
        recovered = _recover(lines[1:end], yaml, loader)
        if recovered:
            return ParsedCard(data=recovered, body=body, front_matter="invalid-yaml",
                              problem=f"{message}; the keys around it were read")
        return ParsedCard(body=body, front_matter="invalid-yaml", problem=message)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ParsedCard(body=body, front_matter="invalid-yaml", problem="front matter is not a YAML mapping")
    return ParsedCard(data=data, body=body, front_matter="valid-yaml")


def _recover(header_lines: list[str], yaml, loader, attempts: int = 5) -> dict:
    """Best effort for a broken header: drop the lines the parser stops at (a template placeholder such
    as "[instance_prompt]", a stray word) and read the rest; {} when that does not give a mapping."""
    kept = list(header_lines)
    for _ in range(attempts):
        try:
            data = yaml.load("".join(kept), Loader=loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            if mark is None or not kept:
                return {}
            # The parser may stop on the line after the culprit; drop the nearest line that is no key.
            at = min(mark.line, len(kept) - 1)
            culprit = next((i for i in (at, at - 1) if 0 <= i < len(kept) and ":" not in kept[i]), at)
            del kept[culprit]
            continue
        return data if isinstance(data, dict) else {}
    return {}


def as_list(value) -> list[str]:
    """Card fields such as license and base_model may be a string or a list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    return [text] if text else []


_DATASET_LINK = re.compile(r"huggingface\.co/datasets/([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)")


def named_datasets(card_data: dict, body: str | None = None, training: dict | None = None) -> list[str]:
    """Datasets a card names: its `datasets:`, then Hub dataset links in its body, then the registry's training
    datasets; each once (case-insensitively), in the order first named."""
    named = [*as_list(card_data.get("datasets"))]
    named += [m.group(1).rstrip(".") for m in _DATASET_LINK.finditer(body or "")]
    named += as_list(((training or {}).get("data") or {}).get("datasets"))
    out: dict[str, str] = {}
    for ds in named:
        ds = str(ds).strip()
        if ds and ds.lower() not in out:
            out[ds.lower()] = ds
    return list(out.values())
