"""The interface every source of model facts implements, and what such a source looks for."""

from __future__ import annotations

from typing import Protocol

from openscope.types import ModelFacts, ModelRef

# Files that can carry the terms governing a model, in the order they are read.
LICENSE_FILE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "LICENCE.txt", "LICENCE.md",
                      "USE_POLICY.md", "NOTICE", "NOTICE.txt", "NOTICE.md")


class FactSource(Protocol):
    """A service that supplies facts for a reference, or raises a ModelError subclass.

    `kinds`: the reference kinds it serves ("hub", "api", "local"). `authoritative`: its "not found"
    is final (the live Hub), where another's is only a miss (a cache). `label`: how a fallback note
    names it. `enriched_by_registry`: the registry adds the curated facts this source cannot give.
    """

    name: str
    kinds: frozenset[str]
    authoritative: bool
    label: str
    enriched_by_registry: bool

    def fetch(self, ref: ModelRef) -> ModelFacts: ...
