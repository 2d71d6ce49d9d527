"""License identification: an ordered chain of matchers, cheap to fuzzy.

1. exact: the SHA-256 of the normalised text equals a known fingerprint (confidence 1.0).
2. fingerprint: sampled word-shingle hashes are compared with every known license: coverage (how
   much of the license is in the text), purity (how much of the text is in the license), their
   Sørensen–Dice mean and a coverage-weighted score; the license most present in the text wins.
3. siblings: candidates close to the best (close versions, RAIL variants) are told apart by the
   shingles unique to each among its siblings.
Then the chosen license is compared with the text in detail (numbers in context, runs of new
shingles, sentence hashes, other known documents appended) to report whether, and how, the text
differs from it (`modified`, `differences`).

Fingerprints are built by scripts/build_fingerprints.py into licenses/fingerprints.json (hashes and
numbers only, never text). Thresholds live in licenses/identification.yaml.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from openscope.data import LICENSES_DIR, load_yaml
from openscope.errors import CatalogError
from openscope.license.normalize import SETTINGS_PATH, NormalizedText, normalize
from openscope.types import Identification

FINGERPRINTS_PATH = LICENSES_DIR / "fingerprints.json"
FORMAT = "openscope.fingerprints/1"

_MASK32 = 0xFFFFFFFF
_MIX = 0x9E3779B1  # odd: multiplying by it permutes 32-bit values and spreads the high bits
_DIGITS = frozenset("0123456789")
_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


@dataclass(frozen=True)
class FingerprintParams:
    shingle_words: int
    sample_one_in: int
    min_sentence_words: int
    number_context_words: int

    @property
    def sample_below(self) -> int:
        return (_MASK32 + 1) // self.sample_one_in

    @classmethod
    def from_dict(cls, raw: dict) -> FingerprintParams:
        return cls(**{k: int(raw[k]) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class NumberMention:
    start: int  # token span of the number (with its scale word)
    end: int
    display: str  # "700 million", "1,000,000"
    context: int  # hash of the words around it


@dataclass
class TextFeatures:
    """Everything compared about one text; built the same way for the catalog and for input."""

    norm: NormalizedText
    shingles: list[int]  # hash of every shingle, by position
    sentences: list[tuple[int, int, int]]  # (hash, start, end) of sentences long enough to count
    numbers: list[NumberMention]
    sampled: frozenset[int] = frozenset()

    @property
    def words(self) -> int:
        return len(self.norm.tokens)


def _hash(data) -> int:
    return (zlib.crc32(data) * _MIX) & _MASK32


def text_features(text: str | NormalizedText, params: FingerprintParams) -> TextFeatures:
    norm = text if isinstance(text, NormalizedText) else normalize(text)
    tokens = norm.tokens
    # One byte buffer for the whole text, so each shingle and sentence is hashed without copying.
    joined = " ".join(tokens)
    data = joined.encode()
    lengths = map(len, tokens) if len(data) == len(joined) else (len(t.encode()) for t in tokens)
    offsets = [0, *itertools.accumulate(length + 1 for length in lengths)]
    buf = memoryview(data)
    n = params.shingle_words
    if len(tokens) >= n:
        shingles = [_hash(buf[offsets[i]:offsets[i + n] - 1]) for i in range(len(tokens) - n + 1)]
    else:
        shingles = [_hash(buf)] if tokens else []
    sentences = [
        (_hash(buf[offsets[s]:offsets[e] - 1]), s, e)
        for s, e in norm.sentences
        if e - s >= params.min_sentence_words
    ]
    below = params.sample_below
    return TextFeatures(
        norm=norm,
        shingles=shingles,
        sentences=sentences,
        numbers=_numbers(tokens, params.number_context_words),
        sampled=frozenset(h for h in shingles if h < below),
    )


def _numbers(tokens: tuple[str, ...], context: int) -> list[NumberMention]:
    found = []
    for i in [i for i, tok in enumerate(tokens) if tok[0] in _DIGITS]:
        end = i + 1 if i + 1 >= len(tokens) or tokens[i + 1] not in _SCALE_WORDS else i + 2
        around = " ".join(tokens[max(0, i - context):i]) + " | " + " ".join(tokens[end:end + context])
        found.append(NumberMention(i, end, " ".join(tokens[i:end]), _hash(around.encode())))
    return found


def number_value(display: str) -> float | str:
    """700 million -> 7e8; values that are not plain numbers (0.9.7) compare as text."""
    parts = display.split()
    try:
        value = float(parts[0].replace(",", ""))
    except ValueError:
        return display
    return value * _SCALE_WORDS.get(parts[1], 1) if len(parts) > 1 else value


def sha256_text(tokens) -> str:
    return hashlib.sha256(" ".join(tokens).encode()).hexdigest()


# --- the catalog side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    key: str
    source: str
    words: int
    body_words: int
    hashes: frozenset[str]  # SHA-256 of the normalised text (and of its body without optional tail)
    body: frozenset[int]  # sampled shingles of the body
    known: frozenset[int]  # sampled shingles of the whole text, optional tail included
    sentences: frozenset[int]  # body sentences
    known_sentences: frozenset[int]
    numbers: dict  # context hash -> set of displays
    distinctive: frozenset[int]  # shingles unique to this text among its siblings (unsampled)


@dataclass(frozen=True)
class FingerprintSet:
    params: FingerprintParams
    fingerprints: tuple[Fingerprint, ...]
    by_hash: dict


def _fingerprint(raw: dict) -> Fingerprint:
    body = frozenset(raw["shingles"])
    sentences = frozenset(raw["sentences"])
    numbers: dict[int, set[str]] = {}
    for context, display in raw["numbers"]:
        numbers.setdefault(context, set()).add(display)
    return Fingerprint(
        key=raw["key"],
        source=raw["source"],
        words=raw["words"],
        body_words=raw["body_words"],
        hashes=frozenset(h for h in (raw["sha256"], raw.get("body_sha256")) if h),
        body=body,
        known=body | frozenset(raw.get("tail_shingles", ())),
        sentences=sentences,
        known_sentences=sentences | frozenset(raw.get("tail_sentences", ())),
        numbers=numbers,
        distinctive=frozenset(raw.get("distinctive", ())),
    )


@functools.cache
def load_fingerprints(path: Path | None = None) -> FingerprintSet:
    return fingerprint_set(json.loads(Path(path or FINGERPRINTS_PATH).read_text(encoding="utf-8")), path)


def fingerprint_set(raw: dict, origin=None) -> FingerprintSet:
    if raw.get("format") != FORMAT:
        raise CatalogError(f"{origin or FINGERPRINTS_PATH}: expected format {FORMAT!r}; re-run scripts/build_fingerprints.py")
    fingerprints = tuple(_fingerprint(entry) for entry in raw["fingerprints"])
    by_hash = {h: fp for fp in fingerprints for h in sorted(fp.hashes)}
    return FingerprintSet(FingerprintParams.from_dict(raw["params"]), fingerprints, by_hash)


@dataclass(frozen=True)
class MatchSettings:
    appended_min_coverage: float
    appended_min_new_share: float
    score_coverage_exponent: float
    score_purity_exponent: float
    min_score: float
    near_tie: float
    modified_confidence_factor: float
    unmodified_min_confidence: float
    min_extra_words: int
    seam_max_words: int
    min_missing_words: int


@functools.cache
def match_settings() -> MatchSettings:
    raw = load_yaml(SETTINGS_PATH)["match"]
    return MatchSettings(**{k: raw[k] for k in MatchSettings.__dataclass_fields__})


# --- the matchers ------------------------------------------------------------------------------


@dataclass
class Candidate:
    fp: Fingerprint
    found: int  # sampled shingles of the license found in the text
    coverage: float  # share of the license found in the text
    purity: float  # share of the text found in the license
    dice: float
    score: float


def _candidates(features: TextFeatures, fps: FingerprintSet, cfg: MatchSettings) -> list[Candidate]:
    sampled = features.sampled
    if not sampled:
        return []
    found = []
    for fp in fps.fingerprints:
        if not fp.body:
            continue
        in_body = len(sampled & fp.body)
        if not in_body:
            continue
        coverage = in_body / len(fp.body)
        purity = len(sampled & fp.known) / len(sampled)
        dice = 2 * coverage * purity / (coverage + purity)
        score = coverage ** cfg.score_coverage_exponent * purity ** cfg.score_purity_exponent
        found.append(Candidate(fp, in_body, coverage, purity, dice, score))
    # The license most present in the text comes first: a text holding one license whole and
    # another document after it (a policy, a rider) is about the license, not the appendix.
    found.sort(key=lambda c: (-c.found, -c.score, c.fp.key, c.fp.source))
    return found


def _break_tie(candidates: list[Candidate], features: TextFeatures, near_tie: float) -> Candidate:
    best = candidates[0]
    close = [c for c in candidates if c.found >= best.found * (1 - near_tie)]
    if len(close) == 1:
        return best
    every = set(features.shingles)

    def distinctive_hits(c: Candidate) -> float:
        if not c.fp.distinctive:
            return 0.5  # nothing of its own among its siblings: neutral
        return len(every & c.fp.distinctive) / len(c.fp.distinctive)

    return max(close, key=lambda c: (distinctive_hits(c), c.score))


def identify_text(text: str, *, fingerprints: FingerprintSet | None = None) -> Identification | None:
    """Identify `text` against the known license fingerprints; None when unidentified or empty."""
    fps = fingerprints or load_fingerprints()
    features = text_features(text, fps.params)
    if not features.norm.tokens:
        return None
    digest = sha256_text(features.norm.tokens)
    exact = fps.by_hash.get(digest)
    if exact is not None:
        return Identification(key=exact.key, confidence=1.0, method="exact")
    cfg = match_settings()
    candidates = _candidates(features, fps, cfg)
    plausible = [c for c in candidates if c.score >= cfg.min_score]
    if not plausible:
        return None
    chosen = _break_tie(plausible, features, cfg.near_tie)
    appended = _appended_documents(features, chosen, candidates, cfg)
    differences = describe_differences(features, chosen.fp, fps.params, cfg, appended)
    if differences:
        confidence = chosen.score * cfg.modified_confidence_factor
    else:
        confidence = max(cfg.unmodified_min_confidence, min(0.99, chosen.dice))
    return Identification(
        key=chosen.fp.key,
        confidence=round(confidence, 3),
        method="fingerprint",
        modified=bool(differences),
        differences=differences,
    )


def _appended_documents(
    features: TextFeatures, chosen: Candidate, candidates: list[Candidate], cfg: MatchSettings
) -> list[Fingerprint]:
    """Other known documents found whole in the text beside the license (an appended policy)."""
    explained = set(chosen.fp.known)
    appended = []
    for c in candidates:
        if c.fp.key == chosen.fp.key or c.coverage < cfg.appended_min_coverage:
            continue
        new = len((features.sampled & c.fp.body) - explained)
        if new >= cfg.appended_min_new_share * len(c.fp.body):
            appended.append(c.fp)
            explained |= c.fp.known
    return appended


# --- how a text differs from the license it matched --------------------------------------------


def _catalog_entry(key: str):
    from openscope.catalog import load_catalog

    return load_catalog().get(key)


def license_name(key: str) -> str:
    entry = _catalog_entry(key)
    return entry.name if entry else key


def _changed_numbers(features: TextFeatures, fp: Fingerprint) -> list[tuple[NumberMention, str]]:
    changed = []
    for mention in features.numbers:
        known = fp.numbers.get(mention.context)
        if not known:
            continue
        value = number_value(mention.display)
        if all(number_value(k) != value for k in known):
            changed.append((mention, " or ".join(sorted(known))))
    return changed


def _novel_runs(features: TextFeatures, known: frozenset[int], params: FingerprintParams) -> list[tuple[int, int, int]]:
    """Runs of shingles not in the license: (first token, last token + 1, estimated new words)."""
    below = params.sample_below
    n = params.shingle_words
    side_slack = params.sample_one_in - 1  # expected unsampled known shingles at each edge of a run
    runs = []
    start = first_new = last_new = None
    shingles = features.shingles
    for i, h in enumerate([*shingles, None]):
        if not (h is None or (h < below and h in known)):
            if start is None:
                start = i
            if h < below:  # sampled and unknown: surely new
                first_new = i if first_new is None else first_new
                last_new = i
            continue
        if start is not None and first_new is not None:
            outer = i - start
            inner = last_new - first_new + 1
            length = (outer + min(outer, inner + 2 * side_slack)) / 2
            # Inside the text, k new words make k + n - 1 new shingles; at either end, only k.
            edges = (start == 0) + (i == len(shingles))
            words = max(1, round(length) - (n - 1) * (1 - edges))
            runs.append((start, i - 1 + n, words))
        start = first_new = last_new = None
    return runs


def _seams(features: TextFeatures, fp: Fingerprint, appended: list[Fingerprint], params: FingerprintParams):
    """Token spans where the text passes from the license to an appended document or back."""
    if not appended:
        return []
    others = frozenset().union(*(other.known for other in appended))
    below = params.sample_below
    seams = []
    last = None  # (position, which) of the last sampled shingle only one side knows
    for i, h in enumerate(features.shingles):
        if h >= below:
            continue
        which = (h in fp.known, h in others)
        if which[0] == which[1]:
            continue
        if last is not None and last[1] != which:
            seams.append((last[0], i + params.shingle_words))
        last = (i, which)
    return seams


def _overlaps(span: tuple[int, int], spans) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def describe_differences(
    features: TextFeatures,
    fp: Fingerprint,
    params: FingerprintParams,
    cfg: MatchSettings,
    appended: list[Fingerprint] = (),
) -> list[str]:
    """Human-readable ways the text differs from license `fp` (empty when it reads the same).

    `appended` are other known documents found in the text: one the license incorporates (its
    acceptable-use policy) is expected; any other is reported.
    """
    name = license_name(fp.key)
    n = params.shingle_words
    differences = []
    entry = _catalog_entry(fp.key)
    incorporated = set(entry.incorporates) if entry else set()
    for other in appended:
        if other.key not in incorporated:
            differences.append(f"also contains {license_name(other.key)}")
    known = fp.known.union(*(other.known for other in appended))
    known_sentences = fp.known_sentences.union(*(other.known_sentences for other in appended))
    changed = _changed_numbers(features, fp)
    for mention, old in changed:
        differences.append(f"number {old} -> {mention.display}")
    number_spans = [(m.start, m.end) for m, _ in changed]

    # New words at the seam between the license and an appended document are that document's
    # title, not a change; so are sentences across the seam (new to both documents).
    seams = _seams(features, fp, appended, params)
    runs = [
        r for r in _novel_runs(features, known, params)
        if not _overlaps(r[:2], number_spans) and not (r[2] <= cfg.seam_max_words and _overlaps(r[:2], seams))
    ]
    extra_words = sum(words for _, _, words in runs)
    reported_runs = [r[:2] for r in runs] if extra_words >= cfg.min_extra_words else []
    if reported_runs:
        differences.append(f"about {extra_words} words not in {name}")

    novel_sentences = [(s, e) for h, s, e in features.sentences if h not in known_sentences]
    expected = number_spans + reported_runs + seams
    reworded = [span for span in novel_sentences if not _overlaps(span, expected)]
    if reworded:
        differences.append(f"{len(reworded)} sentence{'s' if len(reworded) > 1 else ''} worded differently")

    present = {h for h, _, _ in features.sentences}
    missing_sentences = len(fp.sentences - present)
    missing_sampled = len(fp.body - features.sampled)
    edits = len(runs) + len(changed) + len(reworded)
    missing_words = round(missing_sampled / len(fp.body) * fp.body_words) - n * edits if fp.body else 0
    if missing_words >= cfg.min_missing_words:
        differences.append(f"about {missing_words} words of {name} missing")
    elif missing_sentences > len(novel_sentences):
        gone = missing_sentences - len(novel_sentences)
        differences.append(f"{gone} sentence{'s' if gone > 1 else ''} of {name} missing")
    return differences
