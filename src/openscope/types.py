"""The types passed between openscope's stages, in one place.

In stage order: a reference (`ModelRef`), the facts gathered about it (`ModelFacts`, `Document`), the
catalog's and registry's records (`CatalogLicense`, `ApiModel`), what a license text reads as
(`Identification`, `TextAnalysis`), the license assessment of a model (`LicenseAssessment`), and the
report contract (SPEC §5: `Report`, `ModelReport`, `FlagFinding` ...).

Plain dataclasses keep start-up cheap; `json_schema()` asks pydantic to derive the JSON Schema from
the report classes, so the schema is generated from code and cannot drift from what we emit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from openscope._version import __version__

Spectrum = Literal["closed-api", "open-weights", "fully-open", "unknown"]
ComponentStatus = Literal["open", "restricted", "closed", "unknown"]
Kind = Literal["hub", "api", "local"]
Provenance = Literal["hub", "cache", "registry", "local"]
IdentifiedBy = Literal["declared", "text", "classifier", "registry", "lineage"]  # lineage: effective_license only
FlagSource = Literal["rules", "classifier", "catalog", "registry"]
ObligationSource = Literal["rules", "catalog", "facts"]  # facts: what the Hub says (a gated download)
ErrorCode = Literal["not-found", "gated", "network", "invalid-ref", "unreadable", "internal"]
Severity = Literal["error", "warning"]
# Whether the terms governing a model were established: "unknown" (none declared, `other` without readable
# terms, a name openscope does not know) and "not-read" (a governing text in a language it does not read)
# mean its restrictions are unknown, not absent (SPEC §5).
LicenseStatus = Literal["known", "unknown", "not-read"]

# In a dataset's card data (ModelFacts.datasets): who gave its license ("hub": its own Hub card; "registry").
DATASET_SOURCE_KEY = "openscope_source"
REPORT_SCHEMA = "openscope.report/1"
LICENSE_SCHEMA = "openscope.license/1"
NOTICE_SCHEMA = "openscope.notice/1"
DIFF_SCHEMA = "openscope.diff/1"


@dataclass
class Evidence:
    file: str
    section: Optional[str]
    quote: str


@dataclass
class FlagFinding:
    flag: str
    thresholds: dict[str, int] = field(default_factory=dict)
    source: FlagSource = "rules"
    inherited_from: Optional[str] = None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ObligationFinding:
    """What the governing terms oblige a user to do (licenses/obligations.yaml), with its evidence."""

    obligation: str
    value: Optional[str] = None  # the credit string, the name prefix, the notice text, when the terms give it
    thresholds: dict[str, int] = field(default_factory=dict)  # request-license-above-threshold
    source: ObligationSource = "rules"
    inherited_from: Optional[str] = None
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class LicenseInfo:
    id: Optional[str]
    name: Optional[str]
    identified_by: IdentifiedBy
    confidence: float
    url: Optional[str] = None
    spdx: Optional[str] = None  # SPDX id, or a LicenseRef-scancode-* id, when the license has one


@dataclass
class DatasetInfo:
    """A dataset the model card names (`datasets:`) or the registry records as training data."""

    id: str
    license: Optional[str] = None  # as the dataset's own card declares it, when openscope read that card
    # Beyond the BOM fields: the catalog key of that license, the flags it carries, and where the license
    # was read ("hub", "cache", "registry"; null when no one said).
    license_id: Optional[str] = None
    flags: list[str] = field(default_factory=list)
    license_source: Optional[str] = None


@dataclass
class TermsFile:
    """A license-bearing file that was read for a model, by digest (the text itself is never reported)."""

    file: str
    sha256: str


@dataclass
class ReportWarning:
    code: str
    message: str


@dataclass
class ErrorInfo:
    code: ErrorCode
    message: str


@dataclass
class Location:
    path: str
    line: int
    # Policy rules waived on this line by `# openscope: ignore[user-cap, ...]` (flag names, "spectrum",
    # "unknown"), for the policy stage to honour; empty when the line waives nothing.
    ignore: list[str] = field(default_factory=list)


@dataclass
class ModelReport:
    ref: str
    id: Optional[str]
    kind: Kind
    provenance: Optional[Provenance]
    spectrum: Spectrum = "unknown"
    confidence: float = 0.0
    osi_open: Optional[bool] = None
    gated: Optional[bool] = None
    license: Optional[LicenseInfo] = None
    flags: list[FlagFinding] = field(default_factory=list)
    components: dict[str, ComponentStatus] = field(
        default_factory=lambda: {"weights": "unknown", "training_code": "unknown", "training_data": "unknown"}
    )
    base_models: list[str] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)
    error: Optional[ErrorInfo] = None
    locations: list[Location] = field(default_factory=list)
    # Beyond the contract: why the model sits where it does, and third-party openness ratings.
    reasons: list[str] = field(default_factory=list)
    ratings: dict[str, Any] = field(default_factory=dict)
    component_evidence: dict[str, list[str]] = field(default_factory=dict)  # why each component has its status
    # The license that governs the weights once lineage is followed (a base's binding terms over a relabelled
    # fine-tune), and the model it comes from (null: the model's own license).
    effective_license: Optional[LicenseInfo] = None
    effective_license_from: Optional[str] = None
    task: Optional[str] = None  # the card's pipeline_tag
    datasets: list[DatasetInfo] = field(default_factory=list)
    # What the governing terms oblige a user to do, with evidence (own terms and binding bases' terms).
    obligations: list[ObligationFinding] = field(default_factory=list)
    # The commit the facts were read at, and a digest of each terms file read (drift: `openscope diff`).
    revision: Optional[str] = None
    terms_files: list[TermsFile] = field(default_factory=list)
    # Set by the assessor for every model (an unassessed one is "unknown"); the reason says which terms
    # could not be established.
    license_status: LicenseStatus = "known"
    license_status_reason: Optional[str] = None
    licenses: list[LicenseInfo] = field(default_factory=list)  # every license a card lists, when it lists several
    alternatives: list[str] = field(default_factory=list)  # Hub repos of the same model's weights (API models)

    def flag_names(self) -> list[str]:
        return [f.flag for f in self.flags]


def model_name(model) -> str:
    """How violations name a model: its id, with the revision when the reference pins one."""
    if model.kind == "hub" and model.id and model.ref.startswith(model.id + "@"):
        return model.ref
    return model.id or model.ref


def locations_by_model(report) -> dict[str, list]:
    """Every place each named model is referenced (one model may be reported under several refs)."""
    out: dict[str, list] = {}
    for m in report.models:
        places = out.setdefault(model_name(m), [])
        places += [loc for loc in m.locations if loc not in places]
    return out


@dataclass
class Violation:
    model: str
    rule: str
    severity: Severity
    message: str


@dataclass
class Waiver:
    """A rule that a reviewed policy exception waived for a model, shown with its reason."""

    model: str
    rule: str
    reason: str
    expires: Optional[str] = None  # ISO date


@dataclass
class PolicyResult:
    passed: bool
    violations: list[Violation] = field(default_factory=list)
    # Beyond the contract: what exceptions waived, and which policy file was applied.
    waived: list[Waiver] = field(default_factory=list)
    source: Optional[str] = None


@dataclass
class ToolInfo:
    name: str = "openscope"
    version: str = __version__


@dataclass
class SkippedRef:
    """A reference `scan` saw but could not resolve (kept visible, like pip-audit's skipped deps)."""

    path: str
    line: int
    reason: str


@dataclass
class DriftFinding:
    """One change between a baseline report and now (policies/drift.yaml names the kinds)."""

    kind: str
    model: str
    message: str
    old: Optional[str] = None
    new: Optional[str] = None


@dataclass
class Report:
    models: list[ModelReport] = field(default_factory=list)
    policy: Optional[PolicyResult] = None
    schema: str = REPORT_SCHEMA
    tool: ToolInfo = field(default_factory=ToolInfo)
    skipped: list[SkippedRef] = field(default_factory=list)
    # `check --baseline`: what changed since the baseline report (null without one).
    drift: Optional[list[DriftFinding]] = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for model in d["models"]:
            for location in model["locations"]:
                if not location.get("ignore"):
                    location.pop("ignore", None)  # SPEC §5's {"path", "line"} unless a line waives something
        # Keep the contract's key order: schema and tool first.
        return {"schema": d.pop("schema"), "tool": d.pop("tool"), **d}


@dataclass
class LicenseFileReport:
    path: str
    license: Optional[LicenseInfo] = None
    osi_open: Optional[bool] = None
    flags: list[FlagFinding] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)
    error: Optional[ErrorInfo] = None
    obligations: list[ObligationFinding] = field(default_factory=list)


@dataclass
class LicenseReport:
    licenses: list[LicenseFileReport] = field(default_factory=list)
    schema: str = LICENSE_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {"schema": d.pop("schema"), **d}


@dataclass
class DiffReport:
    """`openscope diff OLD NEW` (openscope.diff/1)."""

    old: str
    new: str
    changes: list[DriftFinding] = field(default_factory=list)
    schema: str = DIFF_SCHEMA
    tool: ToolInfo = field(default_factory=ToolInfo)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {"schema": d.pop("schema"), "tool": d.pop("tool"), **d}


# ---------------------------------------------------------------- notice bundle (`openscope notice`)

@dataclass
class NoticeText:
    """A text of the model's repository, as fetched at its revision (`--include-texts`)."""

    file: str
    url: Optional[str]
    text: Optional[str]  # null when it was not at hand (offline from the registry): `url` says where it is


@dataclass
class NoticeEntry:
    """What a product ships for one model (or for a base model whose terms reach the models it uses)."""

    model: str
    kind: Kind
    revision: Optional[str] = None
    license: Optional[LicenseInfo] = None  # the terms that govern the weights
    declared_license: Optional[LicenseInfo] = None  # what the card declares, when that differs
    required_by: list[str] = field(default_factory=list)  # for a base: the models it is shipped for
    locations: list[Location] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # strings to display ("Built with Llama")
    notices: list[str] = field(default_factory=list)  # attribution notices to ship (a NOTICE file, a stated line)
    copyright: list[str] = field(default_factory=list)  # copyright lines as its files state them
    links: list[str] = field(default_factory=list)  # where the license texts are
    obligations: list[ObligationFinding] = field(default_factory=list)
    texts: list[NoticeText] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class NoticeBundle:
    """The notice bundle of `openscope notice` (openscope.notice/1)."""

    models: list[NoticeEntry] = field(default_factory=list)
    hosted: list[NoticeEntry] = field(default_factory=list)  # closed-API models: nothing shipped, terms apply
    missing: list[ErrorInfo] = field(default_factory=list)  # models that could not be assessed
    schema: str = NOTICE_SCHEMA
    tool: ToolInfo = field(default_factory=ToolInfo)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {"schema": d.pop("schema"), "tool": d.pop("tool"), **d}


# ---------------------------------------------------------------- references and facts

@dataclass(frozen=True)
class ModelRef:
    """A parsed model reference: a Hub id (with revision), a closed-API name or a local path."""

    raw: str
    kind: str  # "hub" | "api" | "local"
    id: str
    revision: str | None = None
    provider: str | None = None
    path: Path | None = None
    locations: tuple[Location, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ApiModel:
    """A closed-API model as the registry records it: its provider and terms."""

    name: str
    provider: str
    provider_name: str
    terms_url: str | None
    terms_license: str | None  # catalog key of the provider's terms, if catalogued
    weights_repo: str | None = None  # Hub repo where the same model's weights are published, if any


@dataclass
class Document:
    """A text that may govern the model: a license, an incorporated use policy, a notice."""

    name: str
    text: str


@dataclass
class ModelFacts:
    """What the sources of facts gathered about one model: card, files, documents, registry extras."""

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


# ---------------------------------------------------------------- licenses

@dataclass(frozen=True)
class CatalogFlag:
    """A flag the catalog records for a license, with the section and a summary in our words."""

    flag: str
    section: str | None
    summary: str
    thresholds: dict = field(default_factory=dict, hash=False)
    applies_to: str | None = None  # a condition in licenses/conditions.yaml, e.g. "multimodal"


@dataclass(frozen=True)
class CatalogObligation:
    """An obligation the catalog records for a license, in our words."""

    obligation: str
    section: str | None
    summary: str  # in our own words
    value: str | None = None  # a short mark such as "Built with Llama"; never a passage of the text
    thresholds: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class CatalogLicense:
    """A license of the catalog (licenses/catalog/*.yaml) with its flags and obligations."""

    key: str
    name: str
    kind: str
    osi_open: bool | None
    family: str | None = None
    hf_ids: tuple[str, ...] = ()
    spdx: str | None = None
    scancode_key: str | None = None
    osi_approved: bool = False
    url: str | None = None
    aliases: tuple[str, ...] = ()
    incorporates: tuple[str, ...] = ()
    binds_derivatives: bool = False
    flags: tuple[CatalogFlag, ...] = ()
    notes: str | None = None
    path: Path | None = field(default=None, compare=False)
    obligations: tuple[CatalogObligation, ...] = ()
    # False for a license known only from ScanCode's LicenseDB: named, with osi_open from its
    # category, but no flags, family or incorporated documents (Catalog.known).
    catalogued: bool = True

    def flag(self, name: str) -> CatalogFlag | None:
        return next((f for f in self.flags if f.flag == name), None)

    @property
    def flag_set(self) -> frozenset[str]:
        return frozenset(f.flag for f in self.flags)


@dataclass(frozen=True)
class LicenseDBEntry:
    """One license of ScanCode's LicenseDB (licenses/licensedb.json): facts only, no text."""

    key: str  # ScanCode key
    name: str
    spdx: str  # SPDX id, else LicenseRef-scancode-<key>
    category: str | None  # Permissive, Copyleft, Proprietary Free ...
    is_exception: bool = False
    is_deprecated: bool = False
    language: str = "en"


@dataclass
class Identification:
    """Which license a text is, how sure, and by which method."""

    key: str | None  # catalog key; else the ScanCode key of a LicenseDB license; None when unidentified
    confidence: float
    method: str  # "exact" | "fingerprint" | "classifier"
    modified: bool = False
    differences: list[str] = field(default_factory=list)


@dataclass
class TextAnalysis:
    """What one license text reads as: its identification, flags, obligations and warnings."""

    identification: Identification | None
    flags: list[FlagFinding] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)
    unwrapped: str | None = None  # "html" | "markdown" when that wrapping was removed before analysis
    obligations: list[ObligationFinding] = field(default_factory=list)
    readable: bool = True  # False: not in a language the readers cover, so its restrictions are unknown


@dataclass
class LicenseAssessment:
    """The license stage's result for one model: the governing license and what it carries."""

    info: LicenseInfo | None
    entry: CatalogLicense | None
    osi_open: bool | None
    flags: list[FlagFinding] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    obligations: list[ObligationFinding] = field(default_factory=list)
    listed: list[LicenseInfo] = field(default_factory=list)  # each license of a card that lists several
    unknown_names: list[str] = field(default_factory=list)  # listed names the catalog does not know
    unread: list[str] = field(default_factory=list)  # governing documents not read (not in a language read)
    terms_from_card: list[str] = field(default_factory=list)  # card sections whose stated terms were read


@dataclass
class ScanResult:
    """What `scan` found: references with their locations, and what it saw but could not resolve."""

    refs: list[ModelRef] = field(default_factory=list)
    skipped: list[SkippedRef] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    # Model lists (models.txt, models-files) that could not be read or decoded: `check` fails on them
    # (exit 2), since a gate that skips its own list of models passes everything.
    manifest_errors: list[str] = field(default_factory=list)


def json_schema(kind: Literal["report", "license"] = "report") -> dict[str, Any]:
    """JSON Schema of the report, derived by pydantic from the dataclasses above."""
    from pydantic import TypeAdapter

    cls = Report if kind == "report" else LicenseReport
    schema = TypeAdapter(cls).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = REPORT_SCHEMA if kind == "report" else LICENSE_SCHEMA
    return schema
