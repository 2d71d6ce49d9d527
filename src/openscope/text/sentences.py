"""Sentences: spaCy's blank English pipeline with the rule-based sentencizer (no model download)."""

from __future__ import annotations

import functools


@functools.cache
def nlp():
    """A blank English pipeline with the rule-based sentencizer, built once per process."""
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    return pipeline


@functools.cache
def card_nlp():
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.max_length = 3_000_000
    return pipeline
