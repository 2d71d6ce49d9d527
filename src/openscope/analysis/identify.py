"""License identification: an ordered chain of matchers, cheap to fuzzy (placeholder)."""

from __future__ import annotations


def identify_text(text: str):
    return None
