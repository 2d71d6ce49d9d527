"""Model card parsing: one parser for cards from the Hub, the cache and local folders.

A card is YAML front matter between '---' lines, then a Markdown body. Broken YAML is not fatal:
the body is still read and the problem is reported.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from dataclasses import dataclass, field

# The card keys openscope reads, and the shape each must have. A card is written by anyone: a value of
# another type is dropped at this boundary with a warning naming the key, so no reader meets `tags: 5`.
TEXT, TEXTS = "a string", "a string or a list of strings"
CARD_KEYS = {
    "license": TEXTS, "licence": TEXTS, "license_name": TEXT, "license_link": TEXT, "tags": TEXTS,
    "base_model": TEXTS, "base_model_relation": TEXTS, "datasets": TEXTS, "pipeline_tag": TEXT,
    "library_name": TEXT, "model_id": TEXT, "model_name": TEXT, "quantized_by": TEXT,
}
MAX_LIST = 1000  # entries kept of one list-valued key (50,000 base models is an attack, not a card)
MAX_NODES = 100_000  # values in the front matter once YAML aliases are expanded (a "billion laughs" card)
MAX_CARD_WARNINGS = 20


@dataclass
class ParsedCard:
    data: dict = field(default_factory=dict)
    body: str = ""
    front_matter: str = "none"  # "valid-yaml" | "invalid-yaml" | "none"
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)  # keys dropped or cut at the type boundary


def _expanded_size(data, limit: int = MAX_NODES) -> int | None:
    """How many values `data` holds with every alias expanded, or None past `limit` or on a cycle.
    Memoised by identity, so a bomb is measured in the time of its few distinct nodes."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node) -> int | None:
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            return None  # `&a [*a]`: a value that contains itself
        active.add(key)
        total = 1
        for child in (node.items() if isinstance(node, dict) else node):
            for part in (child if isinstance(node, dict) else (child,)):
                n = size(part)
                if n is None:
                    return None
                total += n
                if total > limit:
                    return None
        active.discard(key)
        sizes[key] = total
        return total

    try:
        return size(data)
    except RecursionError:
        return None


def _is_text(value) -> bool:
    return isinstance(value, str)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def checked_card_data(data: dict) -> tuple[dict, list[str]]:
    """(card data with every known key of the right shape, one warning per key dropped or cut).

    Unknown keys pass through untouched; readers of them guard themselves."""
    out, problems = dict(data), []
    for key, shape in CARD_KEYS.items():
        if key not in out or out[key] is None:
            continue
        value = out[key]
        if _is_text(value):
            continue
        if shape == TEXTS and isinstance(value, list):
            kept = [v for v in value if _is_text(v)]
            if len(kept) < len(value):
                problems.append(f"card key '{key}': {len(value) - len(kept)} entry(ies) not strings; ignored")
            if len(kept) > MAX_LIST:
                problems.append(f"card key '{key}': {len(kept)} entries; read the first {MAX_LIST}")
                kept = kept[:MAX_LIST]
            out[key] = kept
            continue
        problems.append(f"card key '{key}': should be {shape}, not {_kind(value)}; ignored")
        del out[key]
    if len(problems) > MAX_CARD_WARNINGS:
        problems = problems[:MAX_CARD_WARNINGS] + [f"{len(problems) - MAX_CARD_WARNINGS} more card key problems"]
    return out, problems


def parse_card(text: str) -> ParsedCard:
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
    data, front_matter, problem, warnings = _front_matter(header)
    # The reading is shared between cards with the same header; each card gets its own copy of the data.
    return ParsedCard(data=copy.deepcopy(data), body=body, front_matter=front_matter, problem=problem,
                      warnings=list(warnings))


@functools.lru_cache(maxsize=4_096)
def _front_matter(header: str) -> tuple[dict, str, str | None, tuple[str, ...]]:
    """(data, front_matter, problem, warnings) of a card's YAML header. Remembered: a family of cards
    (fine-tunes, quantisations of one base) repeats its header, and YAML construction was most of
    reading a local card; read only (parse_card copies the data)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(header, Loader=loader)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # `date: 2001-13-45`: the constructor's
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return {}, "invalid-yaml", f"front matter is not valid YAML: {why}", ()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        message = f"front matter is not valid YAML{where}: {problem}"
        recovered = _recover(header.splitlines(keepends=True), yaml, loader)
        if recovered:
            return recovered, "invalid-yaml", f"{message}; the keys around it were read", ()
        return {}, "invalid-yaml", message, ()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, "invalid-yaml", "front matter is not a YAML mapping", ()
    if _expanded_size(data) is None:
        return {}, "invalid-yaml", (f"front matter expands to more than {MAX_NODES:,} values (YAML aliases) "
                                    "or refers to itself; not read"), ()
    data, problems = checked_card_data(data)
    return data, "valid-yaml", None, tuple(problems)


def _recover(header_lines: list[str], yaml, loader, attempts: int = 5) -> dict:
    """Best effort for a broken header: drop the lines the parser stops at (a template placeholder such
    as "[instance_prompt]", a stray word) and read the rest; {} when that does not give a mapping."""
    kept = list(header_lines)
    for _ in range(attempts):
        try:
            data = yaml.load("".join(kept), Loader=loader)
        except (ValueError, TypeError, OverflowError, RecursionError):
            return {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            if mark is None or not kept:
                return {}
            # The parser may stop on the line after the culprit; drop the nearest line that is no key.
            at = min(mark.line, len(kept) - 1)
            culprit = next((i for i in (at, at - 1) if 0 <= i < len(kept) and ":" not in kept[i]), at)
            del kept[culprit]
            continue
        if not isinstance(data, dict) or _expanded_size(data) is None:
            return {}
        return checked_card_data(data)[0]  # the keys read back cross the same type boundary
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
