#!/usr/bin/env python3
"""Spectrum, flags and license-conflict accuracy on the gold-labelled model cards, offline.

    python bench/eval_cards.py [--corpus DIR] [--as-sample NAME] [--verbose] [--json FILE]

Every card in <corpus>/cards/texts is audited as a local card file (no network; bases come from the
registry snapshot), under the id its label gives. Printed beside openscope: a naive baseline that
reads only the declared license tag. Scores are printed per sample (bench/samples.yaml): the first
sample is what the readers were developed on (in-sample); a later sample's first run is recorded in
docs/spectrum.md before anyone tunes on it. `--as-sample NAME` scores every card of another corpus
as one sample (a held-out set). The card sentence classifier is trained only on sentences we wrote
(cardrules/sentences.yaml), never on corpus cards; the bench prints its leave-one-sentence-out
accuracy and each sample's scores with the classifier switched off, so its share is visible.
Then the registry models of <corpus>/openness/ground_truth.jsonl are audited by id and compared with
the spectrum derived from MOT / EU OSAI ratings.
Targets (issue 11, on cards nobody tuned on): spectrum accuracy >= 0.95; fully-open recall >= 0.9 at
precision >= 0.9; license-conflict recall >= 0.9 with no false conflict; effective-flag F1 >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

TARGETS = {"spectrum_accuracy": 0.95, "fully_open_recall": 0.9, "fully_open_precision": 0.9,
           "conflict_recall": 0.9, "flag_f1": 0.95}


def default_corpus() -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Prediction:
    id: str
    spectrum: str
    flags: set[str]
    thresholds: dict
    conflict: bool
    osi_open: bool | None
    notes: list[str] = field(default_factory=list)


def card_path(corpus: Path, row: dict) -> Path:
    """A label's card file: `text_file` is relative to cards/ in the corpus, to the set's root in bench/heldout."""
    path = corpus / "cards" / row["text_file"]
    return path if path.exists() else corpus / row["text_file"]


def audit_card(path: Path, model_id: str, assessor, resolver):
    """Audit one card file as a local model, reported under the id its label gives."""
    from openscope.refs import parse_ref

    facts = resolver.fetch(parse_ref(str(path)))
    facts.id = model_id
    return assessor.assess(facts)


def _prediction(model_id: str, report) -> Prediction:
    thresholds: dict = {}
    for f in report.flags:
        thresholds.update(f.thresholds)
    return Prediction(
        id=model_id, spectrum=report.spectrum, flags={f.flag for f in report.flags}, thresholds=thresholds,
        conflict=any(w.code == "license-conflict" for w in report.warnings), osi_open=report.osi_open,
        notes=[f"{w.code}: {w.message}" for w in report.warnings] + report.reasons,
    )


def naive_prediction(label_row: dict, declared: str | None, catalog) -> Prediction:
    """What a tool that reads only the declared license tag would say."""
    from openscope.assess.licensing import catalog_flags

    entry = catalog.lookup(declared) if declared else None
    if entry is None:
        spectrum, flags, osi = ("unknown" if not declared else "open-weights"), set(), None
    else:
        osi = bool(entry.osi_open)
        spectrum = "fully-open" if osi else "open-weights"
        flags = {f.flag for f in catalog_flags(entry, catalog)}
    thresholds: dict = {}
    if entry is not None:
        for f in catalog_flags(entry, catalog):
            thresholds.update(f.thresholds)
    return Prediction(label_row["id"], spectrum, flags, thresholds, False, osi)


def _audit_all(labels: list[dict], corpus: Path, catalog) -> tuple[list[Prediction], list[str]]:
    from openscope.api import fetch_through, make_resolver
    from openscope.assess.model import Assessor

    resolver = make_resolver(offline=True)
    assessor = Assessor(catalog, fetch_through(resolver))  # one run: each base is assessed once
    ours, errors = [], []
    for row in labels:
        path = card_path(corpus, row)
        try:
            report = audit_card(path, row["id"], assessor, resolver)
        except Exception as exc:  # the harness reports a crash as a miss, and keeps going
            errors.append(f"{row['id']}: {type(exc).__name__}: {exc}")
            ours.append(Prediction(row["id"], "crash", set(), {}, False, None))
        else:
            ours.append(_prediction(row["id"], report))
    return ours, errors


def _without_classifier(labels: list[dict], corpus: Path, catalog) -> list[Prediction]:
    """The same audit with the card sentence classifier switched off (rules and metadata only)."""
    import openscope.card.components as components

    saved = components.sentence_classifier
    components.sentence_classifier = lambda: None
    try:
        return _audit_all(labels, corpus, catalog)[0]
    finally:
        components.sentence_classifier = saved


def _sample_rows(labels: list[dict], as_sample: str | None) -> dict[str, list[int]]:
    from samples import sample_names, sample_of

    if as_sample:
        return {as_sample: list(range(len(labels)))}
    rows: dict[str, list[int]] = {}
    for name in sample_names("cards"):
        picked = [i for i, row in enumerate(labels) if sample_of("cards", row["id"]) == name]
        if picked:
            rows[name] = picked
    return rows


def evaluate_cards(corpus: Path, as_sample: str | None = None, ablation: bool = False) -> dict:
    """Score openscope and the naive baseline on every labelled card; returns the numbers and misses."""
    from openscope.card.parse import parse_card
    from openscope.catalog import load_catalog
    from openscope.assess.licensing import declared_licenses

    catalog = load_catalog()
    labels = read_jsonl(corpus / "cards" / "labels.jsonl")
    ours, errors = _audit_all(labels, corpus, catalog)
    naive = []
    for row in labels:
        data = parse_card((card_path(corpus, row)).read_text(encoding="utf-8")).data
        declared = (declared_licenses(data) or [None])[0]
        naive.append(naive_prediction(row, declared, catalog))
    no_clf = _without_classifier(labels, corpus, catalog) if ablation else None
    samples = {}
    for name, rows in _sample_rows(labels, as_sample).items():
        gold = [labels[i] for i in rows]
        samples[name] = {"ours": score(gold, [ours[i] for i in rows]),
                         "naive": score(gold, [naive[i] for i in rows])}
        if no_clf is not None:
            samples[name]["no_classifier"] = score(gold, [no_clf[i] for i in rows])
    return {"labels": labels, "ours": score(labels, ours), "naive": score(labels, naive), "errors": errors,
            "predictions": ours, "samples": samples}


def classifier_leave_one_out() -> dict | None:
    """Leave-one-sentence-out accuracy of the card classifier on the sentences it is trained on.

    The classifier never sees corpus cards, so every card score above is unseen for it; this says how
    well it generalises across our own paraphrases."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from train_card_classifier import leave_one_out
    except ImportError:
        return None
    return leave_one_out()


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(labels: list[dict], preds: list[Prediction]) -> dict:
    n = len(labels)
    spectrum_ok = sum(p.spectrum == g["spectrum"] for g, p in zip(labels, preds))
    tp = fp = fn = 0
    th_ok = th_n = 0
    flag_misses = []
    for g, p in zip(labels, preds):
        if g.get("effective_flags") is None:
            continue
        gold = set(g["effective_flags"])
        tp += len(gold & p.flags)
        fp += len(p.flags - gold)
        fn += len(gold - p.flags)
        if gold != p.flags:
            flag_misses.append(f"{g['id']}: extra {sorted(p.flags - gold)} missing {sorted(gold - p.flags)}")
        for k, v in (g.get("effective_thresholds") or {}).items():
            th_n += 1
            th_ok += p.thresholds.get(k) == v
    fp_, fr_, ff_ = _f1(tp, fp, fn)
    ctp = sum(g["license_conflict"] and p.conflict for g, p in zip(labels, preds))
    cfp = sum((not g["license_conflict"]) and p.conflict for g, p in zip(labels, preds))
    cfn = sum(g["license_conflict"] and not p.conflict for g, p in zip(labels, preds))
    cp, cr, _ = _f1(ctp, cfp, cfn)
    osi_rows = [(g, p) for g, p in zip(labels, preds) if g.get("osi_open_effective") is not None]
    otp = sum(g["spectrum"] == "fully-open" and p.spectrum == "fully-open" for g, p in zip(labels, preds))
    ofp = sum(g["spectrum"] != "fully-open" and p.spectrum == "fully-open" for g, p in zip(labels, preds))
    ofn = sum(g["spectrum"] == "fully-open" and p.spectrum != "fully-open" for g, p in zip(labels, preds))
    op, orr, _ = _f1(otp, ofp, ofn)
    return {
        "n": n,
        "spectrum_accuracy": spectrum_ok / n if n else 0.0,
        "fully_open_precision": op, "fully_open_recall": orr, "fully_open_gold": otp + ofn,
        "conflict_gold": ctp + cfn, "flag_cards": sum(g.get("effective_flags") is not None for g in labels),
        "flag_precision": fp_, "flag_recall": fr_, "flag_f1": ff_,
        "threshold_accuracy": th_ok / th_n if th_n else 1.0,
        "conflict_precision": cp, "conflict_recall": cr, "false_conflicts": cfp,
        "osi_open_accuracy": (sum(p.osi_open == g["osi_open_effective"] for g, p in osi_rows) / len(osi_rows)
                              if osi_rows else 0.0),
        "spectrum_misses": [f"{g['id']}: gold {g['spectrum']}, got {p.spectrum}"
                            for g, p in zip(labels, preds) if p.spectrum != g["spectrum"]],
        "flag_misses": flag_misses,
        "conflict_misses": [f"{g['id']}: gold {g['license_conflict']}, got {p.conflict}"
                            for g, p in zip(labels, preds) if p.conflict != g["license_conflict"]],
    }


def _registry_ref(model_id: str, registry):
    """Ground-truth ids of API models are written org/name; try the provider form when the Hub id is unknown."""
    from openscope.refs import parse_ref

    ref = parse_ref(model_id, registry)
    if ref.kind == "hub" and registry.hub(model_id) is None and "/" in model_id:
        org, name = model_id.split("/", 1)
        if registry.is_provider(org):
            try:
                return parse_ref(f"{org}:{name}", registry)
            except Exception:
                return ref
    return ref


def evaluate_ground_truth(corpus: Path) -> dict:
    from openscope.catalog import load_catalog
    from openscope.errors import ModelError
    from openscope.assess.licensing import declared_licenses
    from openscope.api import fetch_through, make_resolver
    from openscope.assess.model import Assessor
    from openscope.registry import load_registry

    path = corpus / "openness" / "ground_truth.jsonl"
    if not path.exists():
        return {}
    catalog, registry = load_catalog(), load_registry()
    resolver = make_resolver(offline=True)
    assessor = Assessor(catalog, fetch_through(resolver))
    rows = read_jsonl(path)
    ours_ok = naive_ok = 0
    by_source: dict[str, list[int]] = {}
    confusion: dict[tuple[str, str], int] = {}
    misses = []
    for row in rows:
        try:
            facts = resolver.fetch(_registry_ref(row["id"], registry))
            got = assessor.assess(facts).spectrum
            declared = (declared_licenses(facts.card_data) or [None])[0]
        except ModelError:
            got, declared = "unknown", None
        naive = naive_prediction(row, declared, catalog).spectrum
        ok = got == row["spectrum"]
        ours_ok += ok
        naive_ok += naive == row["spectrum"]
        confusion[(row["spectrum"], got)] = confusion.get((row["spectrum"], got), 0) + 1
        for vote in {v.split(":")[0] for v in row.get("framework_votes", [])}:
            by_source.setdefault(vote, [0, 0])
            by_source[vote][0] += ok
            by_source[vote][1] += 1
        if not ok:
            misses.append(f"{row['id']}: gold {row['spectrum']}, got {got}")
    n = len(rows)
    return {"n": n, "accuracy": ours_ok / n, "naive_accuracy": naive_ok / n, "by_source": by_source,
            "confusion": confusion, "misses": misses}


METRICS = [("spectrum accuracy", "spectrum_accuracy"), ("fully-open precision", "fully_open_precision"),
           ("fully-open recall", "fully_open_recall"), ("flag precision", "flag_precision"),
           ("flag recall", "flag_recall"), ("flag F1", "flag_f1"), ("threshold accuracy", "threshold_accuracy"),
           ("conflict precision", "conflict_precision"), ("conflict recall", "conflict_recall"),
           ("false conflicts", "false_conflicts"), ("osi_open accuracy", "osi_open_accuracy")]


def _cell(key: str, value) -> str:
    return f"{value:>9d}" if key == "false_conflicts" else f"{value:>9.3f}"


def print_report(cards: dict, truth: dict, verbose: bool, loo: dict | None = None) -> None:
    samples = cards["samples"]
    names = list(samples)
    print(f"Model cards: {cards['ours']['n']} labelled cards, audited offline as local card files")
    print("Samples (bench/samples.yaml): " + ", ".join(
        f"{name} {samples[name]['ours']['n']} cards ({samples[name]['ours']['fully_open_gold']} fully-open, "
        f"{samples[name]['ours']['conflict_gold']} conflicts, {samples[name]['ours']['flag_cards']} with gold flags)"
        for name in names))
    print("The first sample is in-sample (the readers were developed on it); see docs/spectrum.md for which "
          "runs of later samples were untuned.\n")
    has_ablation = any("no_classifier" in sm for sm in samples.values())
    header = f"{'metric':<24}" + "".join(f"{name[:9]:>10}{'naive':>8}" + (f"{'no clf':>8}" if has_ablation else "")
                                         for name in names) + f"{'target':>9}"
    print(header)
    for title, key in METRICS:
        line = f"{title:<24}"
        for name in names:
            sm = samples[name]
            line += f"{_cell(key, sm['ours'][key]):>10}{_cell(key, sm['naive'][key]):>8}"
            if has_ablation:
                line += f"{_cell(key, sm['no_classifier'][key]):>8}" if "no_classifier" in sm else f"{'':>8}"
        target = TARGETS.get(key)
        line += f"{target:>9.2f}" if target else (f"{0:>9d}" if key == "false_conflicts" else "")
        print(line)
    if loo:
        print(f"\ncard sentence classifier, leave-one-sentence-out on its {loo['n']} own sentences: "
              f"accuracy {loo['accuracy']:.3f}; component statements: precision {loo['precision']:.3f}, "
              f"recall {loo['recall']:.3f} (at threshold {loo['threshold']})")
    for name in names:
        ours = samples[name]["ours"]
        for title, key in (("spectrum misses", "spectrum_misses"), ("flag misses", "flag_misses"),
                           ("conflict misses", "conflict_misses")):
            if ours[key]:
                print(f"\n{name}: {title}:")
                for line in ours[key]:
                    print(f"  {line}")
    for line in cards["errors"]:
        print(f"  CRASH {line}")
    if verbose:
        for p in cards["predictions"]:
            print(f"\n{p.id}: {p.spectrum} flags={sorted(p.flags)} conflict={p.conflict} osi={p.osi_open}")
            for note in p.notes:
                print(f"    {note}")
    if truth:
        print(f"\nRegistry models rated by MOT / EU OSAI: {truth['n']} (audited offline by id)")
        print(f"{'spectrum agreement':<26}{truth['accuracy']:>11.3f}{truth['naive_accuracy']:>9.3f}")
        for source, (ok, total) in sorted(truth["by_source"].items()):
            print(f"  {source:<24}{ok / total:>11.3f}   ({total} models)")
        print("  gold -> got: " + ", ".join(f"{g}->{p} {c}" for (g, p), c in sorted(truth["confusion"].items())))
        if verbose:
            for line in truth["misses"]:
                print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Spectrum / flags / conflict accuracy on the labelled cards.")
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--as-sample", metavar="NAME", help="score every card as one sample (another corpus)")
    parser.add_argument("--verbose", action="store_true", help="print every prediction with its reasons")
    parser.add_argument("--no-ground-truth", action="store_true", help="skip the MOT / OSAI registry comparison")
    parser.add_argument("--no-ablation", action="store_true", help="skip the run without the sentence classifier")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    if not (args.corpus / "cards" / "labels.jsonl").exists():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    cards = evaluate_cards(args.corpus, args.as_sample, ablation=not args.no_ablation)
    loo = classifier_leave_one_out()
    truth = {} if args.no_ground_truth else evaluate_ground_truth(args.corpus)
    print_report(cards, truth, args.verbose, loo)
    if args.json:
        out = {"cards": {k: v for k, v in cards.items() if k in ("ours", "naive", "errors", "samples")},
               "classifier_leave_one_out": loo,
               "ground_truth": {k: v for k, v in truth.items() if k != "confusion"}}
        args.json.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
