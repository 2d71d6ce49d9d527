"""License fingerprints: how a text is fingerprinted, the committed files, and the index over them.

A text's fingerprint is hashes and numbers only, never words: the SHA-256 of its normalised form, a
deterministic 1-in-N sample of its word-shingle hashes, its sentence hashes, and the numbers it
states with a hash of the words around each. Two generated files hold them (never edit by hand):

- `licenses/fingerprints.json`: the corpus texts, keyed by catalog key (scripts/build_fingerprints.py);
- `licenses/licensedb_fingerprints.json`: every text of ScanCode's LicenseDB, keyed by ScanCode key
  (scripts/build_licensedb.py). At load time a ScanCode key that the catalog links to one of its
  entries (`scancode_key`) takes that entry's key, so the catalog keeps precedence.

Format `openscope.fingerprints/2`: per text its key, source, word counts and SHA-256 digests; the
hashes as inverted lists (hash -> the texts holding it), which is also the index the fuzzy matcher
queries. Each list is three varint streams in base64: the gaps between the sorted distinct hashes,
how many texts hold each, and those texts' numbers (delta-coded within the list). Both files are
loaded together, once and only when a text is identified (numpy is imported then, not before).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from openscope.data import LICENSES_DIR, load_yaml
from openscope.errors import CatalogError
from openscope.license.normalize import SETTINGS_PATH, NormalizedText, normalize

FINGERPRINTS_PATH = LICENSES_DIR / "fingerprints.json"
LICENSEDB_FINGERPRINTS_PATH = LICENSES_DIR / "licensedb_fingerprints.json"
FORMAT = "openscope.fingerprints/2"
# The inverted lists of a file: which hashes of each text they hold.
LISTS = ("shingles", "tail_shingles", "sentences", "tail_sentences", "numbers")

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

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@functools.cache
def fingerprint_params() -> FingerprintParams:
    return FingerprintParams.from_dict(load_yaml(SETTINGS_PATH)["fingerprint"])


def settings_digest() -> str:
    """Digest of the settings that shape stored fingerprints: a file built with others is stale."""
    raw = load_yaml(SETTINGS_PATH)
    wanted = {"normalize": raw["normalize"], "fingerprint": fingerprint_params().as_dict()}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


# --- the features of one text ------------------------------------------------------------------


@dataclass(frozen=True)
class NumberMention:
    start: int  # token span of the number (with its scale word)
    end: int
    display: str  # "700 million", "1,000,000"
    context: int  # hash of the words around it


@dataclass
class TextFeatures:
    """Everything compared about one text; built the same way for known texts and for input."""

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
    below = params.sample_below
    if len(tokens) >= n:
        import numpy as np

        # _hash of every shingle: the CRCs in one pass of C calls, the mixing in numpy (a CRC times
        # _MIX stays below 2**64, so uint64 arithmetic gives _hash's values exactly).
        crcs = list(map(zlib.crc32, map(buf.__getitem__, map(slice, offsets, [o - 1 for o in offsets[n:]]))))
        mixed = (np.array(crcs, dtype=np.uint64) * np.uint64(_MIX)) & np.uint64(_MASK32)
        shingles = mixed.tolist()
        sampled = frozenset(mixed[mixed < below].tolist())
    else:
        shingles = [_hash(buf)] if tokens else []
        sampled = frozenset(h for h in shingles if h < below)
    sentences = [
        (_hash(buf[offsets[s]:offsets[e] - 1]), s, e)
        for s, e in norm.sentences
        if e - s >= params.min_sentence_words
    ]
    return TextFeatures(
        norm=norm,
        shingles=shingles,
        sentences=sentences,
        numbers=_numbers(tokens, params.number_context_words),
        sampled=sampled,
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


@dataclass(frozen=True)
class StoredText:
    """What is stored about one known text (the builder's side of a fingerprint)."""

    key: str
    source: str
    words: int
    body_words: int
    sha256: str
    body_sha256: str | None
    lists: dict  # list name -> sorted hashes ("numbers": sorted (context hash, display) pairs)


def stored_text(key: str, source: str, features: TextFeatures, params: FingerprintParams) -> StoredText:
    """Split a text's features into its body and its optional tail (licenses/identification.yaml)."""
    norm = features.norm
    below = params.sample_below
    body_count = max(0, norm.tail_start - params.shingle_words + 1)
    body = {h for h in features.shingles[:body_count] if h < below}
    tail = {h for h in features.shingles[body_count:] if h < below} - body
    body_sentences = {h for h, s, e in features.sentences if e <= norm.tail_start}
    tail_sentences = {h for h, s, e in features.sentences if e > norm.tail_start} - body_sentences
    has_tail = norm.tail_start < len(norm.tokens)
    return StoredText(
        key=key, source=source, words=len(norm.tokens), body_words=norm.tail_start,
        sha256=sha256_text(norm.tokens),
        body_sha256=sha256_text(norm.tokens[:norm.tail_start]) if has_tail else None,
        lists={"shingles": sorted(body), "tail_shingles": sorted(tail), "sentences": sorted(body_sentences),
               "tail_sentences": sorted(tail_sentences),
               "numbers": sorted({(m.context, m.display) for m in features.numbers})},
    )


# --- the file format ---------------------------------------------------------------------------


def _varints(values) -> bytes:
    out = bytearray()
    for v in values:
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
    return bytes(out)


def _pack(values) -> str:
    return base64.b64encode(_varints(values)).decode("ascii")


def _pack_list(rows: list[list], with_values: bool = False) -> dict:
    """One inverted list: rows[i] holds the hashes of text i (or (hash, value) pairs)."""
    pairs = sorted((item, i) if not with_values else (item[0], i, item[1])
                   for i, row in enumerate(rows) for item in row)
    hash_gaps, counts, owners, values = [], [], [], []
    last_hash = last_owner = None
    for pair in pairs:
        h, owner = pair[0], pair[1]
        if h != last_hash:
            hash_gaps.append(h if last_hash is None else h - last_hash)
            counts.append(1)
            owners.append(owner)
            last_hash = h
        else:
            counts[-1] += 1
            owners.append(owner - last_owner)
        last_owner = owner
        if with_values:
            values.append(pair[2])
    packed = {"postings": len(pairs), "hashes": _pack(hash_gaps), "counts": _pack(counts), "texts": _pack(owners)}
    if with_values:
        packed["values"] = _pack(values)
    return packed


def pack(texts: list[StoredText], params: FingerprintParams, origin: str) -> dict:
    """The file's content for `texts` (sorted by key, then source): deterministic, byte for byte."""
    texts = sorted(texts, key=lambda t: (t.key, t.source))
    displays = sorted({d for t in texts for _, d in t.lists["numbers"]})
    display_id = {d: i for i, d in enumerate(displays)}
    lists = {name: _pack_list([t.lists[name] for t in texts]) for name in LISTS if name != "numbers"}
    lists["numbers"] = _pack_list([[(c, display_id[d]) for c, d in t.lists["numbers"]] for t in texts],
                                  with_values=True)
    columns = {
        "key": [t.key for t in texts],
        "words": [t.words for t in texts],
        "body_words": [t.body_words for t in texts],
        "sha256": [t.sha256 for t in texts],
        "body_sha256": [t.body_sha256 for t in texts],
    }
    if any(t.source != t.key for t in texts):
        columns["source"] = [t.source for t in texts]
    return {"format": FORMAT, "origin": origin, "params": params.as_dict(), "settings_sha256": settings_digest(),
            "texts": len(texts), "columns": columns, "number_displays": displays, "lists": lists}


def dump(data: dict) -> str:
    """One line per field, so a diff shows which part changed."""
    lines = ["{"]
    items = list(data.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(v, dict) and k in ("columns", "lists"):
            inner = [f"    {json.dumps(ik)}: {json.dumps(iv, separators=(',', ':'), sort_keys=True)}"
                     for ik, iv in v.items()]
            lines.append(f"  {json.dumps(k)}: {{\n" + ",\n".join(inner) + f"\n  }}{comma}")
        else:
            lines.append(f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True, separators=(',', ':'))}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- the index ---------------------------------------------------------------------------------


def _decode_varints(text: str):
    import numpy as np

    raw = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    ends = np.flatnonzero(raw < 0x80)  # the last byte of each value
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    values = (raw[starts] & 0x7F).astype(np.int64)
    more = np.flatnonzero(ends > starts)  # values longer than one byte (few): one pass per byte
    shift = 7
    while more.size:
        at = starts[more] + shift // 7
        values[more] |= (raw[at] & 0x7F).astype(np.int64) << shift
        more = more[ends[more] > at]
        shift += 7
    return values


class Postings:
    """An inverted list over known texts: for each hash, which texts hold it.

    Kept as one chunk per file (each sorted by hash), so loading never re-sorts; a query asks each.
    """

    def __init__(self, chunks: list[tuple], size: int):
        self.chunks = chunks  # (hashes, texts, values or None): one entry per (hash, text) posting
        self.size = size  # number of texts

    @staticmethod
    def unpack(raw: dict, text_offset: int = 0, value_offset: int = 0) -> tuple:
        """One file's list as a chunk; texts numbered from `text_offset`, values from `value_offset`."""
        import numpy as np

        gaps, counts, deltas = (_decode_varints(raw[k]) for k in ("hashes", "counts", "texts"))
        if len(deltas) != raw["postings"] or counts.sum() != raw["postings"]:
            raise ValueError("posting counts disagree")
        hashes = np.repeat(np.cumsum(gaps), counts).astype(np.uint32)
        running = np.concatenate(([0], np.cumsum(deltas)))
        first = np.cumsum(counts) - counts  # where each hash's list starts
        texts = (running[1:] - np.repeat(running[first], counts) + text_offset).astype(np.int32)
        values = _decode_varints(raw["values"]) + value_offset if "values" in raw else None
        return hashes, texts, values

    def count(self, query):
        """Per known text, how many of the hashes in `query` (a sorted array of distinct values) it holds."""
        import numpy as np

        total = np.zeros(self.size, dtype=np.int64)
        for hashes, texts, _ in self.chunks:
            lo = np.searchsorted(hashes, query, side="left")
            hi = np.searchsorted(hashes, query, side="right")
            lengths = hi - lo
            n = int(lengths.sum())
            if n:
                ends = np.cumsum(lengths)
                positions = np.arange(n) + np.repeat(lo - (ends - lengths), lengths)
                total += np.bincount(texts[positions], minlength=self.size)
        return total

    def sizes(self):
        import numpy as np

        return sum(np.bincount(texts, minlength=self.size) for _, texts, _ in self.chunks)

    @functools.cached_property
    def _by_text(self) -> list:
        """Per chunk: its postings ordered by text, and where each text starts."""
        import numpy as np

        out = []
        for _, texts, _ in self.chunks:
            # Fewer than 65,536 texts: as uint16 the stable sort is a radix sort, a few milliseconds.
            order = np.argsort(texts.astype(np.uint16 if self.size < 65536 else np.int64), kind="stable")
            out.append((order, np.searchsorted(texts[order], np.arange(self.size + 1))))
        return out

    def of(self, i: int):
        """The postings of text i: (hashes, values or None)."""
        import numpy as np

        hashes, values = [], []
        for (chunk_hashes, _, chunk_values), (order, starts) in zip(self.chunks, self._by_text):
            positions = order[starts[i]:starts[i + 1]]
            hashes.append(chunk_hashes[positions])
            if chunk_values is not None:
                values.append(chunk_values[positions])
        return np.concatenate(hashes), np.concatenate(values) if values else None


@dataclass(frozen=True)
class Fingerprint:
    """One known text, as the matchers compare it."""

    index: int
    key: str  # catalog key, else the ScanCode key (its report id)
    source: str  # corpus id or ScanCode key
    origin: str  # "corpus" | "licensedb"
    words: int
    body_words: int
    body: frozenset[int]  # sampled shingles of the body
    known: frozenset[int]  # sampled shingles of the whole text, optional tail included
    sentences: frozenset[int]  # body sentences
    known_sentences: frozenset[int]
    numbers: dict = field(default_factory=dict)  # context hash -> set of displays


class FingerprintSet:
    """Every known text: their facts in arrays, the inverted lists, the exact-hash table."""

    def __init__(self, params: FingerprintParams, columns: dict, origins: list[str], lists: dict,
                 displays: list[str], preference=None):
        """`preference(key, source, origin)` orders texts: among equal digests the first one answers."""
        import numpy as np

        self.params = params
        self.keys: list[str] = columns["key"]
        self.sources: list[str] = columns["source"]
        self.origins = origins
        self.words = np.asarray(columns["words"], dtype=np.int64)
        self.body_words = np.asarray(columns["body_words"], dtype=np.int64)
        self.lists: dict[str, Postings] = lists
        self.displays = displays
        self.size = len(self.keys)
        self.body_sizes = lists["shingles"].sizes()
        self.known_sizes = self.body_sizes + lists["tail_shingles"].sizes()
        self.sentence_sizes = lists["sentences"].sizes()
        # Among texts with the same digest, the preferred one answers an exact match (catalog first).
        order = sorted(range(self.size), key=lambda i: (
            preference(self.keys[i], self.sources[i], origins[i]) if preference else (), i))
        self.rank = [0] * self.size  # position in that order: the last tie-break between candidates
        self.by_hash: dict[str, list[int]] = {}  # digest -> texts with it, preferred first
        for position, i in enumerate(order):
            self.rank[i] = position
            for digest in (columns["sha256"][i], columns["body_sha256"][i]):
                if digest:
                    self.by_hash.setdefault(digest, []).append(i)
        self._fingerprints: dict[int, Fingerprint] = {}

    def __len__(self) -> int:
        return self.size

    def fingerprint(self, i: int) -> Fingerprint:
        found = self._fingerprints.get(i)
        if found is None:
            found = self._fingerprints[i] = self._materialise(i)
        return found

    def _materialise(self, i: int) -> Fingerprint:
        def hashes(name: str) -> frozenset[int]:
            return frozenset(self.lists[name].of(i)[0].tolist())

        body, sentences = hashes("shingles"), hashes("sentences")
        numbers: dict[int, set[str]] = {}
        contexts, values = self.lists["numbers"].of(i)
        for context, value in zip(contexts.tolist(), values.tolist()):
            numbers.setdefault(context, set()).add(self.displays[value])
        return Fingerprint(
            index=i, key=self.keys[i], source=self.sources[i], origin=self.origins[i],
            words=int(self.words[i]), body_words=int(self.body_words[i]),
            body=body, known=body | hashes("tail_shingles"),
            sentences=sentences, known_sentences=sentences | hashes("tail_sentences"), numbers=numbers,
        )

    def by_key(self, key: str) -> list[Fingerprint]:
        return [self.fingerprint(i) for i, k in enumerate(self.keys) if k == key]


def read_file(path: Path) -> dict:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: cannot read fingerprints ({exc})") from None
    return raw


def fingerprint_set(*files: dict, rename=None, preference=None) -> FingerprintSet:
    """One set over the content of fingerprint files. `rename(origin, key)` gives the key a text is
    reported under; `preference(key, source, origin)` orders texts (FingerprintSet)."""
    if not files:
        raise CatalogError("no fingerprint files")
    params = None
    columns: dict[str, list] = {"key": [], "source": [], "sha256": [], "body_sha256": [], "words": [],
                                "body_words": []}
    origins: list[str] = []
    displays: list[str] = []
    parts: dict[str, list] = {name: [] for name in LISTS}
    offsets = []
    for raw in files:
        name = raw.get("origin", "?")
        if raw.get("format") != FORMAT:
            raise CatalogError(f"{name} fingerprints: expected format {FORMAT!r}; re-run the scripts in scripts/")
        file_params = FingerprintParams.from_dict(raw["params"])
        if params is not None and file_params != params:
            raise CatalogError(f"{name} fingerprints were built with other settings; re-run the scripts in scripts/")
        params = file_params
        cols = raw["columns"]
        offsets.append((len(columns["key"]), len(displays)))
        keys = cols["key"]
        sources = cols.get("source") or keys
        columns["source"].extend(sources)
        columns["key"].extend(rename(raw.get("origin"), k) if rename else k for k in keys)
        for k in ("sha256", "body_sha256", "words", "body_words"):
            columns[k].extend(cols[k])
        origins.extend([raw.get("origin", "?")] * len(keys))
        displays.extend(raw["number_displays"])
    size = len(columns["key"])
    for raw, (text_offset, value_offset) in zip(files, offsets):
        for name in LISTS:
            try:
                parts[name].append(Postings.unpack(raw["lists"][name], text_offset, value_offset))
            except (KeyError, ValueError, TypeError) as exc:
                raise CatalogError(f"{raw.get('origin', '?')} fingerprints: list {name!r} unreadable ({exc}); "
                                   "re-run the scripts in scripts/") from None
    lists = {name: Postings(parts[name], size) for name in LISTS}
    return FingerprintSet(params, columns, origins, lists, displays, preference)
