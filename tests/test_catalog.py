"""The license catalog: every YAML entry is well formed, names resolve, and known texts match the gold labels."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from conftest import corpus_dir

from openscope.catalog import CATALOG_DIR, Catalog, _norm, load_catalog, parse_entry
from openscope.data import load_yaml
from openscope.errors import CatalogError
from openscope.vocabulary import flag_names

THRESHOLD_KEY = re.compile(r"^(users|revenue_[a-z]{3})$")
CLOSED_API_TERMS = (
    "openai-tou-2024",
    "anthropic-commercial-terms",
    "google-gemini-api-terms",
    "xai-terms",
    "mistral-ai-terms",
    "cohere-terms",
    "amazon-bedrock-terms",
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def entry_names(entry) -> list[str]:
    return [n for n in (entry.key, entry.name, entry.spdx, entry.scancode_key, *entry.aliases, *entry.hf_ids) if n]


def test_catalog_is_large_enough(catalog):
    assert len(catalog) >= 60


def test_every_file_is_named_after_its_key():
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        assert load_yaml(path)["key"] == path.stem, path.name


def test_flags_come_from_the_vocabulary_and_say_something(catalog):
    known = set(flag_names())
    for entry in catalog:
        assert entry.flag_set <= known, entry.key
        for flag in entry.flags:
            assert flag.summary.strip(), f"{entry.key}: {flag.flag} has no summary"


def test_thresholds_are_users_or_revenue_in_a_currency_as_integers(catalog):
    for entry in catalog:
        for flag in entry.flags:
            for key, value in flag.thresholds.items():
                assert THRESHOLD_KEY.match(key), f"{entry.key}: threshold key {key!r}"
                assert isinstance(value, int) and not isinstance(value, bool) and value > 0, f"{entry.key}: {key}={value!r}"
        cap = entry.flag("user-cap")
        if cap:
            assert "users" in cap.thresholds, f"{entry.key}: user-cap without a user threshold"
        revenue = entry.flag("revenue-cap")
        if revenue:
            assert any(k.startswith("revenue_") for k in revenue.thresholds), f"{entry.key}: revenue-cap without an amount"


def test_incorporated_documents_exist_and_are_policies(catalog):
    for entry in catalog:
        for key in entry.incorporates:
            target = catalog.get(key)
            assert target is not None, f"{entry.key} incorporates unknown {key!r}"
            assert target.kind == "aup", f"{entry.key} incorporates {key!r}, which is a {target.kind}"
            assert key != entry.key


def test_no_name_of_one_entry_resolves_to_another(catalog):
    owner: dict[str, str] = {}
    for entry in catalog:
        for name in entry_names(entry):
            norm = _norm(name)
            assert owner.setdefault(norm, entry.key) == entry.key, (
                f"{name!r} of {entry.key} collides with {owner[norm]}"
            )
    for entry in catalog:
        for name in entry_names(entry):
            assert catalog.lookup(name).key == entry.key, name


def test_every_entry_points_to_its_source(catalog):
    for entry in catalog:
        raw = load_yaml(entry.path)
        assert entry.url and entry.url.startswith("http"), entry.key
        assert raw.get("sources") and all(str(s).startswith("http") for s in raw["sources"]), entry.key


def test_open_licenses_carry_no_restrictions_beyond_credit(catalog):
    for entry in catalog:
        if entry.osi_approved:
            assert entry.osi_open is True, entry.key
        if entry.osi_open:
            assert entry.flag_set <= {"attribution"}, f"{entry.key} is osi_open but flags {sorted(entry.flag_set)}"


def test_policies_and_terms_are_never_osi_open(catalog):
    for entry in catalog:
        if entry.kind in ("aup", "terms"):
            assert entry.osi_open is False, entry.key
            assert "use-restrictions" in entry.flag_set, entry.key


def test_closed_api_provider_terms_exist(catalog):
    for key in CLOSED_API_TERMS:
        entry = catalog.get(key)
        assert entry is not None, key
        assert entry.kind == "terms", key


def test_territory_carve_outs_live_in_the_document_that_states_them(catalog):
    # Llama 3.2's EU exclusion is written in its AUP, not in the license text.
    assert "geographic" not in catalog.get("llama3.2").flag_set
    assert "geographic" in catalog.get("llama-3.2-aup").flag_set
    assert "llama-3.2-aup" in catalog.get("llama3.2").incorporates
    assert "geographic" in catalog.get("tencent-hunyuan-community").flag_set


@pytest.mark.parametrize(
    "name,key",
    [
        ("bsl-1.0", "bsl-1.0"),  # the Hub's Boost license, not ScanCode's Business Source License
        ("openrail++", "openrail++"),
        ("openrail", "openrail"),
        ("CreativeML Open RAIL-M", "creativeml-openrail-m"),
        ("LLAMA-3.1", "llama3.1"),
        ("Llama 2 Community License Agreement", "llama2"),
        ("LicenseRef-scancode-gemma-tou-2024-04-01", "gemma"),
        ("GPL-2.0-or-later", "gpl-2.0"),
        ("  Apache 2.0 ", "apache-2.0"),
        ("qwen-research", "qwen-research"),
        ("mrl", "mistral-mrl-0.1"),
    ],
)
def test_lookup_normalises_common_spellings(catalog, name, key):
    assert catalog.lookup(name).key == key


def test_lookup_of_unknown_or_empty_names_finds_nothing(catalog):
    assert catalog.lookup("no-such-license-anywhere") is None
    assert catalog.lookup("") is None
    assert catalog.lookup(None) is None


def write_entry(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "entry.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text,needle",
    [
        ("key: x\nname: X\nkind: license\nosi_open: true\nspdx_id: X\n", "unknown keys"),
        ("key: x\nname: X\nkind: licence\nosi_open: true\n", "kind"),
        ("key: x\nname: X\nkind: license\n", "osi_open"),
        ("key: x\nname: X\nkind: license\nosi_open: false\nflags:\n  no-sharing: {}\n", "no-sharing"),
    ],
)
def test_parse_entry_rejects_bad_entries_naming_the_file(tmp_path, text, needle):
    path = write_entry(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        parse_entry(load_yaml(path), path)
    assert needle in str(info.value) and "entry.yaml" in str(info.value)


@pytest.mark.corpus
def test_every_corpus_license_matches_its_gold_label(catalog, license_labels):
    for label in license_labels:
        entry = catalog.lookup(label["id"])
        assert entry is not None, f"no catalog entry for corpus license {label['id']}"
        thresholds = {k: v for flag in entry.flags for k, v in flag.thresholds.items()}
        assert sorted(entry.flag_set) == sorted(label["flags"]), label["id"]
        assert thresholds == label["thresholds"], label["id"]
        assert entry.osi_open == label["osi_open"], label["id"]
        if label.get("scancode_key"):
            assert entry.scancode_key == label["scancode_key"], label["id"]


def declared_license_names(card_text: str) -> list[str]:
    """`license` / `license_name` values of a card's YAML front matter (empty when it is missing or invalid)."""
    if not card_text.startswith("---"):
        return []
    try:
        meta = yaml.safe_load(card_text.split("\n---", 1)[0].removeprefix("---"))
    except yaml.YAMLError:
        return []
    if not isinstance(meta, dict):
        return []
    names = []
    for field in ("license", "license_name"):
        value = meta.get(field)
        names += [str(v) for v in (value if isinstance(value, list) else [value]) if v]
    return [n for n in names if n.lower() not in ("other", "unknown")]


@pytest.mark.corpus
def test_license_names_declared_on_corpus_cards_resolve(catalog, corpus):
    seen = 0
    for card in sorted((corpus / "cards" / "texts").glob("*.md")):
        for name in declared_license_names(card.read_text(encoding="utf-8")):
            seen += 1
            assert catalog.lookup(name) is not None, f"{card.name}: {name!r}"
    assert seen >= 30


def hf_license_rows() -> list[dict]:
    path = corpus_dir().parent / "notes" / "hf_license_ids.tsv"
    if not path.exists():
        pytest.skip(f"Hub license id list not found at {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_specific_hub_license_id_has_its_own_entry(catalog):
    checked = 0
    for row in hf_license_rows():
        if row["id"] in ("other", "unknown") or "family tag" in (row.get("note") or ""):
            continue
        entry = catalog.lookup(row["id"])
        assert entry is not None, f"Hub license id {row['id']!r} does not resolve"
        assert entry.key == row["id"] and row["id"] in entry.hf_ids, row["id"]
        checked += 1
    assert checked >= 60
