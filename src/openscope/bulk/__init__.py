"""Audit a whole Hub dump: `openscope bulk`, on Dask (pipeline.py has the stages).

Beside api.py on the floor plan: it drives the single-model stages (card parsing, license assessment,
lineage, spectrum placement) over millions of rows, and nothing below imports it. Dask is imported
only by engine.py, only when a Dask scheduler is asked for.
"""
