"""Read user and revenue thresholds exactly as written ("700 million monthly active users",
"US $1,000,000 in annual revenue", "RMB 1 million").

Numbers may be digits with separators, decimals with a scale ("1.5 billion", "10M") or words
("one hundred million"). Revenue keeps its own currency, unconverted: {"revenue_usd": 1000000},
{"revenue_cny": 1000000}. Number words, scales and currency markers live in
`licenses/rules/_thresholds.yaml`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction

from openscope.data import LICENSES_DIR, load_yaml

SETTINGS_FILE = LICENSES_DIR / "rules" / "_thresholds.yaml"
# A quintillion: far above any real user or revenue cap, inside a signed 64-bit integer that every JSON
# reader keeps. A number written above it is not a threshold (the quote still shows it as written).
MAX_THRESHOLD = 10**18
_MAX_DIGITS = 40  # a run of more digits is not read as a number at all (int() of 4,300+ digits raises)


@dataclass(frozen=True)
class _Settings:
    words: dict[str, int]
    scales: dict[str, int]
    currencies: dict[str, str]
    amount: re.Pattern
    prefix_currency: re.Pattern
    suffix_currency: re.Pattern
    users_after: re.Pattern  # "<number> monthly active users"
    users_before: re.Pattern  # "users ... exceeding <number>"
    user_word: re.Pattern
    revenue_word: re.Pattern


@dataclass(frozen=True)
class Amount:
    value: int
    start: int
    end: int


@functools.cache
def settings() -> _Settings:
    raw = load_yaml(SETTINGS_FILE)
    words = {k.lower(): int(v) for k, v in raw["number_words"].items()}
    scales = {k.lower(): int(v) for k, v in raw["scales"].items()}
    currencies = {k.lower(): v for k, v in raw["currencies"].items()}
    word_alt = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    long_scales = [s for s in scales if len(s) > 2 or s == "mm"]
    short_scales = [s for s in scales if s not in long_scales]
    scale_alt = "|".join(sorted(map(re.escape, long_scales), key=len, reverse=True))
    short_alt = "|".join(sorted(map(re.escape, short_scales), key=len, reverse=True))
    # grouped in thousands ("1,000,000") or the Indian way, in hundreds above the last three ("5,00,00,000")
    digits = r"\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?:\.\d+)?|\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?|\d+(?:\.\d+)?"
    word_number = rf"(?:{word_alt})(?:[\s-]+(?:and\s+)?(?:{word_alt}|{scale_alt}))*"
    amount = re.compile(
        rf"(?<![\w.,])(?P<num>{digits}|{word_number})"
        rf"(?P<scale>(?:\s*-?\s*(?:{scale_alt})\b)+|(?:{short_alt})\b)?",
        re.I,
    )
    cur_alt = "|".join(re.escape(c).replace(r"\ ", r"\s*") for c in sorted(currencies, key=len, reverse=True))
    prefix = re.compile(rf"(?P<cur>{cur_alt})\s*$", re.I)
    suffix = re.compile(rf"^\s*(?P<cur>{cur_alt})(?![\w])", re.I)
    user_alt = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(raw["user_words"], key=len, reverse=True))
    qualifiers = "|".join(map(re.escape, raw["user_qualifiers"]))
    # "one million (1,000,000) daily active users": the number may be restated in brackets
    users_after = re.compile(rf"(?:\s*\([^()]{{1,24}}\))?\s*(?:(?:{qualifiers})[\s-]+){{0,3}}(?:{user_alt})\b", re.I)
    # "the Monthly Active Users of all products offered by you and your Affiliates exceeded ...": the
    # count is compared to the number however long the phrase that says whose users they are
    users_before = re.compile(
        rf"\b(?:{user_alt})\b[^.;:\d]{{0,120}}?\b(?:exceeds?|exceeding|exceeded|over|above|more than|greater than|"
        rf"at least|surpass\w*|reaches|reaching)\s*$"
        # a figure given as a label's value: "monthly active users: 2,000,000", "MAU - 5 million"
        rf"|\b(?:{user_alt})\s*(?:\([^()]{{1,24}}\)\s*)?[:=|\u2013\u2014-]\s*$", re.I)
    user_word = re.compile(rf"\b(?:{user_alt})\b", re.I)
    revenue_word = re.compile(rf"\b(?:{'|'.join(map(re.escape, raw['revenue_words']))})\b", re.I)
    return _Settings(words, scales, currencies, amount, prefix, suffix, users_after, users_before, user_word,
                     revenue_word)


def _word_value(text: str, cfg: _Settings) -> int | None:
    """'one hundred million' -> 100000000; 'seven hundred' -> 700."""
    total = current = 0
    seen = False
    for word in re.findall(r"[a-z]+", text.lower()):
        if total > MAX_THRESHOLD or current > MAX_THRESHOLD:
            return None  # "one hundred hundred hundred ...": beyond any threshold, stop multiplying
        if word == "and":
            continue
        if word in cfg.words:
            current += cfg.words[word]
            seen = True
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in cfg.scales:
            total += (current or 1) * cfg.scales[word]
            current = 0
            seen = True
        else:
            return None
    return total + current if seen else None


def amounts(text: str, too_large: list[str] | None = None) -> list[Amount]:
    """Every number in `text` with its scale applied. A number above MAX_THRESHOLD is no threshold
    anyone means; it is left out, and (with `too_large`) appended there as written."""
    cfg = settings()
    out = []
    for m in cfg.amount.finditer(text):
        num = m.group("num")
        if num[0].isdigit():
            digits = re.sub(r"[,\u00a0\u202f]", "", num)
            if len(digits) > _MAX_DIGITS:
                if too_large is not None:
                    too_large.append(m.group(0).strip())
                continue
            value = Fraction(digits)  # exact: a float turns 9,007,199,254,740,993 into ...992
        else:
            word = _word_value(num, cfg)
            if word is None:
                continue
            value = Fraction(word)
        for scale in re.findall(r"[a-z]+", (m.group("scale") or "").lower()):
            value *= cfg.scales.get(scale, 1)
            if value > MAX_THRESHOLD:
                break  # "700 billion billion billion ...": no need to go on multiplying
        if value > MAX_THRESHOLD:
            if too_large is not None:
                too_large.append(m.group(0).strip())
            continue
        out.append(Amount(round(value), m.start(), m.end()))
    return out


def users_threshold(text: str) -> int | None:
    """The number of users a sentence sets as a threshold, if any: "700 million monthly active
    users", "users ... exceeding 50 million". A number elsewhere in the sentence is not a user count."""
    cfg = settings()
    for amount in amounts(text):
        if cfg.users_after.match(text, amount.end) or cfg.users_before.search(text[:amount.start]):
            return amount.value
    return None


def revenue_threshold(text: str) -> tuple[str, int] | None:
    """(currency code, amount) of the first sum of money in a sentence, currency as written."""
    cfg = settings()
    for amount in amounts(text):
        before = text[max(0, amount.start - 12):amount.start]
        m = cfg.prefix_currency.search(before)
        if m is None:
            m = cfg.suffix_currency.search(text[amount.end:amount.end + 20])
        if m is None:
            continue
        code = cfg.currencies.get(re.sub(r"\s+", " ", m.group("cur").lower()))
        if code is None:
            code = cfg.currencies.get(re.sub(r"\s+", "", m.group("cur").lower()))
        if code:
            return code, amount.value
    return None


def counted_named(flag: str, text: str) -> bool:
    """Whether `text` names what the flag's threshold counts (users; revenue), with or without a number."""
    cfg = settings()
    pattern = cfg.user_word if flag == "user-cap" else cfg.revenue_word if flag == "revenue-cap" else None
    return bool(pattern and pattern.search(text))


def plain_figure(flag: str, text: str) -> dict[str, int]:
    """For a user cap whose count is named elsewhere: the first number in `text` that is not a sum of
    money, a year or a section number ("We have set a figure of 250,000,000 for that count")."""
    if flag != "user-cap" or revenue_threshold(text):
        return {}
    found = [a for a in amounts(text) if a.value >= 1000 and not 1900 <= a.value <= 2100]
    return {"users": found[0].value} if found else {}


def thresholds_for(flag: str, sentence: str) -> dict[str, int]:
    """The `thresholds` entry of a flag raised by `sentence` (SPEC §2)."""
    if flag == "user-cap":
        users = users_threshold(sentence)
        return {"users": users} if users is not None else {}
    if flag == "revenue-cap":
        revenue = revenue_threshold(sentence)
        return {f"revenue_{revenue[0]}": revenue[1]} if revenue else {}
    return {}


def too_large_amount(flag: str, sentence: str) -> str | None:
    """For a cap flag whose sentence yields no threshold: a number there too large to be one, as written."""
    if flag not in ("user-cap", "revenue-cap"):
        return None
    found: list[str] = []
    amounts(sentence, found)
    return found[0] if found else None
