#!/usr/bin/env python3
"""License reading with whole license families held out of the classifier's training.

    python bench/eval_heldout_families.py [--folds N] [--json FILE]

The stored classifier was trained on the corpus's AI licenses and on the LicenseDB, so scoring it on
them is in-sample. Here the training examples are split by license family (scripts/train_classifier.py
folds_of: all versions and variants of a license are one family; a sentence shared with a family still
in training stays in training, as boilerplate would for any new license), a model is trained without
each fold, and the whole reader (rules + that model, at the stored operating points) reads the texts of
the held-out families. Printed: the corpus licenses' flag precision / recall / F1 and thresholds, the
LicenseDB negatives' false-restriction rate, the non-commercial recall, all held-out.
The rules were developed on these texts, so this holds out the learned part only; bench/heldout/ holds
out both.
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
sys.path.insert(0, str(ROOT / "scripts"))


def main(argv=None) -> int:
    import classifier_data
    import licensedb
    import train_classifier as tc

    from openscope.license.classifier import load_model, model_from_dict
    from openscope.license.restrictions import extract
    from openscope.vocabulary import flag_names

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=tc.FOLDS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    ok, why = licensedb.available()
    if not ok:
        print(f"LicenseDB not available: {why}", file=sys.stderr)
        return 2
    corpus = classifier_data.default_corpus()
    started = time.perf_counter()
    examples, _ = classifier_data.build(corpus)
    texts = classifier_data.labelled_texts(corpus)
    stored = load_model()
    flags = list(flag_names())
    gold = {}
    for line in (corpus / "licenses" / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            gold[f"corpus:licenses/{row['text_file']}"] = row
    nc = {t.key for t in licensedb.noncommercial()}
    fold_sets = tc.folds_of(examples, args.folds)

    def fold_of_text(source: str) -> int:
        import hashlib

        return int(hashlib.sha256(classifier_data.family(source).encode()).hexdigest(), 16) % args.folds

    corpus_rows, negative_rows, nc_rows = [], [], []
    for k in range(args.folds):
        train = [examples[i] for i, fs in enumerate(fold_sets) if any(f != k for f in fs)]
        vocab = tc.select_vocabulary(train, flags)
        vectorizers, _, models = tc.fit(train, flags, vocab)
        model = model_from_dict(tc.model_dict(flags, vectorizers, models, stored.thresholds, stored.veto))
        for item in texts:
            if fold_of_text(item.source) != k:
                continue
            got = {f.flag for f in extract(item.text, item.source, model=model).findings}
            if item.source in gold:
                row = gold[item.source]
                thr = {}
                for f in extract(item.text, item.source, model=model).findings:
                    thr.update(f.thresholds)
                corpus_rows.append({"id": row["id"], "gold": set(row["flags"]), "got": got,
                                    "thr_ok": thr == (row.get("thresholds") or {})})
            elif item.negatives_only:
                negative_rows.append({"key": item.source, "false": sorted(got - {"attribution"})})
            elif item.source.split(":", 1)[1] in nc:
                nc_rows.append({"key": item.source, "hit": "non-commercial" in got})
        print(f"fold {k + 1}/{args.folds} done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    tp = sum(len(r["gold"] & r["got"]) for r in corpus_rows)
    fp = sum(len(r["got"] - r["gold"]) for r in corpus_rows)
    fn = sum(len(r["gold"] - r["got"]) for r in corpus_rows)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    neg_rate = sum(bool(x["false"]) for x in negative_rows) / max(1, len(negative_rows))
    result = {
        "folds": args.folds, "corpus_texts": len(corpus_rows), "precision": p, "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "thresholds_exact": sum(x["thr_ok"] for x in corpus_rows) / max(1, len(corpus_rows)),
        "negatives": len(negative_rows), "negative_rate": neg_rate,
        "false_flags": Counter(f for x in negative_rows for f in x["false"]),
        "noncommercial": len(nc_rows), "noncommercial_recall": sum(x["hit"] for x in nc_rows) / max(1, len(nc_rows)),
        "seconds": time.perf_counter() - started,
        "corpus_misses": [f"{x['id']}: extra {sorted(x['got'] - x['gold'])} missing {sorted(x['gold'] - x['got'])}"
                          for x in corpus_rows if x["got"] != x["gold"]],
    }
    print(f"License reading with the classifier's license families held out ({args.folds} folds)\n")
    print(f"  corpus licenses ({result['corpus_texts']}):  P {p:.3f}  R {r:.3f}  F1 {result['f1']:.3f}   "
          f"thresholds exact {result['thresholds_exact']:.0%}")
    print(f"  LicenseDB negatives ({result['negatives']}): {neg_rate:.1%} with a false restriction   "
          + ", ".join(f"{f} {n}" for f, n in result["false_flags"].most_common()))
    print(f"  non-commercial licenses ({result['noncommercial']}): recall {result['noncommercial_recall']:.2f}")
    for line in result["corpus_misses"]:
        print(f"    {line}")
    print(f"\n{result['seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=dict) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
