#!/usr/bin/env python3
"""Build src/openscope/licenses/known_readings.json: the reading of every license text the build knows.

    python scripts/build_known_readings.py [--corpus DIR] [--check]

The texts are the ones the fingerprints are made from: the corpus license texts
(scripts/build_fingerprints.py) and every non-empty LicenseDB text of the scancode-toolkit-mini wheel
(bench/licensedb.py). Each is read afresh in its key form (license/known.py) and in a variant with
CRLF line ends, spaces and tabs at every line end and blank lines at its end; an entry is stored only
when the two readings agree and the stored facts give both back exactly (quotes cut from each text).
The file holds hashes, flags, thresholds, offsets, section pointers and openscope's own warning
words, never text, with the reader digest it was made with: re-run this after any change to the
reader's code or data (rules, classifier weights, fingerprints, catalog) and after
scripts/build_data_index.py / build_fingerprints.py / build_licensedb.py; until then the file is
ignored (texts are read) and tests/test_known_readings.py fails. Deterministic, byte for byte.
`--check` writes nothing and exits 1 when the committed file differs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

from openscope.license import analyze_texts  # noqa: E402
from openscope.license.cache import KNOWN_READINGS_PATH, SCHEMA, reader_digest  # noqa: E402
from openscope.license.known import FORMAT, KeyForm, environment, facts, reading, text_key  # noqa: E402

NAME = "LICENSE"  # the file name texts are read under; stored readings have it cut out


def variant(form: str) -> str:
    """The key form as another checkout may hold it: CRLF, trailing spaces and tabs, blank lines at the end."""
    return "".join(line + " \t\r\n" for line in form.split("\n")) + "\r\n \n"


def known_texts(corpus: Path | None) -> tuple[list[tuple[str, str]], list[str]]:
    """([(source, text)] of every text the build knows, [why a set is missing])."""
    import licensedb
    from build_fingerprints import corpus_texts, default_corpus

    texts, missing = [], []
    corpus = corpus or default_corpus()
    if (corpus / "licenses" / "labels.jsonl").exists():
        texts += [(f"corpus:{source}", text) for source, _, text in corpus_texts(corpus)]
    else:
        missing.append(f"corpus not found at {corpus}")
    ok, why = licensedb.available()
    if ok:
        texts += [(f"licensedb:{t.key}", t.text) for t in licensedb.load() if t.text.strip()]
    else:
        missing.append(f"LicenseDB not available: {why}")
    return texts, missing


def forms(texts: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """key -> (first source, key form) of every distinct text."""
    out: dict[str, tuple[str, str]] = {}
    for source, text in texts:
        form = KeyForm(text).form
        out.setdefault(text_key(form), (source, form))
    return out


def build(texts: list[tuple[str, str]]) -> tuple[dict, list[str]]:
    """(the file's content, [source: why it was left out])."""
    distinct = forms(texts)
    keys = sorted(distinct)
    items = [(distinct[k][1], NAME) for k in keys] + [(variant(distinct[k][1]), NAME) for k in keys]
    read = analyze_texts(items)
    plain, varied = read[:len(keys)], read[len(keys):]
    readings, left_out = {}, []
    for key, fresh, other in zip(keys, plain, varied):
        source, form = distinct[key]
        why = None
        if isinstance(fresh, Exception) or isinstance(other, Exception):
            why = f"reading failed: {fresh if isinstance(fresh, Exception) else other}"
        elif fresh != other:
            why = "its CRLF/trailing-space variant reads differently"
        else:
            entry = facts(fresh, form, NAME)
            if entry is None:
                why = "the reading says something of the text that offsets cannot carry"
            elif (reading(entry, KeyForm(form), NAME) != fresh
                  or reading(entry, KeyForm(variant(form)), NAME) != other):
                why = "the stored facts do not give the reading back"
            else:
                readings[key] = {"source": source, **entry}
        if why:
            left_out.append(f"{source}: {why}")
    data = {"format": FORMAT, "schema": SCHEMA, "reader": reader_digest(memo=False), "environment": environment(),
            "key_form": "LF line ends; spaces and tabs at line ends and blank lines at the end dropped; SHA-256",
            "texts": len(readings), "readings": readings}
    return data, left_out


def dump(data: dict) -> str:
    """One line per reading, so a diff shows which text's reading changed."""
    head = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in data.items() if k != "readings"]
    rows = [f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in data["readings"].items()]
    return "{\n" + "\n".join(head) + '\n  "readings": {\n' + ",\n".join(rows) + "\n  }\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="the shared corpus folder")
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)
    # Read every text: neither the user's cache nor an older stored file may answer.
    os.environ["OPENSCOPE_NO_CACHE"] = "1"
    os.environ["OPENSCOPE_NO_KNOWN_READINGS"] = "1"
    texts, missing = known_texts(args.corpus)
    if missing:
        # A file built from part of the texts would silently read the rest: refuse.
        print("error: " + "; ".join(missing), file=sys.stderr)
        return 2
    started = time.monotonic()
    data, left_out = build(texts)
    content = dump(data)
    for line in left_out:
        print(f"left out {line}", file=sys.stderr)
    if args.check:
        if not KNOWN_READINGS_PATH.exists() or KNOWN_READINGS_PATH.read_text(encoding="utf-8") != content:
            print(f"stale: {KNOWN_READINGS_PATH.relative_to(ROOT)}; re-run scripts/build_known_readings.py",
                  file=sys.stderr)
            return 1
        print(f"{data['texts']} stored readings: the committed file is current")
        return 0
    KNOWN_READINGS_PATH.write_text(content, encoding="utf-8")
    print(f"wrote {KNOWN_READINGS_PATH.relative_to(ROOT)} ({data['texts']} readings of {len(texts)} texts, "
          f"{len(left_out)} left out, {len(content.encode()) / 1e6:.2f} MB, {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
