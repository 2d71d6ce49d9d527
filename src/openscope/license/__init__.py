"""Stages 3 and 4 for one text: identify the license, then read its restrictions and obligations.

`analyze_text` is the single entry point used by `openscope license` and by `audit` for every
license-bearing file of a model. spaCy and scikit-learn are imported only inside it.
`decode_license_bytes` turns raw file bytes into text for it, saying what it had to do (cut a huge
file, guess an encoding) instead of failing.
"""

from __future__ import annotations

from openscope.types import Identification, ReportWarning, TextAnalysis

_MAX_DIFFERENCES = 5
# Distinct unread texts from which a batch is read by a pool of forked processes (one per core).
# Below it, forking (~30-80 ms) costs more than the second core gives back (~10-45 ms a text; measured
# after warm-up on the 2-core machine, 56 corpus texts: 91 ms a text serial, 48 ms pooled, 76 ms to fork).
POOL_MIN_TEXTS = 4


def warm_up() -> None:
    """Build everything analysis needs once (spaCy pipeline, rule matchers, classifier, fingerprints).

    A caller about to analyse many texts can then freeze these long-lived objects out of the
    garbage collector's scans (the CLI does; a library host decides for itself).
    """
    read_text("This license is granted for research use only.", "<warm-up>")  # uncached: it must build


def analyze_texts(items: list[tuple[str, str]], *, workers: int | None = None, pool_min: int | None = None,
                  freeze: bool = False) -> list[TextAnalysis | Exception]:
    """`analyze_text` for every (text, filename), in order; a text that fails gives its exception.

    Readings come from the build's stored readings (known.py) or the cache where they have them. When at least `pool_min` (POOL_MIN_TEXTS) distinct
    texts are left to read and more than one core is usable, they are read by `workers` processes
    forked after a warm-up, so the spaCy pipeline, matchers and weights are built once and shared;
    the results are the ones a serial reading gives (tests/test_pool.py). `freeze`: before reading
    more than one text, build everything and freeze it out of the garbage collector's scans for the
    rest of the process (~30% faster batches; for a one-shot process such as the CLI).
    """
    from openscope.license.cache import default_cache, enabled
    from openscope.license.known import get as known_reading

    cache = default_cache() if enabled() else None
    results: list = [None] * len(items)
    todo: dict[tuple[str, str], list[int]] = {}
    for i, (text, filename) in enumerate(items):
        hit = known_reading(text, filename)
        if hit is None and cache:
            hit = cache.get(text, filename)
        if hit is not None:
            results[i] = hit
        else:
            todo.setdefault((text, filename), []).append(i)
    pairs = list(todo)
    workers = _usable_cores() if workers is None else workers
    pool_min = POOL_MIN_TEXTS if pool_min is None else pool_min
    if freeze and len(pairs) > 1:
        import gc

        warm_up()
        gc.freeze()
    if workers > 1 and len(pairs) >= max(pool_min, 2) and _can_fork():
        read = _read_in_pool(pairs, min(workers, len(pairs)))
    else:
        read = [_read_or_error(pair) for pair in pairs]
    for pair, analysis in zip(pairs, read):
        if analysis is _FAILED_IN_WORKER:
            analysis = _read_or_error(pair)  # read here, so the error is the one a serial run raises
        if cache and not isinstance(analysis, Exception):
            cache.put(*pair, analysis)
        for i in todo[pair]:
            results[i] = analysis
    return results


_FAILED_IN_WORKER = object()


def _read_or_error(pair: tuple[str, str]):
    try:
        return read_text(*pair)
    except Exception as exc:  # noqa: BLE001 - a batch reports each text's failure; it never stops
        return exc


def _read_in_worker(pair: tuple[str, str]):
    try:
        return read_text(*pair)
    except Exception:  # noqa: BLE001 - exceptions need not survive pickling; the parent re-reads this one
        return None


def _read_in_pool(pairs: list[tuple[str, str]], workers: int) -> list:
    import gc
    import multiprocessing

    warm_up()  # before the fork: the workers inherit a built pipeline instead of building one each
    frozen = gc.get_freeze_count()
    gc.freeze()  # and the collector leaves the inherited objects alone, so their pages stay shared
    try:
        context = multiprocessing.get_context("fork")
        chunk = max(1, len(pairs) // (workers * 4))
        with context.Pool(workers) as pool:
            read = pool.map(_read_in_worker, pairs, chunksize=chunk)
    finally:
        if not frozen:
            gc.unfreeze()  # the host's collector is its own business
    return [_FAILED_IN_WORKER if r is None else r for r in read]


def _usable_cores() -> int:
    """OPENSCOPE_WORKERS if set (1: never fork), else the cores this process may run on."""
    import os

    if os.environ.get("OPENSCOPE_WORKERS", "").isdigit():
        return max(1, int(os.environ["OPENSCOPE_WORKERS"]))
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _can_fork() -> bool:
    import multiprocessing
    import threading

    # Forking a process with other threads running can copy a held lock; fork exists on POSIX only.
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


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
    """`read_text`, answered from the readings stored at build time (license/known.py) when the build read
    this very text, else from the reading cache (license/cache.py) when this reader has read it before."""
    from openscope.license.cache import reading
    from openscope.license.known import get as known_reading

    known = known_reading(text, filename)
    return known if known is not None else reading(text, filename, read_text)


def read_text(text: str, filename: str) -> TextAnalysis:
    """Identify `text` against the catalog and extract restriction flags with evidence.

    The flags describe the text as it reads (SPEC §2); when identification finds a known license
    that this text differs from, a `license-modified` warning names the license and the differences.
    A text the readers cannot read (not English) says so: `readable` is False and a `text-not-english`
    warning explains that its restrictions are unknown; where it also holds an English version, that
    version is read (`text-partly-english`).
    """
    from openscope.license.identify import identify_text
    from openscope.license.obligations import read_obligations
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
    for flag, written in extraction.too_large.items():
        shown = written if len(written) <= 60 else written[:57] + "..."
        warnings.append(ReportWarning("threshold-too-large", f"{filename}: {flag}: the number {shown!r} is beyond "
                                      "any real threshold; the flag is kept without one"))
    if identification is not None and identification.key and identification.modified:
        warnings.append(modified_warning(identification, filename))
    # Obligations read the same segmentation the restriction reader made (one spaCy pass per text).
    return TextAnalysis(identification=identification, flags=extraction.findings, warnings=warnings,
                        unwrapped=extraction.segmented.unwrapped, readable=readable,
                        obligations=read_obligations(extraction.segmented, filename))


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


