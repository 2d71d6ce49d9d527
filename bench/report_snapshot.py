#!/usr/bin/env python3
"""Write openscope's reports for a fixed set of inputs into a folder, or compare two such folders.

    python bench/report_snapshot.py write DIR [--corpus DIR]
    python bench/report_snapshot.py compare OLD_DIR NEW_DIR

A restructuring of the code must not change what users see. `write` runs the installed CLI (one
process per command) on: every corpus license text and edited text (`openscope license`), every
corpus card audited as a local card file, every registry model and the openness ground-truth ids
offline (`openscope audit`), the test fixtures' local model folders, and `scan` / `check` of the
sample repository in every format. `compare` prints a unified diff per file that differs (time
stamps and serial numbers of the CycloneDX BOM are masked) and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_REPO = ROOT / "tests" / "fixtures" / "sample_repo"
LOCAL_FOLDERS = ROOT / "tests" / "fixtures" / "hub" / "acme"
FORMATS = ("json", "table", "markdown", "sarif", "cyclonedx")


def default_corpus() -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus"))


def openscope(args: list[str], cwd: Path, out: Path) -> None:
    env = {**os.environ, "OPENSCOPE_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "COLUMNS": "120"}
    env.pop("HF_ENDPOINT", None)
    exe = Path(sys.executable).with_name("openscope")
    result = subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True)
    out.write_text(result.stdout + f"\n--- exit {result.returncode}\n--- stderr\n{result.stderr}", encoding="utf-8")


def write(folder: Path, corpus: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    licenses = sorted((corpus / "licenses" / "texts").glob("*.txt")) + sorted((corpus / "perturbed" / "texts").glob("*"))
    for fmt in ("json", "markdown", "sarif"):
        openscope(["license", *map(str, licenses), "--format", fmt], ROOT, folder / f"license.{fmt}")
    cards = sorted((corpus / "cards" / "texts").glob("*.md"))
    openscope(["audit", *map(str, cards), "--format", "json"], ROOT, folder / "cards.json")
    sys.path.insert(0, str(ROOT / "src"))
    registry = json.loads((ROOT / "src/openscope/models_registry/hub_models.json").read_text(encoding="utf-8"))
    ids = [m["id"] for m in registry["models"]]
    truth = corpus / "openness" / "ground_truth.jsonl"
    if truth.exists():
        ids += [json.loads(line)["id"] for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids += ["gpt-4o", "anthropic:claude-3-5-sonnet-20241022", "command-r", "mistral-large-latest", "deepseek-chat"]
    openscope(["audit", *dict.fromkeys(ids), "--format", "json"], ROOT, folder / "registry.json")
    folders = sorted(p for p in LOCAL_FOLDERS.iterdir() if p.is_dir())
    openscope(["audit", *map(str, folders), "--format", "json"], ROOT, folder / "local-folders.json")
    for fmt in FORMATS:
        openscope(["scan", ".", "--format", fmt], SAMPLE_REPO, folder / f"scan.{fmt}")
        openscope(["check", ".", "--format", fmt], SAMPLE_REPO, folder / f"check.{fmt}")
    openscope(["scan", str(SAMPLE_REPO.relative_to(ROOT)), "--format", "json"], ROOT, folder / "scan-from-root.json")
    openscope(["check", str(SAMPLE_REPO.relative_to(ROOT)), "--format", "sarif"], ROOT, folder / "check-from-root.sarif")


_MASKS = [
    (re.compile(r'"serialNumber": "urn:uuid:[0-9a-f-]+"'), '"serialNumber": "urn:uuid:*"'),
    (re.compile(r'"timestamp": "[^"]+"'), '"timestamp": "*"'),
]


def _masked(text: str) -> list[str]:
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text.splitlines(keepends=True)


def compare(old: Path, new: Path) -> int:
    changed = 0
    for path in sorted(old.iterdir()):
        other = new / path.name
        if not other.exists():
            print(f"missing in {new}: {path.name}")
            changed += 1
            continue
        a, b = _masked(path.read_text(encoding="utf-8")), _masked(other.read_text(encoding="utf-8"))
        if a != b:
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(a, b, str(path), str(other), n=1))
    print(f"{changed} file(s) differ" if changed else "all reports identical")
    return 1 if changed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("folder", type=Path)
    w.add_argument("--corpus", type=Path, default=default_corpus())
    c = sub.add_parser("compare")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "write":
        write(args.folder, args.corpus)
        return 0
    return compare(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
