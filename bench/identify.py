#!/usr/bin/env python3
"""License identification speed, in-process: one table.

    python bench/identify.py [--corpus DIR] [--rounds 5]

Rows: loading the fingerprints (first call, then cached), identifying corpus texts as given (the
exact matcher answers), the same texts edited (a rider appended and a number changed, so the fuzzy
matchers and the difference report run), and analyze_text (identification plus restriction
extraction) on the texts as given. Target: identification ~1-5 ms a text; >= 50 texts/s overall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

RIDER = "\n\nAlso, the licensee must not deploy the model in any product sold to third parties.\n"


def per_text_ms(func, texts: list[str], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            func(text)
        timings.append((time.perf_counter() - start) / len(texts) * 1000)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path,
                        default=Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus")))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = [p.read_text(encoding="utf-8") for p in sorted((args.corpus / "licenses" / "texts").glob("*.txt"))]
    if not texts:
        print(f"no license texts under {args.corpus}/licenses/texts", file=sys.stderr)
        return 2

    os.environ["OPENSCOPE_NO_KNOWN_READINGS"] = "1"  # time the reader, not the stored readings of these texts
    from openscope.license import analyze_text
    from openscope.license.identify import identify_text, load_fingerprints, match_settings

    start = time.perf_counter()
    load_fingerprints()
    match_settings()
    load_ms = (time.perf_counter() - start) * 1000
    edited = [t.replace("1", "7", 1) + RIDER for t in texts]
    identify_text(texts[0])  # warm the catalog cache used for difference messages

    rows = [("load fingerprints (first call)", load_ms, None)]
    for label, func, inputs in (
        ("identify: texts as given (exact)", identify_text, texts),
        ("identify: edited texts (fuzzy + diff)", identify_text, edited),
        ("analyze_text: identify + extract", lambda t: analyze_text(t, "LICENSE"), texts),
    ):
        ms = per_text_ms(func, inputs, args.rounds)
        rows.append((label, ms, 1000 / ms))

    print(f"{len(texts)} corpus license texts, median of {args.rounds} rounds, in-process")
    print(f"{'what':42} {'ms/text':>9} {'texts/s':>9}")
    for label, ms, rate in rows:
        print(f"{label:42} {ms:9.2f} {'' if rate is None else f'{rate:9.0f}':>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
