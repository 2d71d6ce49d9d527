"""Stages 3 and 4 for one text: identify the license, then read its restrictions.

`analyze_text` is the single entry point used by `openscope license` and by `audit` for every
license-bearing file of a model. spaCy and scikit-learn are imported only inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openscope.report import FlagFinding, ReportWarning


@dataclass
class Identification:
    key: str | None  # catalog key, or None when unidentified
    confidence: float
    method: str  # "exact" | "fingerprint" | "classifier"
    modified: bool = False
    differences: list[str] = field(default_factory=list)


@dataclass
class TextAnalysis:
    identification: Identification | None
    flags: list[FlagFinding] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)


def analyze_text(text: str, filename: str) -> TextAnalysis:
    """Identify `text` against the catalog and extract restriction flags with evidence."""
    from openscope.analysis.identify import identify_text
    from openscope.analysis.restrictions import extract_flags

    identification = identify_text(text)
    flags = extract_flags(text, filename)
    return TextAnalysis(identification=identification, flags=flags)
