"""Release statements and component links in a card sentence: is the training code / data released?

Two readers, both driven by the `release` section of `cardrules/components.yaml` (its comment says
how a statement is read):

- `release_findings`: a release verb or predicate with the list of things it releases
  ("we release all code, data and checkpoints", "the scripts and the data mix are public",
  "fully open: public data mixture and training configs"), read item by item;
- `link_findings`: an item that names a component right beside a URL of the right kind
  ("Training code (https://github.com/...)", "the SFT dataset here: https://huggingface.co/datasets/...");
- `table_findings`: a table row whose first cell names a component and whose other cells say whether
  and where it is released ("Training code | yes | https://github.com/...").

Each returns (component, status, rule) triples for `training_code` and `training_data`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from openscope.card.cues import URL_CUE, Cue, words_cue
from openscope.card.rules import component_rules
from openscope.card.sentences import lower_words, tokens, url_flags

TRAINING = ("training_code", "training_data")


@dataclass(frozen=True)
class _Vocab:
    words: dict  # name -> frozenset of lower-case words
    nouns: dict
    not_training: dict
    hosts: dict
    document_hosts: tuple
    restricted_patterns: tuple
    window: int

    def __getattr__(self, name):
        try:
            return self.__dict__["words"][name]
        except KeyError:
            raise AttributeError(name) from None


_PREPOSITIONS = frozenset({"for", "of", "by", "with", "after", "before", "about", "on", "in", "at", "from", "without",
                           "upon", "like", "than", "as", "into", "onto", "over", "under"})
_ORDER = {"closed": 0, "restricted": 1, "open": 2}


@functools.cache
def vocab() -> _Vocab:
    raw = component_rules()["release"]
    words = {k: frozenset(str(w).lower() for w in v) for k, v in raw.items()
             if isinstance(v, list) and k not in ("restricted_patterns", "document_hosts")}
    return _Vocab(
        words=words,
        document_hosts=tuple(re.compile(p, re.I) for p in raw.get("document_hosts", [])),
        nouns={c: frozenset(raw["nouns"][c]) for c in TRAINING},
        not_training={c: frozenset(raw["not_training"][c]) for c in TRAINING},
        hosts={c: tuple(re.compile(p, re.I) for p in raw["hosts"][c]) for c in TRAINING},
        restricted_patterns=tuple(re.compile(p, re.I) for p in raw.get("restricted_patterns", [])),
        window=int(raw.get("window", 7)),
    )


def _clauses(words: list[str]) -> list[tuple[int, int]]:
    """Clause bounds: ";" and contrastive words ("but", "except") end a clause."""
    v = vocab()
    bounds, start = [], 0
    for i, w in enumerate(words):
        if w == ";" or (w in v.clause_breaks and i > start):
            if i > start:
                bounds.append((start, i))
            start = i + 1 if w == ";" else i
    if start < len(words):
        bounds.append((start, len(words)))
    return bounds


def _items(words: list[str], lo: int, hi: int) -> list[tuple[int, int]]:
    """Cut a list of things into items at commas and joining words; a parenthesis stays with its item
    ("logs (coming soon)")."""
    v = vocab()
    items, start, depth = [], lo, 0
    for i in range(lo, hi):
        depth += (words[i] == "(") - (words[i] == ")")
        if depth <= 0 and (words[i] in (",", "/", ":") or words[i] in v.item_joins):
            if i > start:
                items.append((start, i))
            start = i + 1
            depth = 0
    if hi > start:
        items.append((start, hi))
    return items


def _head(words: list[str], lo: int, hi: int) -> tuple[str | None, bool]:
    """(component, explicit) an item names: its last component noun decides; `explicit` when the item
    itself says it is for training ("training code", "pretraining data"). None for other things."""
    v = vocab()
    head, head_at = None, -1
    for i in range(lo, hi):
        for comp in TRAINING:
            if words[i] in v.nouns[comp]:
                head, head_at = comp, i
    if head is None or any(w in v.about for w in words[head_at + 1:hi]):
        return None, False  # "the data card", "the code license": about the thing, not the thing
    item = set(words[lo:hi])
    if item & v.training_words:
        return head, True  # "core repo (training, inference, finetuning)": training is named outright
    if item & v.not_training[head]:
        return None, False
    return head, False


def _component(words: list[str], lo: int, hi: int, sentence_words: set[str], whole: bool = False) -> str | None:
    """Which training component an item of a release statement names: a bare "code" or "data" counts
    only as part of a whole ("all code", "data and code are all public") or in a sentence about training."""
    v = vocab()
    head, explicit = _head(words, lo, hi)
    if head is None:
        return None
    if explicit or whole or set(words[lo:hi]) & v.whole or sentence_words & v.training_context:
        return head
    return None


class _Reader:
    """One sentence's tokens, read clause by clause."""

    def __init__(self, text: str, model_id: str | None = None):
        self.text = text
        self.model_id = model_id
        self.doc = tokens(text)
        self.words = lower_words(self.doc)
        self.sentence_words = set(self.words)
        self.found: dict[str, tuple[str, str]] = {}

    def note(self, item: tuple[int, int], clause: tuple[int, int], trigger: int, rule: str,
             negated: bool = False, whole: bool = False, allowed: frozenset | None = None) -> None:
        comp = _component(self.words, item[0], item[1], self.sentence_words, whole)
        if comp is None or (allowed is not None and comp not in allowed):
            return
        status = self.status(clause, item, trigger, negated)
        if status is None:
            return
        prev = self.found.get(comp)
        # Within a sentence a closed reading wins: "we release X but not Y" must not open Y.
        if prev is None or _ORDER[status] < _ORDER[prev[0]]:
            self.found[comp] = (status, rule)

    def status(self, clause, item, trigger, negated) -> str | None:
        """open / closed / restricted for one item; None when the release is only promised."""
        v, words = vocab(), self.words
        lo, hi = clause
        item_words = set(words[item[0]:item[1]])
        clause_words = set(words[lo:hi])
        lead = set(words[lo:trigger + 1])
        if (item_words | lead) & v.future:
            return None
        if negated or lead & v.negations or set(words[max(lo, item[0] - 2):item[0]]) & v.negations \
                or item_words & {"not", "n't", "no"}:
            return "closed"
        after = words[trigger + 1:hi]
        if words[trigger] in v.predicates and set(after[:2]) & {"in", "within"} and set(after[:6]) & v.described_in:
            return None  # "available in the paper": described, not released
        clause_text = " ".join(words[lo:hi])
        if clause_words & v.restricted or any(p.search(clause_text) for p in v.restricted_patterns):
            return "restricted"
        return "open"

    def active_ok(self, lo: int, i: int) -> bool:
        """A release verb used as a verb: not adjectival ("the recently released X"), not after a preposition."""
        v, words = vocab(), self.words
        j = i - 1
        while j >= lo and words[j] in v.adverbs - {"all", "both", "each", "every"}:
            j -= 1
        return j < lo or (words[j] not in v.adjectival and words[j] not in _PREPOSITIONS)

    def object_end(self, start: int, hi: int) -> int:
        v = vocab()
        return next((i for i in range(start, hi) if self.words[i] in v.object_ends or self.words[i] in ".!?"), hi)

    def label_mark(self, i: int, hi: int) -> int | None:
        """Where the list after an openness label starts: "fully open: ...", "fully open model (...)"."""
        v = vocab()
        for k in range(i + 1, min(hi, i + 4)):
            if self.words[k] in v.label_marks:
                return k
            if self.words[k] not in v.label_nouns:
                return None
        return None

    def passive_link(self, lo: int, i: int) -> int | None:
        """Where the linking verb of a passive predicate at `i` is ("the data is publicly available")."""
        v, words = vocab(), self.words
        j = i - 1
        while j > lo and (words[j] in v.adverbs or words[j] in ("not", "n't", "yet")):
            j -= 1
        return j if j >= lo and words[j] in v.links else None

    def located_at(self, lo: int, i: int, hi: int) -> tuple[int, frozenset] | None:
        """"The trainer, the configs and the scripts are at <URL>": a linking verb at `i`, a place word
        and a URL right after it. (where the URL is, the components its address can hold), or None. A
        repository counts only when it is the model's own; a dataset address for data."""
        v, words = vocab(), self.words
        if words[i] not in v.located_verbs or i == lo:
            return None
        k = i + 1
        while k < hi and k <= i + 2 and words[k] in v.adverbs:
            k += 1
        if k + 1 >= hi or words[k] not in v.located_at:
            return None
        url = k + 1 + (words[k + 1] == "(")
        if url >= hi or not url_flags(self.doc)[url]:
            return None
        host = _host_kind(self.doc[url].text)
        if host == "training_code" and not _own_repo(_as_url(self.doc[url].text), self.model_id):
            return None
        return (url, frozenset({host})) if host in TRAINING else None

    def read(self) -> list[tuple[str, str, str]]:
        v, words = vocab(), self.words
        if not self.sentence_words & (v.nouns["training_code"] | v.nouns["training_data"]):
            return []
        carried = None  # the previous clause's release verb, for "... but not the data"
        for lo, hi in _clauses(words):
            triggered = False
            for i in range(lo, hi):
                w = words[i]
                if w in v.predicates and (j := self.passive_link(lo, i)) is not None:
                    negated = any(x in ("not", "n't") for x in words[j:i])
                    # "data, code and weights are all public": the quantifier floats after the verb.
                    floating = bool(set(words[j:i]) & v.whole)
                    for item in _items(words, lo, j):
                        self.note(item, (lo, hi), i, "release-statement", negated, floating)
                    if i + 2 < hi and words[i + 1] == "," and words[i + 2] == "including":
                        for item in _items(words, i + 3, self.object_end(i + 3, hi)):
                            self.note(item, (lo, hi), i, "release-statement", negated)
                    triggered = True
                elif (place := self.located_at(lo, i, hi)) is not None:
                    for item in _items(words, lo, i):
                        self.note(item, (lo, hi), i, "release-statement", allowed=place[1])
                    triggered = True
                elif w in v.verbs and self.active_ok(lo, i):
                    for item in _items(words, i + 1, self.object_end(i + 1, hi)):
                        self.note(item, (lo, hi), i, "release-statement")
                    triggered = carried = True
                elif w in v.access_verbs and set(words[max(lo, i - 3):i]) & v.modals:
                    # "you can download the pretraining corpus": what anyone may fetch is released.
                    for item in _items(words, i + 1, self.object_end(i + 1, hi)):
                        self.note(item, (lo, hi), i, "release-statement")
                    triggered = carried = True
                elif w in v.make_verbs:
                    end = next((k for k in range(i + 1, min(hi, i + 25)) if words[k] in v.predicates), None)
                    if end is not None:
                        for item in _items(words, i + 1, end):
                            self.note(item, (lo, hi), i, "release-statement")
                        triggered = carried = True
                elif w in v.label_words and i > lo and words[i - 1] in v.label_adverbs \
                        and (mark := self.label_mark(i, hi)) is not None:
                    for item in _items(words, mark + 1, hi):
                        self.note(item, (lo, hi), i, "openness-label")
                    triggered = True
            if not triggered and carried and words[lo] in v.clause_breaks:
                # "We release the weights but not the training data": the verb carries over.
                negated = bool(set(words[lo:min(hi, lo + 3)]) & v.negations)
                for item in _items(words, lo + 1, self.object_end(lo + 1, hi)):
                    self.note(item, (lo, hi), lo, "release-statement", negated)
        return [(comp, status, rule) for comp, (status, rule) in self.found.items()]


@functools.cache
def _noun_cue() -> Cue:
    return words_cue(vocab().nouns["training_code"] | vocab().nouns["training_data"])


@functools.cache
def _url_cue() -> Cue:
    return Cue(URL_CUE)


def release_findings(text: str, model_id: str | None = None) -> list[tuple[str, str, str]]:
    """(component, status, rule) for every training component a release statement in `text` speaks of.
    `model_id` tells the model's own repositories ("... are at <its repository>")."""
    if not _noun_cue()(text):
        return []  # a statement reads only a sentence naming a component noun (`_Reader.read`)
    return _Reader(text, model_id).read()


def _host_kind(url: str) -> str | None:
    """training_code / training_data for a URL on a host of that kind, "document" for a paper, else None."""
    if any(p.search(url) for p in vocab().document_hosts):
        return "document"
    for comp in TRAINING:
        if any(p.search(url) for p in vocab().hosts[comp]):
            return comp
    return None


_LEAD_INS = ("(", ":", "-", "here", "at", "in", "on", "is", "are", "found", "available", "see", "via", "from", "under")
_ITEM_ENDS = (",", ";", ".", "|", "and", "&")


def _label_before(doc, words: list[str], i: int, window: int) -> tuple[int, int]:
    """The item right before the URL at `i`: back over lead-ins ("here:", "at"), to a comma, "and" or
    another URL; a parenthesis is part of the item ("Core repo (training, inference)")."""
    j = i - 1
    while j >= 0 and (words[j] in _LEAD_INS or set(words[j]) <= set("(:-")):
        j -= 1
    lo, depth, outside, inside = j, 0, 0, 0
    while lo >= 0 and outside < window and inside < 2 * window and not doc[lo].like_url:
        depth += words[lo].count(")") - words[lo].count("(")  # spaCy may keep "):" as one token
        if depth <= 0 and words[lo] in _ITEM_ENDS:
            break
        if depth > 0:
            inside += 1
        else:
            outside += 1
        lo -= 1
    return lo + 1, j + 1


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _own_repo(url: str, model_id: str | None) -> bool:
    """A repository of the model's own organisation (or of a sibling account of it: HuggingFaceTB's code
    under huggingface/, Qwen's under QwenLM/), or one named after the model."""
    m = re.search(r"(?:github\.com|gitlab\.com)/([^/\s]+)/([^/\s#?]+)", url, re.I)
    if not m or not model_id or "/" not in model_id:
        return False
    org, name = model_id.split("/", 1)
    repo, host_org, hub_org = _squash(m[2]), _squash(m[1]), _squash(org)
    shorter = min(host_org, hub_org, key=len)
    sibling = len(shorter) >= 4 and (host_org.startswith(hub_org) or hub_org.startswith(host_org))
    return m[1].lower() == org.lower() or sibling or (
        len(repo) >= 4 and (_squash(name).startswith(repo) or hub_org == repo))


def link_findings(text: str, model_id: str | None = None) -> list[tuple[str, str, str]]:
    """(component, "open", rule) for items that name a training component right beside a URL of its kind.

    A label that says outright it is training code or data counts beside a URL of its kind (or of no
    known kind); a bare "Dataset" label counts beside a dataset URL; a bare "Code" or "Repository"
    label in a sentence about training, or as a list entry of its own beside a repository of the
    model's own organisation ("Code: https://github.com/<org>/...")."""
    if not _url_cue()(text):
        return []  # every finding sits beside a URL
    doc = tokens(text)
    flags = url_flags(doc)
    if not any(flags):
        return []
    v = vocab()
    words = lower_words(doc)
    sentence_words = set(words)
    found: dict[str, str] = {}
    for i in [i for i, is_url in enumerate(flags) if is_url]:
        tok = doc[i]
        host = _host_kind(tok.text)
        after_lo = i + 1 + (1 if i + 1 < len(words) and words[i + 1] == ")" else 0)
        spans = [_label_before(doc, words, i, v.window), (after_lo, min(len(words), after_lo + 2))]
        clause_lo = max((k for k in range(i) if words[k] in (";", ".")), default=-1) + 1
        clause_words = set(words[clause_lo:i])
        if clause_words & v.future or clause_words & {"not", "n't", "no", "never"}:
            continue
        for n, (lo, hi) in enumerate(spans):
            if hi <= lo:
                continue
            comp, explicit = _head(words, lo, hi)
            if comp is None or host not in (comp, None):
                continue
            if host == "training_code" and not _own_repo(tok.text, model_id):
                continue  # someone else's repository is a tool the model was trained with, not its code
            if explicit:
                found.setdefault(comp, "component-link")
            elif host == comp and (comp == "training_data" or set(words[lo:hi]) & v.whole
                                   or sentence_words & v.training_context):
                found.setdefault(comp, "component-link")
            elif host == comp and n == 0 and lo == 0 and len(words) <= 12 and _own_repo(tok.text, model_id):
                # A bare "Code: <own repository>" entry in a list of the model's resources.
                found.setdefault(comp, "component-link")
        if host == "training_data" and "training_data" not in found \
                and clause_words & v.training_verbs and not sentence_words & v.evaluation_words:
            found["training_data"] = "training-dataset-link"
        near = set(words[max(0, i - 3):i])
        if host == "training_code" and "training_code" not in found and clause_words & v.trained_with \
                and near & {"with", "using", "via", "on"} and not near & (v.nouns["training_data"] | {"generated"}) \
                and _own_repo(tok.text, model_id):
            # "trained with <the model's own organisation's repository>"; a third-party tool is not its code.
            found["training_code"] = "component-link"
    return [(comp, "open", rule) for comp, rule in found.items()]


def _cell_status(cell: str, comp: str, explicit: bool, model_id: str | None) -> str | None:
    """What one cell of a component's table row says: open / restricted / closed / "promised" / None.

    A released-word must be the whole cell, a parenthesis aside ("yes (every 2,000 steps)"): "public web
    text" says where the data came from, not that it is released."""
    v, table = vocab(), component_rules()["release"]["table"]
    doc = tokens(cell)
    words = set(lower_words(doc))
    lowered = " ".join(cell.lower().split())
    bare = " ".join(re.sub(r"\([^)]*\)|[.,;!]", " ", lowered).split())
    if words & v.future:
        return "promised"
    if words & (v.negations | frozenset(table["closed"])) or lowered in table["closed"]:
        return "closed"
    if words & v.restricted or any(p.search(lowered) for p in v.restricted_patterns):
        return "restricted"
    if bare in table["open"] or bare.split(" ", 1)[0] in table["yes"] or words & set(table["open_words"]):
        return "open"
    for i in [i for i, is_url in enumerate(url_flags(doc)) if is_url]:
        tok = doc[i]
        host = _host_kind(tok.text)
        if host == comp and (comp == "training_data" or _own_repo(_as_url(tok.text), model_id)):
            return "open"
        if host is None and explicit:
            return "open"
    return None


def _as_url(text: str) -> str:
    return text if text.lower().startswith("http") else f"https://{text}"


def table_cells(text: str) -> list[str]:
    """A table row's cells in their places, empty ones kept ("a | | b |" -> ["a", "", "b"])."""
    cells = [c.strip() for c in text.split("|")]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def column_findings(header: list[str], text: str, model_id: str | None = None) -> list[tuple[str, str, str]]:
    """(component, "open", "table-column") for a row of a table whose column headers name the components
    ("| stage | data | code |"): a cell under such a header that links to where that component lives
    (the model's own repository for code, a dataset address for data). Only a link counts: a table
    that compares models ("| Llama 2 | ✗ | ✗ |") says nothing about this one."""
    cells = table_cells(text)
    found: dict[str, str] = {}
    for name, cell in zip(header[1:], cells[1:]):
        words = lower_words(tokens(name))
        comp, _ = _head(words, 0, len(words))
        if comp is None or comp in found or not _URL_IN_CELL.search(cell):
            continue
        doc = tokens(cell)
        if set(lower_words(doc)) & (vocab().future | vocab().negations):
            continue
        for i in [i for i, is_url in enumerate(url_flags(doc)) if is_url]:
            url = _as_url(doc[i].text)
            if _host_kind(url) == comp and (comp == "training_data" or _own_repo(url, model_id)):
                found[comp] = "table-column"
                break
    return [(comp, "open", rule) for comp, rule in found.items()]


_URL_IN_CELL = re.compile(r"https?://|www\.|\.(?:com|org|co|io)/", re.I)


_CHECK_MARK = re.compile(r"^\s*(\[[xX ]\]|[✅✓✔☑❌✗✘])\s*(.+)$")


def _entry_cells(text: str) -> list[str]:
    """A table row's cells; a checklist entry ("✅ Training data", "[ ] Training code") as (label, mark);
    a short "Label: value" entry ("Training data: proprietary") as (label, value)."""
    if "|" in text:
        return [c for c in (c.strip() for c in text.split("|")) if c]
    m = _CHECK_MARK.match(text)
    if m:
        label, _, value = m[2].partition(":")
        mark = "✘" if m[1].strip("[]").strip() == "" else m[1]
        return [label.strip(), mark] + ([value.strip()] if value.strip() else [])
    label, colon, value = text.partition(":")
    if colon and value.strip() and len(label.split()) <= 4 and not value.lstrip().startswith("//"):
        return [label.strip(), value.strip()]
    return []


def table_findings(text: str, model_id: str | None = None) -> list[tuple[str, str, str]]:
    """(component, status, "table-row") for a table row, checklist entry or "Label: value" entry whose
    label names a training component ("Training code | yes | Apache-2.0 | https://github.com/...",
    "✅ Pretraining data", "Training data: proprietary").

    A label that says outright it is for training counts with any released-cell; a bare "Data" or
    "Code" label only beside a URL of its kind (a dataset, the model's own repository). The weakest
    cell decides ("yes | CC-BY-NC-4.0" is restricted); a promise ("coming soon") says nothing."""
    cells = _entry_cells(text)
    if len(cells) < 2:
        return []
    label = lower_words(tokens(cells[0]))
    comp, explicit = _head(label, 0, len(label))
    if comp is None or (not explicit and comp == "training_code" and set(label) & vocab().nouns["training_data"]):
        return []  # "Data pipeline": code about the data, not the code that trains the model
    statuses = [_cell_status(c, comp, explicit, model_id) for c in cells[1:]]
    if "promised" in statuses:
        return []
    statuses = [s for s in statuses if s is not None]
    if not statuses:
        return []
    status = min(statuses, key=_ORDER.__getitem__)
    if status == "open" and not explicit and not any(
            _cell_status(c, comp, explicit, model_id) == "open" and any(url_flags(tokens(c)))
            for c in cells[1:]):
        return []  # a bare "Code | yes" may be any code; only a link of its kind says it is this model's
    return [(comp, status, "table-row")]
