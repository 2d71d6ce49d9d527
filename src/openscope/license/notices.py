"""Copyright and attribution lines as a model's files state them, for the notice bundle (`openscope notice`).

A copyright line is a line (or a sentence in a NOTICE file) that opens with "Copyright", "(c)" or "©"
and names a holder; template lines of license texts ("Copyright [yyyy] [name of copyright owner]",
"Copyright (c) <year> <copyright holders>") and sentences that only talk about copyright ("copyright
notices must be retained") are not.
"""

from __future__ import annotations

import re

MAX_LINE = 200
_OPENING = re.compile(r"^\s*(?:[-*#>]\s*)?(?:[Cc]opyright\b|COPYRIGHT\b|©|\([cC]\)\s*(?:19|20)\d\d)")
# A holder follows: a year, a sign, or a capitalised name ("Copyright Acme Labs"; not "copyright and ...").
_HOLDER = re.compile(r"©|\([cC]\)|\b(?:19|20)\d\d\b|(?:[Cc]opyright|COPYRIGHT)\s+(?:[Bb]y\s+)?[A-Z]")
_TEMPLATE = re.compile(r"[<\[{][^>\]}]*[>\]}]")
_PROSE = re.compile(r"\b(?:notice|notices|law|laws|license[ds]?|licen[cs]e|owner of|holders? of|infringe|"
                    r"shall|must|may|protected|statement)\b", re.I)


def copyright_lines(text: str) -> list[str]:
    """The copyright lines of a text, each once, in order."""
    out: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split()).strip("-*#> \"“”'")
        if not line or len(line) > MAX_LINE or not _OPENING.match(line):
            continue
        if _TEMPLATE.search(line) or not _HOLDER.search(line):
            continue
        head = re.split(r"[.;]\s", line, maxsplit=1)[0]
        if _PROSE.search(head) and not re.search(r"(?:19|20)\d\d", head):
            continue  # prose about copyright, not a statement of it
        if line not in out:
            out.append(line)
    return out
