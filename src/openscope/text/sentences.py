"""Sentences: spaCy's blank English pipeline with the rule-based sentencizer (no model download).

One pipeline per process, shared by every reader: the license rules, the card rules and lineage
all tokenise with it and match against its vocabulary.
"""

from __future__ import annotations

import functools

MAX_TEXT_CHARS = 3_000_000  # spaCy refuses longer texts; a blank pipeline with a sentencizer needs little memory


@functools.cache
def nlp():
    """A blank English pipeline with the rule-based sentencizer, built once per process."""
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.max_length = MAX_TEXT_CHARS
    return pipeline
