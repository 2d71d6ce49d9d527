"""License text identification: the matcher chain, "modified" reporting, the fingerprint file.

Unit tests use short license-like texts written for these tests (never real license text); the
corpus tests read the real texts at run time and perturb them in memory.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import re
from pathlib import Path

import pytest

from openscope.catalog import load_catalog
from openscope.license.fingerprints import (
    FINGERPRINTS_PATH,
    LICENSEDB_FINGERPRINTS_PATH,
    fingerprint_set,
    text_features,
)
from openscope.license.identify import (
    _break_tie,
    _candidates,
    identify_text,
    load_fingerprints,
    match_settings,
)
from openscope.license.normalize import normalize
from openscope.text.markup import strip_markup

ROOT = Path(__file__).resolve().parents[1]


def load_builder():
    spec = importlib.util.spec_from_file_location("build_fingerprints", ROOT / "scripts" / "build_fingerprints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- texts written for these tests ------------------------------------------------------------

ORCHARD_V1 = """ORCHARD MODEL LICENSE, VERSION 1

1. Definitions. "Orchard" means the trained weights, code and notes that the Publisher releases
under this license. "You" means the person or organisation that accepts these terms by using
Orchard in any way.

2. Permission. The Publisher lets You copy, run, adapt and share Orchard without paying a fee,
as long as You keep to every condition written below and pass a copy of this license along
with each copy You share with another party.

3. Scale. If the services You offer with Orchard reach more than 40 million monthly users, You
must first ask the Publisher for a separate commercial agreement, which it may refuse.

4. Conduct. You will not use Orchard to deceive people about who they are talking to, to stalk
or harass anyone, or to make decisions about credit, housing or employment without a human
reviewing each decision before it takes effect.

5. No warranty. Orchard comes as it is. The Publisher gives no promise that it works, that it is
safe, or that it suits any purpose, and it is not liable for any harm that comes from using it.

6. Ending. These permissions stop at once if You break a condition and do not repair the breach
within thirty days of receiving a written notice from the Publisher.
"""

# The next version: a naming clause added, the user threshold raised.
ORCHARD_V2 = ORCHARD_V1.replace("VERSION 1", "VERSION 2").replace("40 million", "90 million").replace(
    "with another party.",
    "with another party. Any model You train from Orchard and share must carry a name that starts "
    "with the word Orchard so that people can trace where it came from.",
)

MEADOW_TERMS = """Meadow Dataset Terms

You may read, index and analyse the Meadow records for study and teaching. You may quote short
parts in papers if you name the Meadow project as the source each time. You may not sell the
records, place them behind a paywall, or mix them into a product offered to paying customers.
The project can change these terms by posting a new version on its website, and the new version
applies from the day it is posted. If you disagree with a change, you must stop using the records
and delete every copy that you keep on your own machines or on machines that you rent.
"""

OWN_PARAGRAPH = (
    "Our team meets on Thursdays to review the garden plan: we swap seedlings, check the rain "
    "barrels, and agree who will water the beds while the others are travelling in August."
)


@pytest.fixture(scope="module")
def own_fingerprints():
    builder = load_builder()
    data = builder.build([("orchard-1", "orchard-1", ORCHARD_V1), ("orchard-2", "orchard-2", ORCHARD_V2),
                          ("meadow", "meadow", MEADOW_TERMS)])
    return fingerprint_set(json.loads(builder.dump(data)))


# --- normalisation ----------------------------------------------------------------------------


def as_markdown(text: str) -> str:
    """Headings, bullets, bold and a link around the same words."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    out = []
    for i, para in enumerate(paragraphs):
        if i == 0:
            out.append("# " + para)
        elif i % 3 == 1:
            out.append("- " + para.replace("\n", "\n  "))
        elif i % 3 == 2:
            out.append("### " + para)
        else:
            out.append(para)
    md = "\n\n".join(out)
    md = re.sub(r"\b(Publisher|Licensor|License)\b", r"**\1**", md, count=2)
    return re.sub(r"\b(means)\b", r"[\1](https://example.org/glossary)", md, count=1)


def as_html(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text.strip())
    body = "".join("<p>" + html.escape(p).replace("\n", "<br/>\n") + "</p>\n" for p in paragraphs)
    return "<html><body>\n" + body + "</body></html>\n"


def as_windows_plain(text: str) -> str:
    """CRLF, doubled spaces, straight quotes instead of curly ones."""
    text = text.replace("“", '"').replace("”", '"').replace("’", "'").replace("—", "-")
    return text.replace(" ", "  ").replace("\n", "\r\n")


@pytest.mark.parametrize("wrap", [as_markdown, as_html, as_windows_plain])
def test_wrapping_does_not_change_the_words(wrap):
    assert normalize(wrap(ORCHARD_V1)).tokens == normalize(ORCHARD_V1).tokens


def test_strip_markup_keeps_words_and_drops_syntax():
    text = '## Terms\n\n- **Use** it [freely](https://example.org/x) &amp; <b>fairly</b>.\n```\ncode\n```'
    plain = strip_markup(text)
    for gone in ("##", "**", "](", "https://", "&amp;", "```"):
        assert gone not in plain
    assert "Use it freely" in plain and "fairly" in plain


def test_normalize_unifies_spelling_quotes_and_copyright_lines():
    a = normalize("Copyright 2024 Some Body\nThe licence is “non-commercial”: use it—carefully.")
    b = normalize("The license is 'noncommercial': use it - carefully.")
    assert a.tokens == b.tokens


# --- the chain on texts written for these tests -----------------------------------------------


def test_empty_and_blank_texts_are_not_identified(own_fingerprints):
    assert identify_text("", fingerprints=own_fingerprints) is None
    assert identify_text("  \n\n ", fingerprints=own_fingerprints) is None


def test_unrelated_paragraph_is_not_identified(own_fingerprints):
    assert identify_text(OWN_PARAGRAPH, fingerprints=own_fingerprints) is None


def test_exact_text_matches_exactly(own_fingerprints):
    for text, key in ((ORCHARD_V1, "orchard-1"), (ORCHARD_V2, "orchard-2"), (MEADOW_TERMS, "meadow")):
        found = identify_text(as_markdown(text), fingerprints=own_fingerprints)
        assert (found.key, found.method, found.confidence, found.modified) == (key, "exact", 1.0, False)


def test_close_versions_are_told_apart_when_both_are_edited(own_fingerprints):
    for text, key in ((ORCHARD_V1, "orchard-1"), (ORCHARD_V2, "orchard-2")):
        edited = text.replace("thirty days", "fifteen days")
        found = identify_text(edited, fingerprints=own_fingerprints)
        assert found.key == key and found.modified


def test_near_ties_are_broken_by_sentences():
    """Two texts a word apart score within `near_tie`: the sentence only one of them has decides."""
    builder = load_builder()
    amended = ORCHARD_V1.replace("deceive people", "mislead people")
    fps = fingerprint_set(json.loads(builder.dump(builder.build(
        [("orchard-1", "orchard-1", ORCHARD_V1), ("orchard-1a", "orchard-1a", amended)]))))
    cfg = match_settings()
    for text, key in ((ORCHARD_V1, "orchard-1"), (amended, "orchard-1a")):
        features = text_features(text.replace("thirty days", "sixty days"), fps.params)
        candidates = _candidates(features, fps, cfg)
        assert len(candidates) == 2 and candidates[1].score >= candidates[0].score - cfg.near_tie
        for order in (candidates, candidates[::-1]):
            assert _break_tie(list(order), features, cfg.near_tie).fp.key == key


def test_changed_number_is_reported(own_fingerprints):
    found = identify_text(ORCHARD_V1.replace("40 million", "25 million"), fingerprints=own_fingerprints)
    assert found.key == "orchard-1" and found.modified
    assert "number 40 million -> 25 million" in found.differences


def test_rider_is_reported_as_extra_words(own_fingerprints):
    found = identify_text(MEADOW_TERMS + "\n" + OWN_PARAGRAPH, fingerprints=own_fingerprints)
    assert found.key == "meadow" and found.modified
    assert any("words not in" in d for d in found.differences)
    assert found.confidence < 0.9


def test_removed_section_is_reported_as_missing(own_fingerprints):
    cut = re.sub(r"4\. Conduct\..*?\n\n", "", ORCHARD_V1, flags=re.S)
    assert cut != ORCHARD_V1
    found = identify_text(cut, fingerprints=own_fingerprints)
    assert found.key == "orchard-1" and found.modified
    assert any("missing" in d for d in found.differences)


# --- the committed fingerprint file -----------------------------------------------------------

_NUMBER_DISPLAY = re.compile(r"^\d+(?:[.,]\d+)*(?: (?:thousand|million|billion|trillion))?$")
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9.\-_/+]*$")


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@pytest.mark.parametrize("path, max_bytes", [(FINGERPRINTS_PATH, 400_000), (LICENSEDB_FINGERPRINTS_PATH, 4_000_000)])
def test_fingerprint_files_hold_no_readable_text(path, max_bytes):
    raw = path.read_text(encoding="utf-8")
    assert not re.search(r"[A-Za-z]+(?:\s+[A-Za-z]+){3,}", raw)
    data = json.loads(raw)
    for name, packed in data["lists"].items():
        for field, value in packed.items():
            if field != "postings":
                base64.b64decode(value, validate=True)  # packed numbers, nothing else
    data = {k: v for k, v in data.items() if k != "lists"}
    for value in _strings(data):
        assert _IDENTIFIER.match(value) or _NUMBER_DISPLAY.match(value) or _DIGEST.match(value), value
    assert len(raw.encode()) < max_bytes


# --- the real corpus --------------------------------------------------------------------------


def expected_key(label: dict) -> str:
    catalog = load_catalog()
    for name in (label["id"], label.get("scancode_key")):
        entry = catalog.lookup(name)
        if entry is not None:
            return entry.key
    return label["id"]


@pytest.fixture(scope="module")
def corpus_texts(corpus, license_labels) -> dict[str, tuple[str, str]]:
    """corpus id -> (expected catalog key, text)."""
    return {
        label["id"]: (expected_key(label), (corpus / "licenses" / label["text_file"]).read_text(encoding="utf-8"))
        for label in license_labels
        if label.get("text_file")
    }


@pytest.mark.corpus
def test_every_corpus_text_identifies_as_itself(corpus_texts):
    for corpus_id, (key, text) in corpus_texts.items():
        found = identify_text(text)
        assert found is not None, corpus_id
        assert (found.key, found.modified) == (key, False), (corpus_id, found)
        assert found.confidence >= 0.95, (corpus_id, found)


@pytest.mark.corpus
@pytest.mark.parametrize("wrap", [as_markdown, as_html, as_windows_plain])
def test_wrapped_corpus_texts_are_identified_unmodified(corpus_texts, wrap):
    for corpus_id, (key, text) in corpus_texts.items():
        found = identify_text(wrap(text))
        assert found is not None and (found.key, found.modified) == (key, False), (corpus_id, found)


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


@pytest.mark.corpus
@pytest.mark.parametrize("group", [
    ("llama-3.1", "llama-3.3"),
    ("bigscience-open-rail-m", "creativeml-openrail-m", "bigscience-rail-1.0"),
    ("cc-by-4.0", "cc-by-nc-4.0"),
    ("llama-2-aup", "llama-3.2-aup"),
])
def test_close_siblings_are_told_apart_after_edits(corpus_texts, group):
    keys = {corpus_texts[i][0] for i in group}
    assert len(keys) == len(group), "siblings must be distinct catalog entries"
    for corpus_id in group:
        key, text = corpus_texts[corpus_id]
        paragraphs = _paragraphs(text)
        # Drop the third paragraph and add a sentence, so only the fuzzy matchers can decide.
        edited = "\n\n".join(paragraphs[:2] + paragraphs[3:]) + "\n\nThis copy was reformatted by a mirror."
        found = identify_text(edited)
        assert found is not None and found.key == key, (corpus_id, found)
        assert found.method == "fingerprint" and found.modified


RIDER = ("Additional term: notwithstanding anything above, you may not use the Work, or anything "
         "derived from it, to provide services to any government agency, and you must obtain our "
         "written approval before any commercial deployment.")


@pytest.mark.corpus
def test_apache_with_a_rider_is_never_plain_apache(corpus_texts):
    key, text = corpus_texts["apache-2.0"]
    found = identify_text(text + "\n\n" + RIDER)
    assert found.key == key and found.modified
    assert any(re.match(r"about \d+ words not in ", d) for d in found.differences), found.differences
    assert found.confidence < 0.9


@pytest.mark.corpus
def test_llama_user_cap_change_is_reported(corpus_texts):
    key, text = corpus_texts["llama-3.1"]
    assert "700 million" in text
    found = identify_text(text.replace("700 million", "500 million"))
    assert found.key == key and found.modified
    assert "number 700 million -> 500 million" in found.differences


@pytest.mark.corpus
@pytest.mark.parametrize("corpus_id", ["llama-3.1", "apache-2.0", "bigscience-open-rail-m", "qwen-2024"])
def test_removed_section_is_modified(corpus_texts, corpus_id):
    key, text = corpus_texts[corpus_id]
    paragraphs = _paragraphs(text)
    longest = max(range(1, len(paragraphs)), key=lambda i: len(paragraphs[i]))
    found = identify_text("\n\n".join(paragraphs[:longest] + paragraphs[longest + 1:]))
    assert found.key == key and found.modified
    assert any("missing" in d for d in found.differences), found.differences


@pytest.mark.corpus
def test_llama3_file_with_or_without_its_appended_policy(corpus_texts):
    key, text = corpus_texts["llama-3"]
    start = text.find("Acceptable Use Policy\n")
    assert start > 0
    license_only = text[: text.rfind("\n", 0, start)]
    found = identify_text(license_only)
    assert found.key == key and not found.modified
    policy_changed = text.replace("Meta is committed", "Meta is not at all committed")
    changed = identify_text(policy_changed)
    assert changed.key == key and changed.modified


@pytest.mark.corpus
def test_committed_fingerprints_match_the_script(corpus):
    builder = load_builder()
    committed = FINGERPRINTS_PATH.read_text(encoding="utf-8")
    texts = builder.corpus_texts(corpus)
    columns = json.loads(committed)["columns"]
    sources = set(columns.get("source") or columns["key"])
    if sources - {source for source, _, _ in texts}:
        pytest.skip("fingerprints.json was built with --texts beyond the corpus")
    assert builder.dump(builder.build(texts)) == committed, "re-run scripts/build_fingerprints.py"


def test_loaded_fingerprints_are_cached():
    assert load_fingerprints() is load_fingerprints()


@pytest.mark.corpus
def test_appended_policy_the_license_incorporates_is_expected(corpus_texts):
    key, terms = corpus_texts["gemma-tou-2024"]
    policy_key, policy = corpus_texts["gemma-pup-2024"]
    assert policy_key in load_catalog().get(key).incorporates
    found = identify_text(terms + "\n\n" + policy)
    assert found.key == key and not found.modified, found


@pytest.mark.corpus
def test_appended_policy_of_another_license_is_reported(corpus_texts):
    key, text = corpus_texts["apache-2.0"]
    found = identify_text(text + "\n\n" + corpus_texts["gemma-pup-2024"][1])
    assert found.key == key and found.modified
    policy_name = load_catalog().get(corpus_texts["gemma-pup-2024"][0]).name
    assert f"also contains {policy_name}" in found.differences
