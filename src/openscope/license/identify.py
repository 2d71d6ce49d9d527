"""License identification: an ordered chain of matchers, cheap to fuzzy.

Known texts are the corpus texts and every text of ScanCode's LicenseDB (license/fingerprints.py);
a match names a catalog key where the catalog holds the license, else the ScanCode key.

1. exact: the SHA-256 of the normalised text equals that of a known text (confidence 1.0). Among
   known texts with the same digest, the catalog's comes first, then a current ScanCode key.
2. fingerprint: the text's sampled word-shingle hashes are looked up in the inverted index; per
   known text that gives coverage (how much of the license is in the text), purity (how much of the
   text is in the license), their Sørensen–Dice mean and a coverage-weighted score. The license
   most present in the text wins.
3. siblings: candidates close to the best (close versions, variants of one license) are told
   apart by their sentences: unsampled hashes, so one changed word in a sentence counts.
Then the chosen license is compared with the text in detail (numbers in context, runs of new
shingles, sentence hashes, other known documents appended) to report whether, and how, the text
differs from it (`modified`, `differences`). A modified text's confidence stays below
`match.confident` (licenses/identification.yaml): it reads like the license, it is not known to be it.

Thresholds live in licenses/identification.yaml (`match`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field

from openscope.data import load_yaml
from openscope.license.fingerprints import (
    FINGERPRINTS_PATH,
    LICENSEDB_FINGERPRINTS_PATH,
    Fingerprint,
    FingerprintParams,
    FingerprintSet,
    NumberMention,
    TextFeatures,
    fingerprint_set,
    number_value,
    read_file,
    sha256_text,
    text_features,
)
from openscope.license.normalize import SETTINGS_PATH, NormalizedText
from openscope.types import Identification


@functools.cache
def load_fingerprints() -> FingerprintSet:
    """The corpus and LicenseDB fingerprints as one set, loaded once, on the first identification."""
    from openscope.catalog import licensedb_entry, load_catalog

    catalog = load_catalog()
    files = [read_file(FINGERPRINTS_PATH)]
    if LICENSEDB_FINGERPRINTS_PATH.exists():
        files.append(read_file(LICENSEDB_FINGERPRINTS_PATH))

    def rename(origin: str, key: str) -> str:
        return catalog.scancode_id(key) if origin == "licensedb" else key

    def preference(key: str, source: str, origin: str) -> tuple:
        facts = licensedb_entry(source) if origin == "licensedb" else None
        return (key not in catalog.entries, origin != "corpus", bool(facts and facts.is_deprecated), key, source)

    return fingerprint_set(*files, rename=rename, preference=preference)


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
    confident: float
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
    fps: FingerprintSet = field(repr=False)
    index: int
    found: int  # sampled shingles of the license found in the text
    coverage: float  # share of the license found in the text
    purity: float  # share of the text found in the license
    dice: float
    score: float

    @property
    def fp(self) -> Fingerprint:
        return self.fps.fingerprint(self.index)

    @property
    def key(self) -> str:
        return self.fps.keys[self.index]


def _query(hashes):
    """A sorted numpy array of distinct hashes, as the index is queried."""
    import numpy as np

    return np.array(sorted(hashes), dtype=np.uint32)


def _candidates(features: TextFeatures, fps: FingerprintSet, cfg: MatchSettings,
                excluded: Collection[int] = ()) -> list[Candidate]:
    """Known texts sharing shingles with the text that could be its license or an appended document."""
    import numpy as np

    sampled = features.sampled
    if not sampled:
        return []
    query = _query(sampled)
    in_body = fps.lists["shingles"].count(query)
    in_known = in_body + fps.lists["tail_shingles"].count(query)
    body_sizes = fps.body_sizes
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(body_sizes > 0, in_body / np.maximum(body_sizes, 1), 0.0)
    purity = in_known / len(sampled)
    score = coverage ** cfg.score_coverage_exponent * purity ** cfg.score_purity_exponent
    wanted = (in_body > 0) & ((score >= cfg.min_score) | (coverage >= cfg.appended_min_coverage))
    if excluded:
        wanted[list(excluded)] = False
    found = []
    for i in np.flatnonzero(wanted).tolist():
        cov, pur = float(coverage[i]), float(purity[i])
        found.append(Candidate(fps, i, int(in_body[i]), cov, pur, 2 * cov * pur / (cov + pur), float(score[i])))
    # The license most present in the text comes first: a text holding one license whole and
    # another document after it (a policy, a rider) is about the license, not the appendix.
    found.sort(key=lambda c: (-c.found, -c.score, fps.rank[c.index]))
    return found


def _sentence_agreement(c: Candidate, sentences: frozenset[int]) -> float:
    """Dice of the share of the license's sentences in the text and of the text's in the license."""
    fp = c.fp
    if not sentences or not fp.known_sentences:
        return 0.5  # nothing to compare: neutral
    coverage = len(sentences & fp.sentences) / len(fp.sentences) if fp.sentences else 0.0
    purity = len(sentences & fp.known_sentences) / len(sentences)
    return 2 * coverage * purity / (coverage + purity) if coverage + purity else 0.0


def _break_tie(candidates: list[Candidate], features: TextFeatures, near_tie: float) -> Candidate:
    """Among candidates finding nearly as much of their license as the best, the one whose sentences
    the text shares most (sentences are hashed whole: a changed word shows, sampling cannot hide it)."""
    best = candidates[0]
    close = [c for c in candidates if c.found >= best.found * (1 - near_tie)]
    if len(close) == 1:
        return best
    sentences = frozenset(h for h, _, _ in features.sentences)
    return min(close, key=lambda c: (-round(_sentence_agreement(c, sentences), 9), -c.score, c.fps.rank[c.index]))


def identify_text(text: str | NormalizedText, *, fingerprints: FingerprintSet | None = None,
                  exclude: Collection[str] = ()) -> Identification | None:
    """Identify `text` against the known license fingerprints; None when unidentified or empty.

    `exclude` names keys to leave out (leave-one-out measurement: how would a text be read if its
    own license were not known?).
    """
    fps = fingerprints or load_fingerprints()
    features = text_features(text, fps.params)
    if not features.norm.tokens:
        return None
    excluded = {i for i, k in enumerate(fps.keys) if k in exclude} if exclude else set()
    digest = sha256_text(features.norm.tokens)
    exact = [i for i in fps.by_hash.get(digest, ()) if i not in excluded]
    if exact:
        return Identification(key=fps.keys[exact[0]], confidence=1.0, method="exact")
    cfg = match_settings()
    candidates = _candidates(features, fps, cfg, excluded)
    plausible = [c for c in candidates if c.score >= cfg.min_score]
    if not plausible:
        return None
    chosen = _break_tie(plausible, features, cfg.near_tie)
    appended = _appended_documents(features, chosen, candidates, cfg)
    differences = describe_differences(features, chosen.fp, fps.params, cfg, appended)
    if differences:
        confidence = min(chosen.score * cfg.modified_confidence_factor, cfg.confident - 0.01)
    else:
        confidence = max(cfg.unmodified_min_confidence, min(0.99, chosen.dice))
    return Identification(
        key=chosen.key,
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
        if c.key == chosen.key or c.coverage < cfg.appended_min_coverage:
            continue
        fp = c.fp
        new = len((features.sampled & fp.body) - explained)
        if new >= cfg.appended_min_new_share * len(fp.body):
            appended.append(fp)
            explained |= fp.known
    return appended


# --- how a text differs from the license it matched --------------------------------------------


def _catalog_entry(key: str):
    from openscope.catalog import load_catalog

    return load_catalog().known(key)


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
