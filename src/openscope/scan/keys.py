"""Which names hold a model: config keys, variables, parameters, keyword arguments, environment
variables and command-line flags, all judged by one rule (patterns.yaml `keys`).

A name is split into words (`embeddingModel`, `EMBEDDING_MODEL`, `--embedding-model` -> embedding,
model). It is a model slot when a word is a model word and no word says it holds something else
(`model_type`, `model_dir`, `served_model_name`). A word naming a provider or runtime
(`GROQ_MODEL`, `OLLAMA_MODEL`) also says how to read the value: a hint, tried first.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_CAMEL = re.compile(r"([a-z0-9])([A-Z])|([A-Z]+)([A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

MODEL = "model"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Slot:
    kind: str  # MODEL or AMBIGUOUS
    hint: str | None = None  # a provider key, a runtime key or "hub", from the name's own words


def words(name: str) -> tuple[str, ...]:
    spaced = _CAMEL.sub(lambda m: f"{m[1] or m[3]}_{m[2] or m[4]}", name)
    return tuple(w.lower() for w in _SPLIT.split(spaced) if w)


class SlotNames:
    def __init__(self, keys: dict, registry):
        self.registry = registry
        self.model_words = frozenset(keys["model_words"])
        self.not_model_words = frozenset(keys["not_model_words"])
        self.names = frozenset(keys["names"])
        self.conditional = dict(keys.get("conditional_words", {}))
        self.hub_words = frozenset(keys.get("hub_words", ()))
        self.ambiguous = frozenset(keys["ambiguous"])
        self.git_context = frozenset(keys["git_context"])
        self.provider_keys = frozenset(keys["provider_keys"])
        self.repo_type_keys = frozenset(keys["repo_type_keys"])
        self.revision_keys = frozenset(keys["revision_keys"])
        self.nested_name_keys = frozenset(keys["nested_name_keys"])
        self.command_keys = frozenset(keys["command_keys"])
        self.env_keys = frozenset(keys["env_keys"])
        self.slot = functools.lru_cache(maxsize=4096)(self._slot)
        self.normal = functools.lru_cache(maxsize=4096)(self._normal)

    @staticmethod
    def _normal(name: str) -> str:
        return "_".join(words(name))

    def usage_word(self, word: str) -> str | None:
        """What a word of a name (or a `provider:` value) says about the value: provider, runtime or hub."""
        if word in self.hub_words:
            return "hub"
        return self.registry.runtime_key(word) or self.registry.provider_key(word)

    def _slot(self, name: str) -> Slot | None:
        if not isinstance(name, str) or not name or len(name) > 80 or "/" in name or "\\" in name:
            return None  # a path used as a key ("models/config.json") names a file, not a slot
        ws = words(name)
        normal = "_".join(ws)
        stems = [w.rstrip("0123456789") or w for w in ws]
        hint = next((u for w in stems if (u := self.usage_word(w))), None)
        if normal in self.ambiguous:
            return Slot(AMBIGUOUS, hint)
        if normal in self.names:
            return Slot(MODEL, hint)
        if any(w in self.not_model_words for w in stems):
            return None
        if any(w in self.model_words for w in stems):
            return Slot(MODEL, hint)
        if any(self.conditional.get(w) is not None and self.conditional[w] == hint for w in stems):
            return Slot(MODEL, hint)
        return None

    def is_model(self, name) -> bool:
        slot = self.slot(name)
        return slot is not None and slot.kind == MODEL

    def key_in(self, name, group: frozenset) -> bool:
        return isinstance(name, str) and self.normal(name) in group
