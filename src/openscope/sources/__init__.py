"""Stage 2: sources of facts (registry snapshot, local folders, the Hub and its cache).

`resolve_facts` tries them in order: live Hub (unless offline) -> openscope's cache -> registry.
"""

from __future__ import annotations

from openscope.errors import (
    GatedModelError,
    ModelError,
    ModelNotFoundError,
    NetworkError,
)
from openscope.types import ModelFacts, ModelRef, ReportWarning


class FactResolver:
    def __init__(self, *, offline: bool = False, hub_sources=None):
        from openscope.sources.local import LocalSource
        from openscope.sources.registry import RegistrySource

        self.offline = offline
        self.registry = RegistrySource()
        self.local = LocalSource()
        # Hub sources (live, cache) are supplied by the Hub provider when it is available.
        self.hub_sources = list(hub_sources or [])

    def fetch(self, ref: ModelRef) -> ModelFacts:
        if ref.kind == "local":
            return self.local.fetch(ref)
        if ref.kind == "api":
            return self.registry.fetch(ref)
        failures: list[ModelError] = []
        for source in self.hub_sources:
            try:
                facts = source.fetch(ref)
            except ModelNotFoundError as exc:
                if source.name == "hub":
                    raise  # the Hub's own answer is authoritative: that repo or revision does not exist
                failures.append(exc)  # a cache miss: try the next source
                continue
            except (NetworkError, GatedModelError) as exc:
                failures.append(exc)  # the cache or the registry may still know the model
                continue
            return self._note_fallback(self._with_registry_extras(facts), failures, "local cache")
        try:
            facts = self.registry.fetch(ref)
        except ModelNotFoundError:
            if failures:
                # An unreachable or gated Hub says more than "not cached".
                raise next((f for f in failures if not isinstance(f, ModelNotFoundError)), failures[0]) from None
            raise
        return self._note_fallback(facts, failures, "offline registry snapshot")

    @staticmethod
    def _note_fallback(facts: ModelFacts, failures: list[ModelError], used: str) -> ModelFacts:
        for exc in failures:
            if isinstance(exc, NetworkError):
                facts.warnings.append(ReportWarning("hub-unreachable", f"{exc}; used the {used}"))
            elif isinstance(exc, GatedModelError):
                facts.warnings.append(ReportWarning("hub-gated", f"{exc}; used the {used}"))
        return facts

    def _with_registry_extras(self, facts: ModelFacts) -> ModelFacts:
        """Curated facts the Hub cannot give (training releases, ratings, links) come from the registry."""
        entry = self.registry.registry.hub(facts.id)
        if entry is not None:
            facts.training = facts.training or dict(entry.training)
            facts.ratings = facts.ratings or dict(entry.ratings)
            facts.links = {**entry.links, **facts.links}
        return facts
