"""The interface every source of model facts implements, and what such a source looks for."""

from __future__ import annotations

from typing import Protocol

from openscope.types import ModelFacts, ModelRef

# Files that can carry the terms governing a model, in the order they are read.
LICENSE_FILE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "LICENCE.txt", "LICENCE.md",
                      "USE_POLICY.md", "NOTICE", "NOTICE.txt", "NOTICE.md")


class FactSource(Protocol):
    """A service that supplies facts for a reference, or raises a ModelError subclass."""

    name: str

    def fetch(self, ref: ModelRef) -> ModelFacts: ...
