"""Sentences: spaCy's blank English pipeline with the rule-based sentencizer (no model download).

One pipeline per process, shared by every reader: the license rules, the card rules and lineage
all tokenise with it and match against its vocabulary.
"""

from __future__ import annotations

import functools
import re

MAX_TEXT_CHARS = 3_000_000  # spaCy refuses longer texts; a blank pipeline with a sentencizer needs little memory


@functools.cache
def nlp():
    """A blank English pipeline with the rule-based sentencizer, built once per process."""
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.max_length = MAX_TEXT_CHARS
    for abbreviation in ABBREVIATIONS:  # one token each, so the sentencizer does not end a sentence there
        pipeline.tokenizer.add_special_case(abbreviation, [{"ORTH": abbreviation}])
    pipeline.tokenizer = RunBreakingTokenizer(pipeline.tokenizer)
    return pipeline


# Abbreviations that stand before an amount and that spaCy's English exceptions lack: "Rs. 5,00,000"
# was cut into two sentences at the stop, the currency in one and the amount and the duty in the next.
ABBREVIATIONS = ("Rs.", "rs.", "RS.")


# spaCy's tokenizer strips affixes one character at a time, re-searching the rest each time: a run of
# 16,000 "(" took a minute, and every mark in it is a token for each matcher after. A run of punctuation
# is kept to its first 64 marks and the rest blanked (same length, so every offset holds): no word, URL or
# quote worth reading is 64 punctuation marks in a row.
MAX_PUNCT_RUN = 64
_PUNCT_RUN = re.compile(rf"[^\w\s]{{{MAX_PUNCT_RUN + 1},}}")


def break_punctuation_runs(text: str) -> str:
    if len(text) <= MAX_PUNCT_RUN or _PUNCT_RUN.search(text) is None:
        return text
    return _PUNCT_RUN.sub(lambda m: m.group()[:MAX_PUNCT_RUN] + " " * (len(m.group()) - MAX_PUNCT_RUN), text)


class RunBreakingTokenizer:
    """spaCy's tokenizer with long punctuation runs broken first; everything else is the tokenizer's own."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, text: str):
        return self.inner(break_punctuation_runs(text))

    def pipe(self, texts, **kwargs):
        return self.inner.pipe((break_punctuation_runs(t) for t in texts), **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)
