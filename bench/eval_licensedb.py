#!/usr/bin/env python3
"""How openscope reads ScanCode's LicenseDB: false restrictions on licenses that restrict nothing,
non-commercial recall, and identification.

    python bench/eval_licensedb.py [--json FILE] [--show N] [--limit N]

Texts come from the scancode-toolkit-mini wheel (bench/licensedb.py downloads it once). Printed:
- negatives (English permissive / copyleft / public-domain texts): the share that gets any restriction
  flag other than `attribution`, by the reader alone (`extract`, no identification) and by the whole
  analysis (`analyze_text`, identification included), with the count per flag and the worst texts;
- non-commercial (bench/licensedb.yaml): the share where `non-commercial` is raised;
- identification: the share of all LicenseDB texts named as their own ScanCode key.
Targets (issue 11): negatives <= 1 % both ways; non-commercial recall >= 0.97.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

TARGETS = {"negative_rate": 0.01, "noncommercial_recall": 0.97}


def restricting(flags) -> list[str]:
    return sorted({f.flag for f in flags} - {"attribution"})


def evaluate(limit: int | None = None, identification: bool = True) -> dict:
    import licensedb

    from openscope.license import analyze_text
    from openscope.license.restrictions import extract

    negatives = licensedb.negatives()[:limit] if limit else licensedb.negatives()
    nc = licensedb.noncommercial()
    started = time.perf_counter()
    neg_rows = []
    for t in negatives:
        reader = restricting(extract(t.text, t.key).findings)
        whole = restricting(analyze_text(t.text, t.key).flags) if identification else reader
        neg_rows.append({"key": t.key, "category": t.category, "reader": reader, "whole": whole})
    nc_rows = []
    for t in nc:
        got = {f.flag for f in analyze_text(t.text, t.key).flags}
        nc_rows.append({"key": t.key, "hit": "non-commercial" in got, "flags": sorted(got)})
    elapsed = time.perf_counter() - started
    ident = {}
    if identification:
        ident = identification_rate(licensedb.load())
    n = len(neg_rows)
    return {
        "negatives": n,
        "negative_rate_reader": sum(bool(r["reader"]) for r in neg_rows) / n if n else 0.0,
        "negative_rate_whole": sum(bool(r["whole"]) for r in neg_rows) / n if n else 0.0,
        "false_flags_reader": Counter(f for r in neg_rows for f in r["reader"]),
        "false_flags_whole": Counter(f for r in neg_rows for f in r["whole"]),
        "flagged": [r for r in neg_rows if r["reader"] or r["whole"]],
        "noncommercial": len(nc_rows),
        "noncommercial_recall": sum(r["hit"] for r in nc_rows) / len(nc_rows) if nc_rows else 0.0,
        "noncommercial_missed": [r["key"] for r in nc_rows if not r["hit"]],
        "seconds": elapsed,
        "identification": ident,
    }


def identification_rate(texts) -> dict:
    """Share of LicenseDB texts identified as their own key (through the catalog's ScanCode key, or
    the key itself when identification names LicenseDB keys)."""
    from openscope.catalog import load_catalog
    from openscope.license.identify import identify_text

    catalog = load_catalog()
    ok = named = 0
    wrong = []
    for t in texts:
        if not t.text.strip():
            continue
        ident = identify_text(t.text)
        if ident is None or not ident.key:
            continue
        named += 1
        entry = catalog.get(ident.key)
        keys = {ident.key, entry.scancode_key if entry else None}
        if t.key in keys:
            ok += 1
        else:
            wrong.append(f"{t.key} -> {ident.key} ({ident.confidence:.2f})")
    total = sum(1 for t in texts if t.text.strip())
    return {"texts": total, "named": named, "as_itself": ok, "rate": ok / total if total else 0.0,
            "wrong": wrong}


def print_report(r: dict, show: int) -> None:
    print(f"LicenseDB negatives (English permissive / copyleft / public domain): {r['negatives']} texts")
    print(f"  with a false restriction, reader alone:       {r['negative_rate_reader']:6.1%}"
          f"   (target <= {TARGETS['negative_rate']:.0%})")
    print(f"  with a false restriction, with identification: {r['negative_rate_whole']:6.1%}")
    print("  false flags (reader): " + ", ".join(f"{f} {n}" for f, n in r["false_flags_reader"].most_common()))
    for row in r["flagged"][:show]:
        print(f"    {row['key']} [{row['category']}]: {', '.join(row['reader'] or row['whole'])}")
    print(f"\nnon-commercial licenses: {r['noncommercial']}; recall {r['noncommercial_recall']:.2f}"
          f"   (target >= {TARGETS['noncommercial_recall']})")
    if r["noncommercial_missed"]:
        print("  missed: " + ", ".join(r["noncommercial_missed"]))
    ident = r["identification"]
    if ident:
        print(f"\nidentification: {ident['as_itself']} of {ident['texts']} LicenseDB texts named as themselves "
              f"({ident['rate']:.1%}); {ident['named'] - ident['as_itself']} named as another license")
        for line in ident["wrong"][:show]:
            print(f"    {line}")
    print(f"\n{r['seconds']:.1f} s for the readings")


def main(argv=None) -> int:
    import licensedb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--show", type=int, default=25, help="how many flagged texts to list")
    parser.add_argument("--limit", type=int, help="only the first N negatives (quick runs)")
    parser.add_argument("--no-identification", action="store_true", help="score the reader alone, faster")
    args = parser.parse_args(argv)
    ok, why = licensedb.available()
    if not ok:
        print(f"LicenseDB not available: {why}", file=sys.stderr)
        return 2
    result = evaluate(args.limit, identification=not args.no_identification)
    print_report(result, args.show)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=dict) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
