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
    analyze_text("This license is granted for research use only.", "<warm-up>")


MAX_LINES = 20_000  # the longest real license terms run to a few thousand lines


def _nth_newline(text: str, n: int) -> int:
    at = -1
    for _ in range(n):
        at = text.find("\n", at + 1)
        if at < 0:
            return len(text)
    return at


REPEATS_FROM_CHARS = 100_000  # real licenses are shorter; a longer text may be one clause pasted thousands of times
_SENTENCE_GAP = None


def without_repeats(text: str) -> tuple[str, int]:
    """(`text` with each sentence after its first appearance left out, how many were), for long texts only.
    Reading a clause once says all its copies say; reading 760 KB of copies took minutes."""
    global _SENTENCE_GAP
    if len(text) < REPEATS_FROM_CHARS:
        return text, 0
    import re

    if _SENTENCE_GAP is None:
        _SENTENCE_GAP = re.compile(r"(?<=[.!?;])(\s+)")
    pieces = _SENTENCE_GAP.split(text)
    seen: set[str] = set()
    dropped = 0
    for i in range(0, len(pieces), 2):  # sentences at even places, the gaps between them at odd ones
        key = " ".join(pieces[i].split()).lower()
        if len(key) < 20:
            continue  # "1.", "Yes.": short pieces repeat in any text
        if key in seen:
            pieces[i] = ""
            if i + 1 < len(pieces):
                pieces[i + 1] = ""
            dropped += 1
        else:
            seen.add(key)
    return ("".join(pieces), dropped) if dropped else (text, 0)


def analyze_text(text: str, filename: str) -> TextAnalysis:
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
    read, repeats = without_repeats(read)
    if read.count("\n") > MAX_LINES:
        # Per-line work (blocks, enumerators) dominates a text of 500,000 one-letter lines: it is cut.
        cut_at = _nth_newline(read, MAX_LINES)
        warnings.append(ReportWarning("truncated", f"{filename}: more than {MAX_LINES:,} lines; only the first "
                                                   f"{MAX_LINES:,} were read"))
        read = read[:cut_at]
    if repeats:
        warnings.append(ReportWarning("text-repeats", f"{filename}: {repeats:,} repeated sentence(s) were read once"))
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


