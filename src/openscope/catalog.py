"""The license catalog: one reviewable YAML file per license under `licenses/catalog/`.

The catalog holds facts in our own words (ids, thresholds, section pointers, which flags a license
carries, which documents it incorporates). It never holds license texts. Text identification uses
derived fingerprints (license/fingerprints.py), built by the scripts in `scripts/`.

Beyond its own entries the catalog answers for every license of ScanCode's LicenseDB
(`licenses/licensedb.json`, facts only, built by scripts/build_licensedb.py): `known(key)` gives such
a license as an uncatalogued entry (name, SPDX id, `osi_open` from its category as
`licenses/scancode_categories.yaml` maps it, no flags). The facts are read on the first such question.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from openscope.data import LICENSES_DIR, load_yaml
from openscope.errors import CatalogError
from openscope.types import CatalogFlag, CatalogLicense, CatalogObligation, LicenseDBEntry
from openscope.vocabulary import flag_names, obligation_names

CATALOG_DIR = LICENSES_DIR / "catalog"
LICENSEDB_PATH = LICENSES_DIR / "licensedb.json"
SCANCODE_CATEGORIES_PATH = LICENSES_DIR / "scancode_categories.yaml"
LICENSEDB_FORMAT = "openscope.licensedb/1"
KINDS = ("license", "aup", "terms")
# A ScanCode key that is also a catalog key for another license is reported under this prefix.
SCANCODE_PREFIX = "scancode:"


def _norm(name: str) -> str:
    # "+" is kept: "openrail++" (RAIL++-M) and "openrail" (the family tag) are different licenses.
    return re.sub(r"[^a-z0-9.+]+", "", name.lower())


_FIELDS = {
    "key", "name", "kind", "osi_open", "family", "hf_ids", "spdx", "scancode_key", "osi_approved", "url",
    "aliases", "incorporates", "binds_derivatives", "flags", "notes", "version", "released", "sources",
    "obligations",
}
_OBLIGATION_FIELDS = {"section", "summary", "value", "thresholds"}
MAX_CATALOG_VALUE = 60  # a short mark ("Built with Llama"); a spelt-out notice is read from the text, never stored


def parse_entry(raw: dict, path: Path) -> CatalogLicense:
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: expected a mapping")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise CatalogError(f"{path}: unknown keys {sorted(unknown)}")
    for required in ("key", "name", "kind", "osi_open"):
        if required not in raw:
            raise CatalogError(f"{path}: missing key {required!r}")
    if raw["kind"] not in KINDS:
        raise CatalogError(f"{path}: kind must be one of {KINDS}")
    known = set(flag_names())
    flags = []
    for name, spec in (raw.get("flags") or {}).items():
        if name not in known:
            raise CatalogError(f"{path}: unknown flag {name!r}")
        spec = spec or {}
        flags.append(
            CatalogFlag(
                flag=name,
                section=None if spec.get("section") is None else str(spec["section"]),
                summary=spec.get("summary", ""),
                thresholds=dict(spec.get("thresholds") or {}),
                applies_to=spec.get("applies_to"),
            )
        )
    obligations = _parse_obligations(raw.get("obligations"), path)
    return CatalogLicense(
        key=raw["key"],
        name=raw["name"],
        kind=raw["kind"],
        osi_open=raw["osi_open"],
        family=raw.get("family"),
        hf_ids=tuple(raw.get("hf_ids") or ()),
        spdx=raw.get("spdx"),
        scancode_key=raw.get("scancode_key"),
        osi_approved=bool(raw.get("osi_approved", False)),
        url=raw.get("url"),
        aliases=tuple(raw.get("aliases") or ()),
        incorporates=tuple(raw.get("incorporates") or ()),
        binds_derivatives=bool(raw.get("binds_derivatives", False)),
        flags=tuple(flags),
        notes=raw.get("notes"),
        path=path,
        obligations=obligations,
    )


def _parse_obligations(raw, path: Path) -> tuple[CatalogObligation, ...]:
    """`obligations: {name: {section, summary, value, thresholds}}`: what the text obliges, in our own words."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: obligations must be a mapping of obligation name to its facts")
    known = set(obligation_names())
    out = []
    for name, spec in raw.items():
        if name not in known:
            raise CatalogError(f"{path}: unknown obligation {name!r}; expected one of {sorted(known)}")
        spec = spec or {}
        extra = set(spec) - _OBLIGATION_FIELDS
        if extra:
            raise CatalogError(f"{path}: obligations.{name}: unknown keys {sorted(extra)}")
        value = spec.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_CATALOG_VALUE):
            raise CatalogError(f"{path}: obligations.{name}.value must be a short mark (at most "
                               f"{MAX_CATALOG_VALUE} characters), not a passage of the text")
        out.append(CatalogObligation(
            obligation=name, section=None if spec.get("section") is None else str(spec["section"]),
            summary=spec.get("summary", ""), value=value, thresholds=dict(spec.get("thresholds") or {}),
        ))
    return tuple(out)


class Catalog:
    def __init__(self, entries: list[CatalogLicense]):
        self.entries: dict[str, CatalogLicense] = {}
        self._lookup: dict[str, str] = {}
        for e in entries:
            if e.key in self.entries:
                raise CatalogError(f"{e.path}: duplicate license key {e.key!r}")
            self.entries[e.key] = e
        # Most specific names first, so an alias never shadows another license's own key.
        for e in entries:
            for name in (*e.aliases, e.name, e.scancode_key, e.spdx, *e.hf_ids):
                if name:
                    self._lookup.setdefault(_norm(name), e.key)
        for e in entries:
            self._lookup[_norm(e.key)] = e.key
        for e in entries:
            for hf_id in e.hf_ids:
                self._lookup[_norm(hf_id)] = e.key
        self._by_scancode = {e.scancode_key: e.key for e in entries if e.scancode_key}
        self._uncatalogued: dict[str, CatalogLicense | None] = {}

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self):
        return len(self.entries)

    def get(self, key: str) -> CatalogLicense | None:
        return self.entries.get(key)

    def lookup(self, name: str | None) -> CatalogLicense | None:
        """Find a license by key, Hub license id, SPDX id, ScanCode key, name or alias."""
        if not name or not isinstance(name, str):
            return None
        key = self._lookup.get(_norm(name))
        return self.entries.get(key) if key else None

    def incorporated(self, lic: CatalogLicense) -> list[CatalogLicense]:
        return [self.entries[k] for k in lic.incorporates if k in self.entries]

    def scancode_id(self, scancode_key: str) -> str:
        """The key a ScanCode license is reported under: the catalog entry linked to it, else its own key."""
        linked = self._by_scancode.get(scancode_key)
        if linked:
            return linked
        return SCANCODE_PREFIX + scancode_key if scancode_key in self.entries else scancode_key

    def known(self, key: str | None) -> CatalogLicense | None:
        """The catalog entry `key`, else the LicenseDB license reported as `key` (uncatalogued: facts
        only, no flags), else None. This is how an identified key is looked up."""
        if not key:
            return None
        entry = self.entries.get(key)
        if entry is not None:
            return entry
        if key not in self._uncatalogued:
            self._uncatalogued[key] = self._from_licensedb(key)
        return self._uncatalogued[key]

    def _from_licensedb(self, key: str) -> CatalogLicense | None:
        scancode_key = key.removeprefix(SCANCODE_PREFIX)
        if scancode_key in self._by_scancode:
            return self.entries[self._by_scancode[scancode_key]]
        if self.scancode_id(scancode_key) != key:
            return None
        facts = licensedb_entry(scancode_key)
        if facts is None:
            return None
        return CatalogLicense(
            key=key, name=facts.name, kind="license", osi_open=licensedb_osi_open(facts), spdx=facts.spdx,
            scancode_key=facts.key, catalogued=False,
        )


@functools.cache
def load_catalog(directory: Path | None = None) -> Catalog:
    directory = Path(directory or CATALOG_DIR)
    return Catalog([parse_entry(load_yaml(p), p) for p in sorted(directory.glob("*.yaml"))])


# --- ScanCode's LicenseDB: facts, and what its categories mean for openness --------------------


@functools.cache
def licensedb_entries() -> dict[str, LicenseDBEntry]:
    """ScanCode key -> facts, from licenses/licensedb.json (empty when the file is absent)."""
    import json

    try:
        raw = json.loads(LICENSEDB_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{LICENSEDB_PATH}: cannot read ({exc})") from None
    if raw.get("format") != LICENSEDB_FORMAT:
        raise CatalogError(f"{LICENSEDB_PATH}: expected format {LICENSEDB_FORMAT!r}; re-run scripts/build_licensedb.py")
    return {
        key: LicenseDBEntry(key=key, name=row["name"], spdx=row["spdx"], category=row.get("category"),
                            is_exception=bool(row.get("is_exception")), is_deprecated=bool(row.get("is_deprecated")),
                            language=row.get("language") or "en")
        for key, row in raw["licenses"].items()
    }


def licensedb_entry(scancode_key: str) -> LicenseDBEntry | None:
    return licensedb_entries().get(scancode_key)


@functools.cache
def _scancode_categories() -> tuple[dict, frozenset]:
    raw = load_yaml(SCANCODE_CATEGORIES_PATH)
    return dict(raw["osi_open"]), frozenset(raw.get("not_open") or ())


def licensedb_osi_open(facts: LicenseDBEntry) -> bool | None:
    """osi_open of a license the catalog does not hold, from its ScanCode category (null when unknown)."""
    by_category, not_open = _scancode_categories()
    if facts.key in not_open:
        return False
    return by_category.get(facts.category)
