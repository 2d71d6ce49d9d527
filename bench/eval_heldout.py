#!/usr/bin/env python3
"""Score openscope once on the held-out set (bench/heldout), printing aggregates only.

    python bench/eval_heldout.py [--json FILE] [--set DIR [--misses]]

bench/heldout was written by someone who never saw the rules, the classifier or the paraphrases, and
is kept out of every tuning loop (its README). This script reads it the way the other benches read the
corpus and prints only totals: no text, no per-document miss list, so running it does not show what
to tune. Its first run is recorded in the README ("Measured quality"); a later run that scores better
after rule work is evidence of generalisation only if nobody looked at the set in between.

Scored: license documents (flag micro precision / recall / F1, thresholds exact, false restrictions on
the documents that restrict nothing, the not-English warning), single clauses (precision / recall /
F1, false flags on the hard negatives) and cards (spectrum, fully-open, flags, conflicts; the same
scorer as bench/eval_cards.py).

`--set DIR` scores another set of the same shape. `--misses` lists what it gets wrong, but only on a
development set: a set whose README says it is for scoring only is held out (totals only), until its
README says it was retired to development after its held-out scores were recorded.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "bench" / "heldout4"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}


def score_licenses(root: Path, misses: list[str]) -> dict:
    from openscope.license import analyze_text

    labels = [json.loads(line) for line in (root / "licenses" / "labels.jsonl").read_text("utf-8").splitlines()
              if line.strip()]
    tp = fp = fn = 0
    thresholds_ok = 0
    negatives = negatives_flagged = 0
    warn_expected = warn_given = 0
    for lab in labels:
        text = (root / lab["text_file"]).read_text(encoding="utf-8")
        analysis = analyze_text(text, lab["id"])
        got = {f.flag for f in analysis.flags}
        gold = set(lab["flags"])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
        found = {}
        for f in analysis.flags:
            found.update(f.thresholds)
        thresholds_ok += found == (lab.get("thresholds") or {})
        if got != gold or found != (lab.get("thresholds") or {}):
            misses.append(f"license {lab['id']}: extra {sorted(got - gold)} missing {sorted(gold - got)} "
                          f"thresholds {found} (gold {lab.get('thresholds') or {}})")
        if not gold - {"attribution"}:
            negatives += 1
            negatives_flagged += bool(got - {"attribution"})
        if lab.get("expect_warning"):
            warn_expected += 1
            warn_given += any(w.code == lab["expect_warning"] for w in analysis.warnings)
    return {"documents": len(labels), **_prf(tp, fp, fn), "thresholds_exact": thresholds_ok / len(labels),
            "negative_documents": negatives, "negatives_with_a_restriction": negatives_flagged,
            "warnings_expected": warn_expected, "warnings_given": warn_given}


def score_clauses(root: Path, misses: list[str]) -> dict:
    import yaml

    from openscope.license.restrictions import extract

    clauses = yaml.safe_load((root / "clauses.yaml").read_text(encoding="utf-8"))["clauses"]
    tp = fp = fn = 0
    negatives = negatives_flagged = 0
    for clause in clauses:
        got = {f.flag for f in extract(clause["text"], "clause").findings}
        gold = set(clause["flags"])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
        if got != gold:
            misses.append(f"clause: extra {sorted(got - gold)} missing {sorted(gold - got)}: {clause['text']}")
        if not gold:
            negatives += 1
            negatives_flagged += bool(got)
    return {"clauses": len(clauses), **_prf(tp, fp, fn), "negatives": negatives,
            "negatives_flagged": negatives_flagged}


def score_cards(root: Path) -> dict | None:
    from eval_cards import evaluate_cards

    if not (root / "cards" / "labels.jsonl").exists():
        return None
    result = evaluate_cards(root, as_sample=root.name)
    keep = ("n", "spectrum_accuracy", "fully_open_precision", "fully_open_recall", "fully_open_gold",
            "flag_precision", "flag_recall", "flag_f1", "threshold_accuracy", "conflict_precision",
            "conflict_recall", "conflict_gold", "false_conflicts", "osi_open_accuracy")
    ours = {k: result["ours"][k] for k in keep}
    naive = {k: result["naive"][k] for k in ("spectrum_accuracy", "flag_f1")}
    return {**ours, "errors": len(result["errors"]), "naive": naive}


def held_out(root: Path) -> bool:
    """A set is held out while its README says "for scoring only" and not that it was retired."""
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8").lower() if readme.exists() else ""
    return "for scoring only" in text and "retired to development" not in text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the totals as JSON to this file")
    parser.add_argument("--set", type=Path, default=HELDOUT, help="the set to score (default bench/heldout4)")
    parser.add_argument("--misses", action="store_true", help="list what is wrong (development sets only)")
    args = parser.parse_args(argv)
    root = args.set.resolve()
    if not (root / "licenses" / "labels.jsonl").exists():
        print(f"{root}: no licenses/labels.jsonl there", file=sys.stderr)
        return 2
    if args.misses and held_out(root):
        print(f"--misses: {root.name} is held out and scored in totals only ({root.name}/README.md)", file=sys.stderr)
        return 2
    misses: list[str] = []
    lic, cl, cards = score_licenses(root, misses), score_clauses(root, misses), score_cards(root)
    print(f"{root.name}: totals only\n")
    print(f"licenses  {lic['documents']} documents: flags P {lic['precision']:.2f}  R {lic['recall']:.2f}  "
          f"F1 {lic['f1']:.2f}; thresholds exact {lic['thresholds_exact']:.0%}")
    print(f"          documents restricting nothing: {lic['negatives_with_a_restriction']} of "
          f"{lic['negative_documents']} got a restriction flag")
    print(f"          language warnings: {lic['warnings_given']} of {lic['warnings_expected']} expected")
    print(f"clauses   {cl['clauses']}: P {cl['precision']:.2f}  R {cl['recall']:.2f}  F1 {cl['f1']:.2f}; "
          f"hard negatives flagged {cl['negatives_flagged']} of {cl['negatives']}")
    if cards is not None:
        print(f"cards     {cards['n']}: spectrum {cards['spectrum_accuracy']:.2f} (naive {cards['naive']['spectrum_accuracy']:.2f}); "
              f"fully-open P {cards['fully_open_precision']:.2f} R {cards['fully_open_recall']:.2f} "
              f"(of {cards['fully_open_gold']}); flags P {cards['flag_precision']:.2f} R {cards['flag_recall']:.2f} "
              f"F1 {cards['flag_f1']:.2f} (naive {cards['naive']['flag_f1']:.2f}); conflicts P "
              f"{cards['conflict_precision']:.2f} R {cards['conflict_recall']:.2f} (of {cards['conflict_gold']}); "
              f"errors {cards['errors']}")
    if args.misses:
        print("\n" + "\n".join(misses))
    if args.json:
        args.json.write_text(json.dumps({"licenses": lic, "clauses": cl, "cards": cards}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
