#!/usr/bin/env python3
"""Build src/openscope/licenses/fingerprints.json from license texts available at build time.

    python scripts/build_fingerprints.py [--corpus DIR] [--texts DIR] [--output FILE]

--corpus DIR  the shared corpus (default: $OPENSCOPE_CORPUS or ../shared/corpus): every
              licenses/labels.jsonl entry with a text_file, keyed by the catalog entry its id
              (or ScanCode key) resolves to, else by the corpus id.
--texts DIR   more texts, one file per license named <catalog-key>.txt.

The output holds hashes and numbers only, never text: the SHA-256 of the normalised text, a
deterministic 1-in-N sample of word-shingle hashes, sentence hashes, numbers with a hash of the
words around them, and the shingles that tell a license apart from its close siblings.
The output is deterministic: the same texts and settings give the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openscope.license.identify import (  # noqa: E402
    FINGERPRINTS_PATH,
    FORMAT,
    FingerprintParams,
    sha256_text,
    text_features,
)
from openscope.license.normalize import SETTINGS_PATH, normalize  # noqa: E402
from openscope.catalog import load_catalog  # noqa: E402
from openscope.data import load_yaml  # noqa: E402


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
        key = catalog_key(label["id"], label.get("scancode_key")) or label["id"]
        found.append((label["id"], key, path.read_text(encoding="utf-8")))
    return found


def extra_texts(directory: Path) -> list[tuple[str, str, str]]:
    if not directory.is_dir():
        raise SystemExit(f"error: --texts {directory} is not a directory")
    return [
        (path.stem, catalog_key(path.stem) or path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.txt"))
    ]


def settings_digest() -> str:
    raw = load_yaml(SETTINGS_PATH)
    wanted = {"normalize": raw["normalize"], "fingerprint": raw["fingerprint"]}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def dice(a: frozenset, b: frozenset) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def build(texts: list[tuple[str, str, str]]) -> dict:
    config = load_yaml(SETTINGS_PATH)["fingerprint"]
    params = FingerprintParams.from_dict(config)
    below = params.sample_below
    entries = []
    for source, key, text in sorted(texts, key=lambda t: (t[1], t[0])):
        norm = normalize(text)
        features = text_features(norm, params)
        if not norm.tokens:
            raise SystemExit(f"error: license text {source!r} is empty after normalisation")
        n = params.shingle_words
        body_count = max(0, norm.tail_start - n + 1)
        body = frozenset(h for h in features.shingles[:body_count] if h < below)
        tail = sorted({h for h in features.shingles[body_count:] if h < below} - body)
        body_sentences = sorted({h for h, s, e in features.sentences if e <= norm.tail_start})
        tail_sentences = sorted({h for h, s, e in features.sentences if e > norm.tail_start} - set(body_sentences))
        has_tail = norm.tail_start < len(norm.tokens)
        entries.append({
            "key": key,
            "source": source,
            "words": len(norm.tokens),
            "body_words": norm.tail_start,
            "sha256": sha256_text(norm.tokens),
            "body_sha256": sha256_text(norm.tokens[:norm.tail_start]) if has_tail else None,
            "shingles": sorted(body),
            "tail_shingles": tail,
            "sentences": body_sentences,
            "tail_sentences": tail_sentences,
            "numbers": sorted({(m.context, m.display) for m in features.numbers}),
            "_all": frozenset(features.shingles),
        })
    _add_siblings(entries, config)
    for entry in entries:
        del entry["_all"]
    return {
        "format": FORMAT,
        "params": {k: getattr(params, k) for k in FingerprintParams.__dataclass_fields__},
        "settings_sha256": settings_digest(),
        "fingerprints": entries,
    }


def _add_siblings(entries: list[dict], config: dict) -> None:
    """Siblings are texts of other licenses this similar; keep the shingles only this one has."""
    bodies = [frozenset(e["shingles"]) for e in entries]
    for i, entry in enumerate(entries):
        siblings = [
            j for j, other in enumerate(entries)
            if other["key"] != entry["key"] and dice(bodies[i], bodies[j]) >= config["sibling_min_dice"]
        ]
        entry["siblings"] = sorted({entries[j]["key"] for j in siblings})
        others = frozenset().union(*(entries[j]["_all"] for j in siblings)) if siblings else frozenset()
        own = sorted(entry["_all"] - others) if siblings else []
        entry["distinctive"] = own[: config["distinctive_max"]]  # the smallest hashes: a fixed sample


def dump(data: dict) -> str:
    """Readable top level, one line per fingerprint: small diffs, deterministic bytes."""
    head = {k: v for k, v in data.items() if k != "fingerprints"}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)},")
    lines.append('  "fingerprints": [')
    rows = [json.dumps(e, separators=(",", ":")) for e in data["fingerprints"]]
    lines.append(",\n".join(f"    {row}" for row in rows))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
    keys = sorted({e["key"] for e in data["fingerprints"]})
    print(f"wrote {args.output} ({len(data['fingerprints'])} texts, {len(keys)} keys, {size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
