#!/usr/bin/env python3
"""How openscope reads ScanCode's LicenseDB: false restrictions on licenses that restrict nothing,
non-commercial recall, and identification.

    python bench/eval_licensedb.py [--json FILE] [--show N] [--limit N]

Texts come from the scancode-toolkit-mini wheel (bench/licensedb.py downloads it once). Printed:
- negatives (English permissive / copyleft / public-domain texts): the share that gets any restriction
  flag other than `attribution`, by the reader alone (`extract`, no identification) and by the whole
  analysis (`analyze_text`, identification included), with the count per flag and the worst texts;
- non-commercial (bench/licensedb.yaml): the share where `non-commercial` is raised;
- identification: the share of all LicenseDB texts named as their own key, as given, edited and
  left out (leave-one-out), and the share confidently named as another license (identification_rate).
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
    reviewed = set(licensedb.reference_sets().get("restricting_despite_category") or {})
    plain = [r for r in neg_rows if r["key"] not in reviewed]
    return {
        "negatives": n,
        "reviewed_restricting": sorted(reviewed & {r["key"] for r in neg_rows}),
        "negative_rate_reader_reviewed": sum(bool(r["reader"]) for r in plain) / len(plain) if plain else 0.0,
        "negative_rate_whole_reviewed": sum(bool(r["whole"]) for r in plain) / len(plain) if plain else 0.0,
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
    """How LicenseDB texts are identified, three ways:
    - as given: named as their own key (the catalog's key where the catalog links the ScanCode key),
      or as another key with the same normalised text (ScanCode keeps a few such twins);
    - edited (one word changed, a sentence appended): the fuzzy matchers must still name the text;
    - leave-one-out: the text, and any identical text, left out of the known ones: what an unknown
      license close to a known one gets. Anything named then is another license, so it must be
      `modified` with confidence below `match.confident`, or unidentified.
    "Confidently wrong": another license named with confidence >= `match.confident`."""
    import licensedb

    from openscope.catalog import load_catalog
    from openscope.license.identify import identify_text, match_settings
    from openscope.license.normalize import normalize

    catalog = load_catalog()
    confident = match_settings().confident
    usable = [t for t in texts if t.text.strip()]
    norms = {t.key: normalize(t.text) for t in usable}
    twins: dict[str, set[str]] = {}
    for t in usable:
        twins.setdefault(" ".join(norms[t.key].tokens), set()).add(catalog.scancode_id(t.key))

    def same(t) -> set[str]:
        return twins[" ".join(norms[t.key].tokens)]

    def score(found_of) -> dict:
        row = {"texts": 0, "as_itself": 0, "as_twin": 0, "named_other": 0, "confidently_wrong": 0, "unidentified": 0,
               "wrong": []}
        for t in usable:
            own = catalog.scancode_id(t.key)
            found = found_of(t)
            row["texts"] += 1
            if found is None or not found.key:
                row["unidentified"] += 1
            elif found.key == own:
                row["as_itself"] += 1
            elif found.key in same(t):
                row["as_twin"] += 1
            else:
                row["named_other"] += 1
                row["confidently_wrong"] += found.confidence >= confident
                row["wrong"].append((-found.confidence, f"{t.key} -> {found.key} ({found.confidence:.2f}"
                                                        f"{', modified' if found.modified else ''})"))
        row["wrong"] = [line for _, line in sorted(row["wrong"])]  # the most confident first
        row["rate"] = row["as_itself"] / row["texts"] if row["texts"] else 0.0
        return row

    as_given = score(lambda t: identify_text(norms[t.key]) if norms[t.key].tokens else None)
    edited = score(lambda t: identify_text(licensedb.edited(t.text)))
    unknown = score(lambda t: identify_text(norms[t.key], exclude=same(t))
                    if norms[t.key].tokens else None)
    return {"texts": as_given["texts"], "named": as_given["texts"] - as_given["unidentified"],
            "as_itself": as_given["as_itself"], "rate": as_given["rate"], "wrong": as_given["wrong"],
            "as_given": as_given, "edited": edited, "leave_one_out": unknown, "confident": confident}


def print_report(r: dict, show: int) -> None:
    print(f"LicenseDB negatives (English permissive / copyleft / public domain): {r['negatives']} texts")
    print(f"  with a restriction flag, reader alone:         {r['negative_rate_reader']:6.1%}"
          f"   (target <= {TARGETS['negative_rate']:.0%})")
    print(f"  with a restriction flag, with identification:   {r['negative_rate_whole']:6.1%}")
    n_rev = len(r["reviewed_restricting"])
    print(f"  without the {n_rev} texts that restrict despite their category (bench/licensedb.yaml):")
    print(f"    reader alone {r['negative_rate_reader_reviewed']:6.1%}, with identification"
          f" {r['negative_rate_whole_reviewed']:6.1%}   over {r['negatives'] - n_rev} texts")
    print("  flags (reader): " + ", ".join(f"{f} {n}" for f, n in r["false_flags_reader"].most_common()))
    for row in r["flagged"][:show]:
        print(f"    {row['key']} [{row['category']}]: {', '.join(row['reader'] or row['whole'])}")
    print(f"\nnon-commercial licenses: {r['noncommercial']}; recall {r['noncommercial_recall']:.2f}"
          f"   (target >= {TARGETS['noncommercial_recall']})")
    if r["noncommercial_missed"]:
        print("  missed: " + ", ".join(r["noncommercial_missed"]))
    ident = r["identification"]
    if ident:
        given = ident["as_given"]
        print(f"\nidentification: {ident['as_itself']} of {ident['texts']} LicenseDB texts named as themselves "
              f"({ident['rate']:.1%}); {given['as_twin']} as a key with the same normalised text; "
              f"{given['named_other']} named as another license")
        print(f"  {'':16} {'itself':>7} {'twin':>5} {'other':>6} {'confidently wrong':>18} {'unidentified':>13}"
              f"   (confident: >= {ident['confident']})")
        for label in ("as_given", "edited", "leave_one_out"):
            row = ident[label]
            n = row["texts"]
            print(f"  {label.replace('_', ' '):16} {row['as_itself'] / n:7.1%} {row['as_twin'] / n:5.1%}"
                  f" {row['named_other'] / n:6.1%} {row['confidently_wrong'] / n:18.2%} {row['unidentified'] / n:13.1%}")
        for label in ("as_given", "edited", "leave_one_out"):
            shown = ident[label]["wrong"][:show]
            if shown:
                print(f"  named as another license, {label.replace('_', ' ')} (most confident first):")
                for line in shown:
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
