"""Facts from the offline registry snapshot shipped in `models_registry/`."""

from __future__ import annotations

from openscope.errors import ModelNotFoundError
from openscope.registry import load_registry
from openscope.types import ModelFacts, ModelRef


class RegistrySource:
    name = "registry"
    kinds = frozenset({"hub", "api"})
    authoritative = False
    label = "offline registry snapshot"
    enriched_by_registry = False

    def __init__(self, registry=None):
        self.registry = registry or load_registry()

    def miss_message(self, ref: ModelRef) -> str:
        """Why a Hub id is not here, what it may have meant, and how to fetch it."""
        date = self.registry.snapshot_date()
        close = self.registry.suggest(ref.id)
        hint = f"; did you mean {' or '.join(close)}?" if close else "."
        return (f"{ref.raw}: not in the bundled registry snapshot{f' (dated {date})' if date else ''}{hint} "
                f"To fetch it, run without --offline, or add it to the snapshot with "
                f"`openscope registry refresh {ref.id}`")

    def fetch(self, ref: ModelRef) -> ModelFacts:
        if ref.kind == "api":
            api = self.registry.match_api(ref.id, provider=ref.provider)
            if api is None:
                raise ModelNotFoundError(ref.raw, f"{ref.raw}: not a known API model")
            return ModelFacts(ref=ref, id=f"{api.provider}:{api.name}", kind="api", provenance="registry",
                              api=api, gated=None)
        entry = self.registry.hub(ref.id)
        if entry is None:
            raise ModelNotFoundError(ref.raw, self.miss_message(ref))
        gated = entry.gated
        return ModelFacts(
            ref=ref, id=entry.id, kind="hub", provenance="registry",
            card_data=dict(entry.card_data), front_matter="valid-yaml" if entry.card_data else "none",
            gated=None if gated is None else bool(gated), tags=list(entry.tags), siblings=list(entry.siblings),
            sha=entry.sha, links=dict(entry.links), training=dict(entry.training), ratings=dict(entry.ratings),
        )


