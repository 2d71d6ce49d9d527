"""The sentence classifier's training set, assembled at build time (scripts/train_classifier.py) and by
the bench that scores it leave-licenses-out (bench/eval_classifier.py).

Three kinds of examples, each a classifier unit as the reader sees it at run time
(license/restrictions.classifier_units: a sentence after the lead-in of its list):
- clauses written for openscope in our own words (licenses/classifier/written/*.yaml), labelled for
  every flag;
- sentences of real license texts, read at build time and never stored: the corpus's AI licenses and
  the LicenseDB's non-commercial licenses, labelled by character spans (licenses/classifier/spans.jsonl:
  a sentence inside a span states that span's flags, any other sentence states none);
- every sentence of the LicenseDB's permissive / copyleft / public-domain texts (bench/licensedb.py
  negatives), a negative for every flag but `attribution`, whose label they leave unknown (credit is
  what CC BY and its kind ask for).
Each example keeps the licenses it came from (its sources) and their families, so a bench can hold a
family out and train on the rest.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from openscope.data import LICENSES_DIR, load_yaml  # noqa: E402

CLASSIFIER_DIR = LICENSES_DIR / "classifier"
WRITTEN_DIR = CLASSIFIER_DIR / "written"
SPANS_FILE = CLASSIFIER_DIR / "spans.jsonl"
UNLABELLED_IN_NEGATIVES = ("attribution",)  # the LicenseDB negatives may ask for credit


def default_corpus() -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus"))


def family(source: str) -> str:
    """The license family of a source: versions and local variants of one license are one family
    ("licensedb:cc-by-nc-sa-3.0-igo" and "corpus:cc-by-nc-sa-4.0" -> "cc-by-nc-sa")."""
    kind, _, key = source.partition(":")
    if kind == "written":
        return source
    key = Path(key).stem if kind == "corpus" else key
    return re.sub(r"(?:[-_.]?v?\d[\w.+-]*|-(?:plus|only|or-later))$", "", key.lower()) or key.lower()


@dataclass
class Example:
    text: str
    positives: set[str]
    unknown: set[str] = field(default_factory=set)  # flags this example says nothing about
    sources: set[str] = field(default_factory=set)

    @property
    def families(self) -> set[str]:
        return {family(s) for s in self.sources}


@dataclass
class LabelledText:
    source: str  # "corpus:licenses/texts/<id>.txt" | "licensedb:<key>"
    text: str
    spans: list[tuple[int, int, frozenset[str]]]
    negatives_only: bool = False  # a LicenseDB negative: every flag but attribution is negative


def written_examples() -> list[Example]:
    from openscope.vocabulary import flag_names

    known = set(flag_names())
    out = []
    for path in sorted(WRITTEN_DIR.glob("*.yaml")):
        for item in load_yaml(path).get("clauses") or []:
            flags = set(item.get("flags") or [])
            if flags - known:
                raise SystemExit(f"{path.name}: unknown flags {sorted(flags - known)}")
            out.append(Example(str(item["text"]), flags, set(), {f"written:{path.stem}"}))
    return out


def labelled_texts(corpus: Path) -> list[LabelledText]:
    """The real texts with span labels, and the LicenseDB negatives (whole texts, no spans)."""
    import licensedb

    spans: dict[str, list[tuple[int, int, frozenset[str]]]] = {}
    for line in SPANS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            spans.setdefault(row["source"], []).append((row["start"], row["end"], frozenset(row["flags"])))
    out = []
    for path in sorted((corpus / "licenses" / "texts").glob("*.txt")):
        source = f"corpus:licenses/texts/{path.name}"
        out.append(LabelledText(source, path.read_text(encoding="utf-8"), spans.get(source, [])))
    ok, _ = licensedb.available()
    if ok:
        by_key = {t.key: t for t in licensedb.load()}
        for source in sorted(s for s in spans if s.startswith("licensedb:")):
            key = source.split(":", 1)[1]
            if key in by_key:
                out.append(LabelledText(source, by_key[key].text, spans[source]))
        for t in licensedb.negatives():
            out.append(LabelledText(f"licensedb:{t.key}", t.text, [], negatives_only=True))
    return out


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _span_flags(sentence: str, spans: list[tuple[str, frozenset[str]]]) -> set[str]:
    """Flags of the spans this sentence belongs to: one holds the other, or they share most words."""
    s = _norm(sentence)
    flags: set[str] = set()
    if not s:
        return flags
    words = set(s.split())
    for span, span_flags in spans:
        if s in span or span in s:
            flags |= span_flags
            continue
        shared = words & set(span.split())
        if len(shared) >= 0.8 * min(len(words), len(span.split())) and len(shared) >= 6:
            flags |= span_flags
    return flags


def text_examples(item: LabelledText) -> list[Example]:
    """The classifier units of one real text, each labelled from the spans it falls in."""
    from openscope.license.matching import TextIndex
    from openscope.license.restrictions import classifier_units
    from openscope.license.segment import segment, sentence_text
    from openscope.text.markup import unwrap_markup

    seg = segment(item.text)
    index = TextIndex.build(seg.docs)
    spans = [(_norm(unwrap_markup(item.text[a:b])[0]), flags) for a, b, flags in item.spans]
    out = []
    for block, _, s, e, unit in classifier_units(seg, index.block_sentences):
        sentence = sentence_text(seg.blocks[block], seg.docs[block], s, e)
        unknown = set(UNLABELLED_IN_NEGATIVES) if item.negatives_only else set()
        out.append(Example(unit, _span_flags(sentence, spans), unknown, {item.source}))
    return out


def merge(examples: list[Example]) -> list[Example]:
    """One example per text: labels and sources pooled (a positive anywhere is a positive)."""
    by_text: dict[str, Example] = {}
    for ex in examples:
        seen = by_text.get(ex.text)
        if seen is None:
            by_text[ex.text] = Example(ex.text, set(ex.positives), set(ex.unknown), set(ex.sources))
            continue
        seen.positives |= ex.positives
        seen.unknown = (seen.unknown & ex.unknown) - seen.positives
        seen.sources |= ex.sources
    return list(by_text.values())


def inputs_digest(texts: list[LabelledText] | None = None, corpus: Path | None = None) -> str:
    """SHA-256 over everything the trained model depends on: the labelled data, the real texts, the
    reader's code and rules (units and rule hits come from them) and the training scripts. model.json
    records it, and a test recomputes it to catch a stale model without retraining."""
    import hashlib

    texts = texts if texts is not None else labelled_texts(corpus or default_corpus())
    h = hashlib.sha256()
    # What units and rule hits depend on: segmentation, markup removal, the rules and the classifier pass.
    code = [ROOT / "src/openscope" / name for name in (
        "license/segment.py", "license/rules.py", "license/clauses.py", "license/matching.py",
        "license/restrictions.py", "license/thresholds.py", "text/markup.py", "text/sentences.py")]
    parts = [SPANS_FILE, *sorted(WRITTEN_DIR.glob("*.yaml")), *code,
             *sorted((LICENSES_DIR / "rules").glob("*.yaml")), ROOT / "scripts/classifier_data.py",
             ROOT / "scripts/train_classifier.py"]
    for path in parts:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for item in texts:
        h.update(item.source.encode())
        h.update(hashlib.sha256(item.text.encode()).digest())
    return h.hexdigest()


def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "openscope" / "classifier-examples.json"


def build(corpus: Path | None = None, *, use_cache: bool = True) -> tuple[list[Example], dict[str, list[Example]]]:
    """(all examples merged, the unmerged examples of each real text by source).

    Reading ~1,300 texts takes a minute; the result is kept in the user's cache, keyed by the digests
    of what it was built from, so repeated training and benches start at once."""
    import hashlib

    corpus = corpus or default_corpus()
    texts = labelled_texts(corpus)
    h = hashlib.sha256()
    for part in [SPANS_FILE.read_bytes(), *(p.read_bytes() for p in sorted(WRITTEN_DIR.glob("*.yaml")))]:
        h.update(part)
    for item in texts:
        h.update(item.source.encode())
        h.update(hashlib.sha256(item.text.encode()).digest())
    for path in sorted((ROOT / "src" / "openscope" / "license").glob("*.py")):
        h.update(path.read_bytes())  # the units depend on the segmenter
    digest = h.hexdigest()
    cached = cache_path()
    per_text: dict[str, list[Example]] = {}
    if use_cache and cached.exists():
        try:
            raw = json.loads(cached.read_text(encoding="utf-8"))
            if raw.get("digest") == digest:
                per_text = {src: [Example(e["t"], set(e["p"]), set(e["u"]), {src}) for e in rows]
                            for src, rows in raw["texts"].items()}
        except (OSError, ValueError, KeyError):
            per_text = {}
    if not per_text:
        per_text = {item.source: text_examples(item) for item in texts}
        cached.parent.mkdir(parents=True, exist_ok=True)
        rows = {src: [{"t": e.text, "p": sorted(e.positives), "u": sorted(e.unknown)} for e in exs]
                for src, exs in per_text.items()}
        cached.write_text(json.dumps({"digest": digest, "texts": rows}), encoding="utf-8")
    everything = written_examples() + [e for exs in per_text.values() for e in exs]
    return merge(everything), per_text
