"""Stage 2: sources of facts (local folders, the live Hub, openscope's cache, the registry snapshot).

`FactResolver` asks its sources in order; each one serves some kinds of reference
(`sources/interface.py`). The standard order: a local folder or card file is read where it lies;
a Hub id goes to the live Hub (unless offline), then to openscope's cache, then to the registry;
a closed-API name goes to the registry.
"""

from __future__ import annotations

from collections.abc import Iterable

from openscope.errors import GatedModelError, ModelError, ModelNotFoundError, NetworkError
from openscope.sources.interface import FactSource
from openscope.types import DATASET_SOURCE_KEY, ModelFacts, ModelRef, ReportWarning


def standard_sources(hub_sources: Iterable[FactSource] = ()) -> list[FactSource]:
    from openscope.sources.local import LocalSource
    from openscope.sources.registry import RegistrySource

    return [LocalSource(), *hub_sources, RegistrySource()]


class FactResolver:
    def __init__(self, sources: Iterable[FactSource] | None = None, *, hub_sources: Iterable[FactSource] = ()):
        self.sources = list(sources) if sources is not None else standard_sources(hub_sources)
        self.registry = next((s for s in self.sources if s.name == "registry"), None)

    def fetch(self, ref: ModelRef) -> ModelFacts:
        """Facts from the first source that has them; raises the most telling ModelError otherwise."""
        failures: list[ModelError] = []
        for source in self.sources:
            if ref.kind not in source.kinds:
                continue
            try:
                facts = source.fetch(ref)
            except ModelNotFoundError as exc:
                if source.authoritative:
                    raise self._with_suggestion(ref, exc) from None  # the Hub's own answer: no such repo
                failures.append(exc)  # a cache miss: try the next source
                continue
            except (NetworkError, GatedModelError) as exc:
                failures.append(exc)  # a later source may still know the model
                continue
            if source.enriched_by_registry:
                facts = self._with_registry_extras(facts)
            return self._note_fallback(self._with_registry_datasets(facts), failures, source.label)
        if not failures:
            raise ModelNotFoundError(ref.raw, f"{ref.raw}: no source of facts for a {ref.kind} reference")
        # An unreachable or gated Hub says more than "not cached" or "not in the snapshot"; among misses,
        # the last source asked (the registry) says what the id may have meant and how to fetch it.
        raise next((f for f in failures if not isinstance(f, ModelNotFoundError)), failures[-1]) from None

    def _with_suggestion(self, ref: ModelRef, exc: ModelNotFoundError) -> ModelNotFoundError:
        """A near miss of a name the registry knows (a typo, a renamed org) says what it may have meant."""
        if ref.kind != "hub" or self.registry is None or "did you mean" in str(exc):
            return exc
        close = self.registry.registry.suggest(ref.id)
        if not close:
            return exc
        return ModelNotFoundError(exc.ref, f"{exc}; did you mean {' or '.join(close)}?")

    @staticmethod
    def _note_fallback(facts: ModelFacts, failures: list[ModelError], used: str) -> ModelFacts:
        for exc in failures:
            if isinstance(exc, NetworkError):
                facts.warnings.append(ReportWarning("hub-unreachable", f"{exc}; used the {used}"))
            elif isinstance(exc, GatedModelError):
                facts.warnings.append(ReportWarning("hub-gated", f"{exc}; used the {used}"))
        return facts

    def _with_registry_datasets(self, facts: ModelFacts) -> ModelFacts:
        """Datasets the card names whose own card was not read (offline, a local card, a Hub failure): the
        license the registry records for them, marked as coming from the registry."""
        from openscope.card.parse import named_datasets

        if self.registry is None or facts.kind == "api":
            return facts
        known = {k.lower() for k in facts.datasets}
        for name in named_datasets(facts.card_data, facts.card_body, facts.training):
            if name.lower() in known:
                continue
            entry = self.registry.registry.dataset(name)
            if entry is not None and entry.get("license"):
                facts.datasets[name] = {"license": entry["license"], DATASET_SOURCE_KEY: "registry"}
        return facts

    def _with_registry_extras(self, facts: ModelFacts) -> ModelFacts:
        """Curated facts the Hub cannot give (training releases, ratings, links) come from the registry."""
        entry = self.registry.registry.hub(facts.id) if self.registry is not None else None
        if entry is not None:
            facts.training = facts.training or dict(entry.training)
            facts.ratings = facts.ratings or dict(entry.ratings)
            facts.links = {**entry.links, **facts.links}
        return facts
