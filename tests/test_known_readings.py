"""Known texts, known readings (license/known.py): every stored reading is the fresh reading of its text,
in its key form and as another checkout holds it; one word changed is read; a reader change makes the
file ignored; the stored file holds no text."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openscope.license import analyze_text, analyze_texts, read_text
from openscope.license import cache as reading_cache
from openscope.license import known

ROOT = Path(__file__).resolve().parents[1]

# openscope's own words, with markup, an invisible mark and a notice to quote.
OWN_TEXT = """# Model Terms

1. Use. You may use the model for research and for evaluation.
2. Limits. You may not use the model or its outputs for any commercial purpose.
3. Scale. If your services have more than **700 million** monthly\u2060 active users, you must ask for a license.
4. Credit. You must display "Built with Nimbus" on any product made with the model.
"""


def _script():
    spec = importlib.util.spec_from_file_location("build_known_readings", ROOT / "scripts" / "build_known_readings.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def stored_file(tmp_path, monkeypatch):
    """Point the layer at a file of our own making: (write(readings, reader=...), path)."""
    path = tmp_path / "known_readings.json"
    monkeypatch.setattr(known, "KNOWN_READINGS_PATH", path)
    monkeypatch.delenv("OPENSCOPE_NO_KNOWN_READINGS", raising=False)
    known._load.cache_clear()

    def write(readings: dict, reader: str | None = None, environment: dict | None = None):
        path.write_text(_script().dump({"format": known.FORMAT, "schema": reading_cache.SCHEMA,
                                        "reader": reader or known.current_digest(),
                                        "environment": environment or known.environment(), "readings": readings}))
        known._load.cache_clear()

    yield write
    known._load.cache_clear()


def _entry(text: str, name: str = "LICENSE") -> tuple[str, dict]:
    form = known.KeyForm(text).form
    entry = known.facts(read_text(form, name), form, name)
    assert entry is not None
    return known.text_key(form), entry


def test_key_form_maps_offsets_back_into_the_callers_text():
    text = "One  \r\nTwo\tthree \t\rfour\n\n \n"
    form = known.KeyForm(text)
    assert form.form == "One\nTwo\tthree\nfour"
    for word in ("One", "Two", "three", "four"):
        at = form.form.index(word)
        assert text[form.to_text(at):form.to_text(at + len(word))] == word
    assert form.cut([[0, len(form.form)]]) == "One Two three four"


def test_own_text_round_trips_through_stored_facts_in_any_checkout(stored_file):
    key, entry = _entry(OWN_TEXT)
    dumped = json.dumps(entry)
    assert "commercial" not in dumped and "Nimbus" not in dumped  # facts, not text
    stored_file({key: entry})
    variant = _script().variant(known.key_form(OWN_TEXT))
    for text in (OWN_TEXT, variant):
        hit = known.get(text, "TERMS.md")
        assert hit is not None and hit == read_text(text, "TERMS.md")
    # What makes the case: a quote the reader took markup and an invisible mark out of (several spans),
    # and an obligation's value cut from the text.
    fresh = read_text(OWN_TEXT, "TERMS.md")
    cap = next(f for f in fresh.flags if f.flag == "user-cap")
    assert "more than 700 million monthly active users" in cap.evidence[0].quote
    assert any(len(spans) > 1 for f in entry["flags"] if f[0] == "user-cap" for _, spans in f[4])
    assert any(o.value == "Built with Nimbus" for o in fresh.obligations)


def test_one_changed_word_or_a_stale_reader_is_read(stored_file, monkeypatch):
    key, entry = _entry(OWN_TEXT)
    stored_file({key: entry})
    edited = OWN_TEXT.replace("700 million", "900 million")
    assert known.get(edited, "T") is None
    calls = []
    monkeypatch.setattr("openscope.license.read_text", lambda t, f: calls.append(t) or read_text(t, f))
    monkeypatch.setenv("OPENSCOPE_NO_CACHE", "1")
    assert analyze_text(edited, "T") == read_text(edited, "T") and calls == [edited]
    assert analyze_text(OWN_TEXT, "T") == read_text(OWN_TEXT, "T") and calls == [edited]  # answered stored
    stored_file({key: entry}, reader="0" * 64)  # made by another reader: ignored
    assert known.get(OWN_TEXT, "T") is None
    stored_file({key: entry}, environment={**known.environment(), "spacy": "3.0.0"})  # another tokenizer
    assert known.get(OWN_TEXT, "T") is None
    monkeypatch.setenv("OPENSCOPE_NO_KNOWN_READINGS", "1")
    stored_file({key: entry})
    assert known.get(OWN_TEXT, "T") is None


def test_digest_leaves_the_stored_file_out():
    files = reading_cache._reader_files()
    assert reading_cache.KNOWN_READINGS_PATH not in files
    assert any(p.name == "fingerprints.json" for p in files)


def test_committed_file_is_made_by_this_reader():
    data = json.loads(reading_cache.KNOWN_READINGS_PATH.read_text(encoding="utf-8"))
    assert data["format"] == known.FORMAT and data["readings"]
    assert data["reader"] == reading_cache.reader_digest(memo=False), \
        "known_readings.json is stale: run python scripts/build_known_readings.py"
    assert data["environment"] == known.environment() and data["environment"]["spacy"], \
        "known_readings.json was made with another Python or spaCy: run python scripts/build_known_readings.py"
    # Facts, not text: every string is a key, a tag, a section pointer or openscope's own warning words.
    strings = []

    def walk(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, (list, dict)):
            for v in (value.values() if isinstance(value, dict) else value):
                walk(v)

    for entry in data["readings"].values():
        walk({k: v for k, v in entry.items() if k != "warnings"})
        assert all(code in known._OWN_WORDS_WARNINGS for code, _ in entry["warnings"])
    long = sorted({s for s in strings if " " in s and (len(s) > 32 or len(s.split()) > 2)})
    assert not long, long[:5]


@pytest.fixture(scope="module")
def known_texts():
    texts, missing = _script().known_texts(None)
    if missing:
        pytest.skip("; ".join(missing))
    return texts


def test_every_stored_reading_is_the_fresh_reading(known_texts, monkeypatch):
    """The proof the layer rests on: each stored entry, read afresh (both cores) in its key form and
    in the CRLF/trailing-space variant, under another file name than the build used."""
    monkeypatch.setenv("OPENSCOPE_NO_CACHE", "1")
    monkeypatch.setenv("OPENSCOPE_NO_KNOWN_READINGS", "1")
    script = _script()
    readings = json.loads(reading_cache.KNOWN_READINGS_PATH.read_text(encoding="utf-8"))["readings"]
    forms = script.forms(known_texts)
    assert set(readings) <= set(forms), "stored readings of texts the build does not know"
    keys = sorted(readings)
    texts = [forms[k][1] for k in keys] + [script.variant(forms[k][1]) for k in keys]
    fresh = analyze_texts([(t, "COPYING.md") for t in texts])
    monkeypatch.delenv("OPENSCOPE_NO_KNOWN_READINGS")
    known._load.cache_clear()
    wrong = [(readings[k]["source"], kind) for i, k in enumerate(keys)
             for kind, j in (("as built", i), ("variant", len(keys) + i))
             if known.get(texts[j], "COPYING.md") != fresh[j]]
    assert not wrong, f"{len(wrong)} stored readings differ from a fresh one: {wrong[:10]}"
    with_evidence = [k for k in keys if readings[k]["flags"]]
    assert with_evidence, "no stored reading has a flag: the comparison above proves little"


def test_corpus_text_with_one_word_changed_is_read_fresh(known_texts, monkeypatch):
    monkeypatch.setenv("OPENSCOPE_NO_CACHE", "1")
    source, text = next((s, t) for s, t in known_texts if s.startswith("corpus:") and "commercial" in t)
    assert known.get(text, "LICENSE") is not None, f"{source} is not answered from the stored readings"
    edited = text.replace("commercial", "military", 1)
    assert known.get(edited, "LICENSE") is None
    assert analyze_text(edited, "LICENSE") == read_text(edited, "LICENSE")


def test_known_text_cli_run_never_imports_spacy(known_texts, tmp_path):
    source, text = next((s, t) for s, t in known_texts if s == "licensedb:apache-2.0")
    path = tmp_path / "LICENSE"
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    probe = ("import sys\nfrom openscope.cli import cli\ntry:\n    cli(['license', '-f', 'json', sys.argv[1]])\n"
             "except SystemExit:\n    pass\nprint('spacy' in sys.modules, file=sys.stderr)\n")
    env = dict(os.environ, OPENSCOPE_NO_CACHE="1", OPENSCOPE_CACHE=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", probe, str(path)], env=env, capture_output=True, text=True)
    assert result.stderr.strip().splitlines()[-1] == "False", result.stderr
    assert not (tmp_path / "cache").exists()  # --no-cache: nothing written, not even the digest memo
    read = subprocess.run([sys.executable, "-c", probe, str(path)], env={**env, "OPENSCOPE_NO_KNOWN_READINGS": "1"},
                          capture_output=True, text=True)
    assert read.stderr.strip().splitlines()[-1] == "True", read.stderr
    assert result.stdout == read.stdout  # the whole report, quotes cut from this CRLF copy included
    report = json.loads(result.stdout)["licenses"][0]
    assert report["license"]["id"] == "apache-2.0" and report["obligations"][0]["evidence"][0]["quote"]
