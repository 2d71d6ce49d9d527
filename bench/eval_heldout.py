#!/usr/bin/env python3
"""Score openscope once on the held-out set (bench/heldout), printing aggregates only.

    python bench/eval_heldout.py [--json FILE]

bench/heldout was written by someone who never saw the rules, the classifier or the paraphrases, and
is kept out of every tuning loop (its README). This script reads it the way the other benches read the
corpus and prints only totals: no text, no per-document miss list, so running it does not show what
to tune. Its first run is recorded in the README ("Measured quality"); a later run that scores better
after rule work is evidence of generalisation only if nobody looked at the set in between.

Scored: license documents (flag micro precision / recall / F1, thresholds exact, false restrictions on
the documents that restrict nothing, the not-English warning), single clauses (precision / recall /
F1, false flags on the hard negatives) and cards (spectrum, fully-open, flags, conflicts; the same
scorer as bench/eval_cards.py).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "bench" / "heldout"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}


def score_licenses() -> dict:
    from openscope.license import analyze_text

    labels = [json.loads(line) for line in (HELDOUT / "licenses" / "labels.jsonl").read_text("utf-8").splitlines()
              if line.strip()]
    tp = fp = fn = 0
    thresholds_ok = 0
    negatives = negatives_flagged = 0
    warn_expected = warn_given = 0
    for lab in labels:
        text = (HELDOUT / lab["text_file"]).read_text(encoding="utf-8")
        analysis = analyze_text(text, lab["id"])
        got = {f.flag for f in analysis.flags}
        gold = set(lab["flags"])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
        found = {}
        for f in analysis.flags:
            found.update(f.thresholds)
        thresholds_ok += found == (lab.get("thresholds") or {})
        if not gold - {"attribution"}:
            negatives += 1
            negatives_flagged += bool(got - {"attribution"})
        if lab.get("expect_warning"):
            warn_expected += 1
            warn_given += any(w.code == lab["expect_warning"] for w in analysis.warnings)
    return {"documents": len(labels), **_prf(tp, fp, fn), "thresholds_exact": thresholds_ok / len(labels),
            "negative_documents": negatives, "negatives_with_a_restriction": negatives_flagged,
            "warnings_expected": warn_expected, "warnings_given": warn_given}


def score_clauses() -> dict:
    import yaml

    from openscope.license.restrictions import extract

    clauses = yaml.safe_load((HELDOUT / "clauses.yaml").read_text(encoding="utf-8"))["clauses"]
    tp = fp = fn = 0
    negatives = negatives_flagged = 0
    for clause in clauses:
        got = {f.flag for f in extract(clause["text"], "clause").findings}
        gold = set(clause["flags"])
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
        if not gold:
            negatives += 1
            negatives_flagged += bool(got)
    return {"clauses": len(clauses), **_prf(tp, fp, fn), "negatives": negatives,
            "negatives_flagged": negatives_flagged}


def score_cards() -> dict:
    from eval_cards import evaluate_cards

    result = evaluate_cards(HELDOUT, as_sample="heldout")
    keep = ("n", "spectrum_accuracy", "fully_open_precision", "fully_open_recall", "fully_open_gold",
            "flag_precision", "flag_recall", "flag_f1", "threshold_accuracy", "conflict_precision",
            "conflict_recall", "conflict_gold", "false_conflicts", "osi_open_accuracy")
    ours = {k: result["ours"][k] for k in keep}
    naive = {k: result["naive"][k] for k in ("spectrum_accuracy", "flag_f1")}
    return {**ours, "errors": len(result["errors"]), "naive": naive}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the totals as JSON to this file")
    args = parser.parse_args(argv)
    if not (HELDOUT / "licenses" / "labels.jsonl").exists():
        print(f"{HELDOUT}: the held-out set is missing", file=sys.stderr)
        return 2
    lic, cl, cards = score_licenses(), score_clauses(), score_cards()
    print("Held-out set (bench/heldout): totals only\n")
    print(f"licenses  {lic['documents']} documents: flags P {lic['precision']:.2f}  R {lic['recall']:.2f}  "
          f"F1 {lic['f1']:.2f}; thresholds exact {lic['thresholds_exact']:.0%}")
    print(f"          documents restricting nothing: {lic['negatives_with_a_restriction']} of "
          f"{lic['negative_documents']} got a restriction flag")
    print(f"          language warnings: {lic['warnings_given']} of {lic['warnings_expected']} expected")
    print(f"clauses   {cl['clauses']}: P {cl['precision']:.2f}  R {cl['recall']:.2f}  F1 {cl['f1']:.2f}; "
          f"hard negatives flagged {cl['negatives_flagged']} of {cl['negatives']}")
    print(f"cards     {cards['n']}: spectrum {cards['spectrum_accuracy']:.2f} (naive {cards['naive']['spectrum_accuracy']:.2f}); "
          f"fully-open P {cards['fully_open_precision']:.2f} R {cards['fully_open_recall']:.2f} "
          f"(of {cards['fully_open_gold']}); flags P {cards['flag_precision']:.2f} R {cards['flag_recall']:.2f} "
          f"F1 {cards['flag_f1']:.2f} (naive {cards['naive']['flag_f1']:.2f}); conflicts P "
          f"{cards['conflict_precision']:.2f} R {cards['conflict_recall']:.2f} (of {cards['conflict_gold']}); "
          f"errors {cards['errors']}")
    if args.json:
        args.json.write_text(json.dumps({"licenses": lic, "clauses": cl, "cards": cards}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
