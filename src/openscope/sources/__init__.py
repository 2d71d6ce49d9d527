"""Stage 2: sources of facts (registry snapshot, local folders, the Hub and its cache).

`resolve_facts` tries them in order: live Hub (unless offline) -> openscope's cache -> registry.
"""

from __future__ import annotations

from openscope.errors import ModelError, ModelNotFoundError, NetworkError
from openscope.facts import ModelFacts
from openscope.refs import ModelRef
from openscope.report import ReportWarning


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
                return source.fetch(ref)
            except ModelNotFoundError as exc:
                failures.append(exc)
            except ModelError as exc:
                if exc.code not in ("network",):
                    raise
                failures.append(exc)
        try:
            facts = self.registry.fetch(ref)
        except ModelNotFoundError:
            if failures:
                raise failures[0] from None
            raise
        for exc in failures:
            if isinstance(exc, NetworkError):
                facts.warnings.append(ReportWarning("hub-unreachable", f"{exc}; used the offline registry snapshot"))
        return facts
