"""Restriction extraction from a license text (placeholder)."""

from __future__ import annotations


def extract_flags(text: str, filename: str) -> list:
    return []
