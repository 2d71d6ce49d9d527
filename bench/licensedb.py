"""ScanCode's LicenseDB, read from the scancode-toolkit-mini wheel (never copied into the project).

    from licensedb import load, negatives, noncommercial
    texts = load()            # every LicenseDB text: LicenseDBText(key, meta, text)

The wheel is found at $OPENSCOPE_LICENSEDB (a .whl file), else in the download cache
(~/.cache/openscope/licensedb/, or $XDG_CACHE_HOME), else downloaded there with
`pip download --no-deps scancode-toolkit-mini==32.5.0` (126 MB). `available()` says whether
that worked, and why not. The data is CC-BY-4.0 (ScanCode / nexB); only facts derived from it
(hashes, keys, categories) are ever committed.

Two reference sets are defined here (bench/licensedb.yaml lists the second):
- negatives: English texts of category Permissive, Copyleft, Copyleft Limited or Public Domain,
  neither deprecated, nor an exception to another license, nor empty. They restrict nothing beyond
  credit: any restriction flag openscope raises on them other than `attribution` is false.
- non-commercial: English licenses that forbid commercial use (every CC BY-NC variant, PolyForm
  Noncommercial, research-only AI licenses ...); `non-commercial` must be raised on each.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

WHEEL = "scancode_toolkit_mini-32.5.0-cp311-none-any.whl"
REQUIREMENT = "scancode-toolkit-mini==32.5.0"
MEMBER_PREFIX = "licensedcode/data/licenses/"
NEGATIVE_CATEGORIES = ("Permissive", "Copyleft", "Copyleft Limited", "Public Domain")
SETS_FILE = Path(__file__).with_name("licensedb.yaml")
_FRONT = re.compile(r"^---\n(.*?)\n---\n?(.*)$", re.S)


@dataclass(frozen=True)
class LicenseDBText:
    key: str
    meta: dict
    text: str

    @property
    def category(self) -> str | None:
        return self.meta.get("category")

    @property
    def language(self) -> str:
        return self.meta.get("language") or "en"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "openscope" / "licensedb"


@functools.cache
def wheel_path() -> tuple[Path | None, str]:
    """(path to the wheel, or None; why not)."""
    explicit = os.environ.get("OPENSCOPE_LICENSEDB")
    if explicit:
        path = Path(explicit)
        return (path, "") if path.is_file() else (None, f"OPENSCOPE_LICENSEDB={explicit} is not a file")
    cached = cache_dir() / WHEEL
    if cached.is_file():
        return cached, ""
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", REQUIREMENT,
                               "--dest", str(cached.parent)], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot download {REQUIREMENT}: {exc}"
    if done.returncode != 0 or not cached.is_file():
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        return None, f"cannot download {REQUIREMENT} ({last})"
    return cached, ""


def available() -> tuple[bool, str]:
    path, why = wheel_path()
    return path is not None, why


@functools.cache
def load() -> tuple[LicenseDBText, ...]:
    path, why = wheel_path()
    if path is None:
        raise FileNotFoundError(why)
    out = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if not (name.startswith(MEMBER_PREFIX) and name.endswith(".LICENSE")):
                continue
            raw = zf.read(name).decode("utf-8", errors="replace")
            m = _FRONT.match(raw)
            meta, text = (yaml.safe_load(m.group(1)) or {}, m.group(2)) if m else ({}, raw)
            meta.setdefault("key", name[len(MEMBER_PREFIX):-len(".LICENSE")])
            out.append(LicenseDBText(meta["key"], meta, text))
    return tuple(out)


@functools.cache
def reference_sets() -> dict:
    return yaml.safe_load(SETS_FILE.read_text(encoding="utf-8"))


def negatives() -> list[LicenseDBText]:
    return [t for t in load() if t.category in NEGATIVE_CATEGORIES and t.language == "en"
            and not t.meta.get("is_deprecated") and not t.meta.get("is_exception") and t.text.strip()]


def noncommercial() -> list[LicenseDBText]:
    keys = set(reference_sets()["non_commercial"])
    found = [t for t in load() if t.key in keys]
    missing = keys - {t.key for t in found}
    if missing:
        raise KeyError(f"bench/licensedb.yaml names keys the LicenseDB lacks: {sorted(missing)}")
    return found


def edited(text: str) -> str:
    """A text edited the way a mirror might: one word of the longest line changed and a sentence of
    ours appended (only the fuzzy matchers can answer, and the answer must say it was modified).
    Shared by bench/eval_licensedb.py and tests/test_licensedb.py."""
    lines = text.split("\n")
    i = max(range(len(lines)), key=lambda n: len(lines[n]))
    words = lines[i].split(" ")
    words[len(words) // 2] = "zebra"
    lines[i] = " ".join(words)
    return "\n".join(lines) + "\n\nThis copy was passed on by a mirror, which added this closing sentence.\n"
