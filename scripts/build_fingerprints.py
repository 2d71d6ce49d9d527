#!/usr/bin/env python3
"""Build src/openscope/licenses/fingerprints.json from license texts available at build time.

    python scripts/build_fingerprints.py [--corpus DIR] [--texts DIR] [--output FILE]

--corpus DIR  the shared corpus (default: $OPENSCOPE_CORPUS or ../shared/corpus): every
              licenses/labels.jsonl entry with a text_file, keyed by the catalog entry its id
              (or ScanCode key) resolves to, else by its ScanCode key, else by the corpus id.
--texts DIR   more texts, one file per license named <catalog-key>.txt.

The output holds hashes and numbers only, never text: the SHA-256 of the normalised text, a
deterministic 1-in-N sample of word-shingle hashes, sentence hashes, and numbers with a hash of the
words around them (format: src/openscope/license/fingerprints.py). It is deterministic: the same
texts and settings give the same file, byte for byte. ScanCode's LicenseDB has its own file,
built by scripts/build_licensedb.py with the same code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openscope.catalog import load_catalog  # noqa: E402
from openscope.license.fingerprints import (  # noqa: E402
    FINGERPRINTS_PATH,
    dump,
    fingerprint_params,
    pack,
    stored_text,
    text_features,
)
from openscope.license.normalize import NormalizedText, normalize  # noqa: E402


def default_corpus() -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus"))


def catalog_key(*names: str | None) -> str | None:
    catalog = load_catalog()
    for name in names:
        entry = catalog.lookup(name)
        if entry is not None:
            return entry.key
    return None


def corpus_texts(corpus: Path) -> list[tuple[str, str, str]]:
    """(source id, catalog key, text) for every license text of the corpus."""
    labels_path = corpus / "licenses" / "labels.jsonl"
    if not labels_path.exists():
        raise SystemExit(f"error: {labels_path} not found (give --corpus DIR)")
    found = []
    for line_no, line in enumerate(labels_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label = json.loads(line)
        if not label.get("text_file"):
            continue
        path = corpus / "licenses" / label["text_file"]
        if not path.exists():
            raise SystemExit(f"error: {labels_path}:{line_no}: text file {path} not found")
        scancode_key = label.get("scancode_key")
        # Named as the catalog names it, else as ScanCode does (as LicenseDB texts are), else by corpus id.
        key = catalog_key(label["id"], scancode_key) or (load_catalog().scancode_id(scancode_key)
                                                          if scancode_key else label["id"])
        found.append((label["id"], key, path.read_text(encoding="utf-8")))
    return found


def extra_texts(directory: Path) -> list[tuple[str, str, str]]:
    if not directory.is_dir():
        raise SystemExit(f"error: --texts {directory} is not a directory")
    return [
        (path.stem, catalog_key(path.stem) or path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.txt"))
    ]


def build(texts: list[tuple[str, str, str]], origin: str = "corpus") -> dict:
    """The fingerprint file's content for (source id, key, text) triples."""
    params = fingerprint_params()
    stored = []
    for source, key, text in texts:
        norm = text if isinstance(text, NormalizedText) else normalize(text)
        if not norm.tokens:
            raise SystemExit(f"error: license text {source!r} is empty after normalisation")
        stored.append(stored_text(key, source, text_features(norm, params), params))
    return pack(stored, params, origin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="the shared corpus folder")
    parser.add_argument("--texts", type=Path, default=None, help="more texts named <catalog-key>.txt")
    parser.add_argument("--output", type=Path, default=FINGERPRINTS_PATH)
    args = parser.parse_args(argv)
    texts = corpus_texts(args.corpus or default_corpus())
    if args.texts:
        texts += extra_texts(args.texts)
    data = build(texts)
    args.output.write_text(dump(data), encoding="utf-8")
    size = args.output.stat().st_size
    keys = set(data["columns"]["key"])
    print(f"wrote {args.output} ({data['texts']} texts, {len(keys)} keys, {size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
