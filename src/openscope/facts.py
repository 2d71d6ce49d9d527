"""Stage 2 types: the facts gathered about one model, whatever source supplied them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from openscope.refs import ModelRef
from openscope.report import ReportWarning

# Files that can carry the terms governing a model, in the order they are read.
LICENSE_FILE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "LICENCE.txt", "LICENCE.md",
                      "USE_POLICY.md", "NOTICE", "NOTICE.txt", "NOTICE.md")


@dataclass
class Document:
    """A text that may govern the model: a license, an incorporated use policy, a notice."""

    name: str
    text: str


@dataclass
class ModelFacts:
    ref: ModelRef
    id: str
    kind: str
    provenance: str | None
    card_data: dict = field(default_factory=dict)
    card_body: str | None = None
    front_matter: str = "none"
    documents: list[Document] = field(default_factory=list)
    gated: bool | None = None
    tags: list[str] = field(default_factory=list)
    siblings: list[str] = field(default_factory=list)
    sha: str | None = None
    api: object | None = None  # registry.ApiModel for closed-API models
    links: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    ratings: dict = field(default_factory=dict)
    datasets: dict = field(default_factory=dict)  # dataset id -> card data, when fetched
    warnings: list[ReportWarning] = field(default_factory=list)


class FactSource(Protocol):
    """A service that supplies facts for a reference, or raises a ModelError subclass."""

    name: str

    def fetch(self, ref: ModelRef) -> ModelFacts: ...
