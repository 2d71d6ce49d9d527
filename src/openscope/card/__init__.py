"""Model cards: the one card parser (`parse`), and the readers of openscope and lineage in card text."""
