"""Is a text English, which parts of it are, and in which script the rest is written.

The readers' rules and classifier are English. A text in another language must not read as "no
restrictions": the reader says it could not read it (`text-not-english`). Many licenses carry an
English version beside the original; then the English paragraphs are what is read.

Decided without a language model: the share of letters outside the Latin script (CJK, Cyrillic ...)
and, for Latin-script text, the share of common English function words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")  # str.isalpha() of an ASCII character
# Common English function words; in German, French or Spanish text they are rare.
_ENGLISH = frozenset("""the of and to a in is that for it as with be by this on or are any you not
shall may from all such your its which an have will has at other than under these those their
""".split())
MIN_ENGLISH_SHARE = 0.15  # of a paragraph's words
MAX_FOREIGN_LETTERS = 0.3  # of a paragraph's letters
MIN_ENGLISH_WORDS = 80  # an English version shorter than this is a heading or a note, not a version


@dataclass(frozen=True)
class LanguageCheck:
    english: bool  # the text as a whole reads as English
    english_part: str | None  # when it does not: its English paragraphs, if they make a version
    script: str  # the main non-English script ("CJK", "CYRILLIC", ...) or "LATIN"


def _script(ch: str) -> str:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "OTHER"
    if name.startswith("LATIN"):
        return "LATIN"
    if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL")):
        return "CJK"
    return name.split(" ", 1)[0]


def _paragraph_is_english(text: str) -> tuple[bool, int, str]:
    """(English?, words, main script) of one paragraph."""
    if text.isascii():  # most paragraphs: every letter is Latin, so only the word share decides
        if not _ASCII_LETTER.search(text):
            return True, 0, "LATIN"
        words = [w.lower() for w in _WORD.findall(text)]
        if len(words) < 12:
            return True, len(words), "LATIN"
        return sum(w in _ENGLISH for w in words) / len(words) >= MIN_ENGLISH_SHARE, len(words), "LATIN"
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True, 0, "LATIN"
    scripts: dict[str, int] = {}
    for c in letters:
        s = "LATIN" if c.isascii() else _script(c)
        scripts[s] = scripts.get(s, 0) + 1
    foreign = sum(n for s, n in scripts.items() if s != "LATIN")
    main = max(scripts, key=scripts.get)
    if foreign > MAX_FOREIGN_LETTERS * len(letters):
        # scripts written without spaces (Chinese, Japanese) count about one word per two characters
        return False, max(len(_WORD.findall(text)), foreign // 2), main
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 12:
        return True, len(words), main  # too short to tell: headings, names, numbers
    share = sum(w in _ENGLISH for w in words) / len(words)
    return share >= MIN_ENGLISH_SHARE, len(words), "LATIN" if main == "LATIN" else main


def check(text: str) -> LanguageCheck:
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    verdicts = [_paragraph_is_english(p) for p in paragraphs]
    english_words = sum(n for ok, n, _ in verdicts if ok)
    foreign_words = sum(n for ok, n, _ in verdicts if not ok)
    if foreign_words <= max(20, 0.2 * (english_words + foreign_words)):
        return LanguageCheck(True, None, "LATIN")
    scripts: dict[str, int] = {}
    for ok, n, s in verdicts:
        if not ok:
            scripts[s] = scripts.get(s, 0) + n
    script = max(scripts, key=scripts.get) if scripts else "LATIN"
    english = "\n\n".join(p for p, (ok, n, _) in zip(paragraphs, verdicts) if ok)
    english_part = english if english_words >= MIN_ENGLISH_WORDS else None
    return LanguageCheck(False, english_part, script)
