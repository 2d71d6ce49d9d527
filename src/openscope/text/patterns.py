"""A compact token syntax for spaCy Matcher patterns, shared by the card readers.

    "we release|released the? *3 training code"  ->  [{LOWER: {IN: [we]}}, ...]

Words are lower-case alternatives joined by "|"; a trailing "?" makes a token optional; "*N" skips up
to N tokens that are not sentence punctuation; "URL" matches a URL, optionally in parentheses.
"""

from __future__ import annotations

from openscope.text.sentences import nlp

_STOP_WILDCARD = [";", ".", "!", "?", ":", "|"]


def compile_pattern(spec: str) -> list[dict]:
    """Compile the compact token syntax of cardrules/*.yaml into a spaCy Matcher pattern."""
    tokens: list[dict] = []
    for part in spec.split():
        if part.startswith("*"):
            n = int(part[1:]) if part[1:] else 6
            tokens.append({"TEXT": {"NOT_IN": _STOP_WILDCARD}, "OP": f"{{0,{n}}}"})
            continue
        optional = part.endswith("?") and len(part) > 1
        part = part[:-1] if optional else part
        if part == "URL":
            tokens.append({"ORTH": "(", "OP": "?"})
            tok: dict = {"LIKE_URL": True}
        else:
            tok = {"LOWER": {"IN": part.lower().split("|")}}
        if optional:
            tok["OP"] = "?"
        tokens.append(tok)
    return tokens


def build_matcher(named_patterns: dict[str, list[str]]):
    from spacy.matcher import Matcher

    matcher = Matcher(nlp().vocab)
    for name, specs in named_patterns.items():
        matcher.add(name, [compile_pattern(s) for s in specs])
    return matcher
