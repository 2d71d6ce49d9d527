#!/usr/bin/env python3
"""Build openscope's facts and fingerprints of ScanCode's LicenseDB from the scancode-toolkit-mini wheel.

    python scripts/build_licensedb.py [--check]

Reads every licensedcode/data/licenses/*.LICENSE of the wheel (bench/licensedb.py finds it, or
downloads it once into ~/.cache/openscope/licensedb/) and writes:
- src/openscope/licenses/licensedb.json: ScanCode key -> name, SPDX id (spdx_license_key, else
  LicenseRef-scancode-<key>), category, is_exception, is_deprecated, language. Facts only.
- src/openscope/licenses/licensedb_fingerprints.json: the fingerprint of every non-empty text,
  keyed by ScanCode key (hashes and numbers only; scripts/build_fingerprints.py's code and format).
Both are deterministic, byte for byte. `--check` writes nothing and exits 1 when either file differs.
The LicenseDB is CC-BY-4.0 (ScanCode / nexB); no text of it is ever written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

import licensedb  # noqa: E402  (bench/licensedb.py: the one reader of the wheel)
from build_fingerprints import build  # noqa: E402

from openscope.catalog import LICENSEDB_FORMAT, LICENSEDB_PATH  # noqa: E402
from openscope.license.fingerprints import LICENSEDB_FINGERPRINTS_PATH, dump  # noqa: E402
from openscope.license.normalize import normalize  # noqa: E402

ORIGIN = "licensedb"


def facts(texts) -> dict:
    rows = {}
    for t in sorted(texts, key=lambda t: t.key):
        meta = t.meta
        row = {"name": str(meta.get("name") or meta.get("short_name") or t.key),
               "spdx": str(meta.get("spdx_license_key") or f"LicenseRef-scancode-{t.key}"),
               "category": meta.get("category")}
        for flag in ("is_exception", "is_deprecated"):
            if meta.get(flag):
                row[flag] = True
        if t.language != "en":
            row["language"] = t.language
        rows[t.key] = row
    return {"format": LICENSEDB_FORMAT, "source": f"{licensedb.REQUIREMENT} ({licensedb.MEMBER_PREFIX})",
            "license": "CC-BY-4.0, ScanCode LicenseDB by nexB Inc. and others", "licenses": rows}


def dump_facts(data: dict) -> str:
    """One line per license, so a diff shows which one changed."""
    head = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in data.items() if k != "licenses"]
    rows = [f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in data["licenses"].items()]
    return "{\n" + "\n".join(head) + '\n  "licenses": {\n' + ",\n".join(rows) + "\n  }\n}\n"


def normalized(texts) -> list:
    """(ScanCode key, normalised text) of every text with words in it."""
    out = []
    for t in texts:
        norm = normalize(t.text)
        if norm.tokens:
            out.append((t.key, norm))
    return out


def outputs(texts, normalised=None) -> dict[Path, str]:
    normalised = normalized(texts) if normalised is None else normalised
    fingerprints = build([(key, key, norm) for key, norm in normalised], origin=ORIGIN)
    return {LICENSEDB_PATH: dump_facts(facts(texts)), LICENSEDB_FINGERPRINTS_PATH: dump(fingerprints)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    ok, why = licensedb.available()
    if not ok:
        print(f"error: LicenseDB not available: {why}", file=sys.stderr)
        return 2
    texts = licensedb.load()
    stale = []
    for path, content in outputs(texts).items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(path)
            continue
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(content.encode()) / 1e6:.2f} MB)")
    if stale:
        print("stale: " + ", ".join(str(p.relative_to(ROOT)) for p in stale) + "; re-run scripts/build_licensedb.py",
              file=sys.stderr)
        return 1
    if args.check:
        print(f"{len(texts)} LicenseDB texts: the committed files are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
