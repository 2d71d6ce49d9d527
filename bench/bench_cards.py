#!/usr/bin/env python3
"""Card folders: `openscope audit --offline` of N local model folders, each holding only a README.md.

    python bench/bench_cards.py [--folders 10000] [--corpus DIR] [--keep DIR]

The cards are the corpus model cards (read at run time, never copied into the project), cycled, each
made distinct by a line of its own (as a family of fine-tunes is), so no whole-card memo can answer
and a repeated paragraph is shared as a templated card's are. One whole process, cold
(OPENSCOPE_NO_CACHE=1); prints wall and CPU seconds, CPU-ms per folder and the child's peak RSS.
Target (issue 17): 10,000 card folders < 15 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_folders(root: Path, cards: list[Path], n: int) -> Path:
    refs = []
    for i in range(n):
        folder = root / f"model-{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = cards[i % len(cards)].read_text(encoding="utf-8")
        (folder / "README.md").write_text(f"{body}\n\nTraining run {i} of this release.\n", encoding="utf-8")
        refs.append(str(folder))
    refs_file = root / "refs.txt"
    refs_file.write_text("\n".join(refs) + "\n", encoding="utf-8")
    return refs_file


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folders", type=int, default=10_000)
    ap.add_argument("--corpus", type=Path,
                    default=Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus")))
    ap.add_argument("--keep", type=Path, help="build the folders here and keep them")
    args = ap.parse_args()
    cards = sorted((args.corpus / "cards" / "texts").glob("*.md"))
    if not cards:
        print(f"no model cards under {args.corpus}/cards/texts", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        refs_file = make_folders(root, cards, args.folders)
        exe = Path(sys.executable).with_name("openscope")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "openscope"]
        env = {**os.environ, "OPENSCOPE_NO_CACHE": "1"}
        start = time.perf_counter()
        done = subprocess.run([*cmd, "audit", "--offline", "-f", "json", "-r", str(refs_file)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the only child: its own peak
    cpu = usage.ru_utime + usage.ru_stime
    print(f"{args.folders} card folders ({len(cards)} corpus cards, each made distinct): wall {wall:.1f} s, "
          f"CPU {cpu:.1f} s ({cpu * 1000 / args.folders:.2f} ms a folder), peak RSS {usage.ru_maxrss // 1024} MB, "
          f"exit {done.returncode}; target < 15 s")
    if done.returncode not in (0, 3):
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
