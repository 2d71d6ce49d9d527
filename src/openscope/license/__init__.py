"""Stages 3 and 4 for one text: identify the license, then read its restrictions.

`analyze_text` is the single entry point used by `openscope license` and by `audit` for every
license-bearing file of a model. spaCy and scikit-learn are imported only inside it.
`decode_license_bytes` turns raw file bytes into text for it, saying what it had to do (cut a huge
file, guess an encoding) instead of failing.
"""

from __future__ import annotations

from openscope.types import Identification, ReportWarning, TextAnalysis

_MAX_DIFFERENCES = 5


def warm_up() -> None:
    """Build everything analysis needs once (spaCy pipeline, rule matchers, classifier, fingerprints).

    A caller about to analyse many texts can then freeze these long-lived objects out of the
    garbage collector's scans (the CLI does; a library host decides for itself).
    """
    read_text("This license is granted for research use only.", "<warm-up>")  # uncached: it must build


def analyze_text(text: str, filename: str) -> TextAnalysis:
    """`read_text`, answered from the reading cache (license/cache.py) when this reader has read this text before."""
    from openscope.license.cache import reading

    return reading(text, filename, read_text)


def read_text(text: str, filename: str) -> TextAnalysis:
    """Identify `text` against the catalog and extract restriction flags with evidence.

    The flags describe the text as it reads (SPEC §2); when identification finds a known license
    that this text differs from, a `license-modified` warning names the license and the differences.
    A text the readers cannot read (not English) says so: `readable` is False and a `text-not-english`
    warning explains that its restrictions are unknown; where it also holds an English version, that
    version is read (`text-partly-english`).
    """
    from openscope.license.identify import identify_text
    from openscope.license.restrictions import extract
    from openscope.text.language import check

    identification = identify_text(text)
    warnings = []
    language = check(text)
    readable = language.english or language.english_part is not None
    if language.english:
        read = text
    elif language.english_part is not None:
        read = language.english_part
        warnings.append(ReportWarning("text-partly-english", f"{filename}: mostly written in another language "
                                      f"({language.script.lower()} script); only its English version was read"))
    else:
        read = text
        warnings.append(ReportWarning("text-not-english", f"{filename}: not written in English "
                                      f"({language.script.lower()} script); openscope cannot read its terms, so its "
                                      "restrictions are unknown (not none)"))
    extraction = extract(read, filename)
    if identification is not None and identification.key and identification.modified:
        warnings.append(modified_warning(identification, filename))
    return TextAnalysis(identification=identification, flags=extraction.findings, warnings=warnings,
                        unwrapped=extraction.segmented.unwrapped, readable=readable)


def modified_warning(identification: Identification, filename: str) -> ReportWarning:
    from openscope.catalog import load_catalog

    entry = load_catalog().known(identification.key)
    name = entry.name if entry else identification.key
    diffs = identification.differences[:_MAX_DIFFERENCES]
    more = len(identification.differences) - len(diffs)
    detail = "; ".join(diffs) + (f"; and {more} more" if more > 0 else "") if diffs else "its wording differs"
    return ReportWarning(
        "license-modified",
        f"{filename}: differs from {name} ({identification.key}): {detail}. Flags describe this text as written.",
    )


