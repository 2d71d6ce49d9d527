"""Thresholds are read exactly as written, in the currency written."""

from __future__ import annotations

import pytest

from openscope.license.thresholds import (
    amounts,
    revenue_threshold,
    thresholds_for,
    users_threshold,
)


@pytest.mark.parametrize(("sentence", "users"), [
    ("more than 700 million monthly active users in the preceding month", 700_000_000),
    ("a product with 100,000,000 monthly active users", 100_000_000),
    ("over one hundred million daily active users", 100_000_000),
    ("seven hundred million users", 700_000_000),
    ("2.5 billion MAU", 2_500_000_000),
    ("10M users", 10_000_000),
    ("if monthly users exceed 50 million", 50_000_000),
    ("at least 1,000 subscribers", 1_000),
])
def test_users(sentence, users):
    assert users_threshold(sentence) == users
    assert thresholds_for("user-cap", sentence) == {"users": users}


@pytest.mark.parametrize(("sentence", "expected"), [
    ("annual revenue of less than US $1,000,000", ("usd", 1_000_000)),
    ("more than USD $1,000,000 in annual revenue", ("usd", 1_000_000)),
    ("annual revenues of at least $10,000,000", ("usd", 10_000_000)),
    ("USD 10 million in revenue", ("usd", 10_000_000)),
    ("revenue above RMB 1 million", ("cny", 1_000_000)),
    ("turnover over EUR 5 million", ("eur", 5_000_000)),
    ("€5M turnover", ("eur", 5_000_000)),
    ("revenue of £2 million", ("gbp", 2_000_000)),
    ("50 million euros of revenue", ("eur", 50_000_000)),
    ("revenue above 3.5 million dollars", ("usd", 3_500_000)),
])
def test_revenue_keeps_its_currency(sentence, expected):
    assert revenue_threshold(sentence) == expected
    assert thresholds_for("revenue-cap", sentence) == {f"revenue_{expected[0]}": expected[1]}


def test_no_threshold_without_a_number_or_currency():
    assert users_threshold("users must be adults") is None
    assert revenue_threshold("revenue of 5 million") is None  # no currency: not guessed
    assert thresholds_for("revenue-cap", "a large revenue") == {}
    assert thresholds_for("naming", "700 million users") == {}


def test_section_numbers_and_years_are_not_user_counts():
    assert users_threshold("Section 2.1 applies to users of the model since 2024") is None


def test_amounts_reads_words_and_scales():
    values = [a.value for a in amounts("one hundred million, 1.5 billion and 20,000")]
    assert values == [100_000_000, 1_500_000_000, 20_000]


def test_every_currency_thresholds_reads_is_money_to_the_rules():
    """_thresholds.yaml's currencies and the rules' `money` cue are two lists of one fact: a cap is
    raised only where the cue sees money, so a currency the reader knows must be one the cue knows."""
    from openscope.data import load_yaml
    from openscope.license import rules as R
    from openscope.license.segment import segment
    from openscope.license.thresholds import SETTINGS_FILE

    ruleset = R.load_rules()
    # "won" alone is a past tense; "dollar" and "U.S. dollars" are read after a country word
    not_alone = {"won", "dollar", "u.s. dollars"}
    unseen = []
    for currency in load_yaml(SETTINGS_FILE)["currencies"]:
        if currency in not_alone:
            continue
        for text in (f"Revenue above {currency}5,000,000 needs a licence.", f"Revenue above {currency} 5,000,000 needs a licence.",
                     f"Revenue above 5,000,000 {currency} needs a licence."):
            seg = segment(text)
            matches = R.match_text(ruleset, seg.docs, set(), seg.index)
            R.ensure_marks(ruleset, [(bm, range(len(bm.sentences))) for bm in matches])
            if any("cue|money" in bm.keys_in(0, None) for bm in matches):
                break
        else:
            unseen.append(currency)
    assert unseen == []


@pytest.mark.parametrize(("sentence", "expected"), [
    # Indian numbering: crore (10^7) and lakh (10^5) as scales, digits grouped in hundreds above the thousands
    ("turnover above rupees five hundred crore (Rs. 5,00,00,00,000)", {"revenue_inr": 5_000_000_000}),
    ("annual turnover exceeds five crore rupees", {"revenue_inr": 50_000_000}),
    ("revenue of Rs. 2,50,000 or more", {"revenue_inr": 250_000}),
])
def test_indian_amounts_are_read_as_written(sentence, expected):
    assert thresholds_for("revenue-cap", sentence) == expected


def test_lakh_counts_users():
    assert users_threshold("serving in excess of two lakh fifty thousand registered accounts") == 250_000


def test_a_sentence_does_not_end_at_the_abbreviation_before_an_amount():
    from openscope.license.segment import segment

    text = "A group whose turnover stood above Rs. 5,00,00,00,000 holds no licence under Clause 2."
    seg = segment(text)
    assert [len(list(doc.sents)) for doc in seg.docs] == [1]
