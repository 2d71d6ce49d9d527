"""The license catalog: one reviewable YAML file per license under `licenses/catalog/`.

The catalog holds facts in our own words (ids, thresholds, section pointers, which flags a license
carries, which documents it incorporates). It never holds license texts. Text identification uses
derived fingerprints (`licenses/fingerprints.json`), built by `scripts/build_fingerprints.py`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from openscope.data import LICENSES_DIR, load_yaml
from openscope.errors import CatalogError
from openscope.types import CatalogFlag, CatalogLicense
from openscope.vocabulary import flag_names

CATALOG_DIR = LICENSES_DIR / "catalog"
KINDS = ("license", "aup", "terms")


def _norm(name: str) -> str:
    # "+" is kept: "openrail++" (RAIL++-M) and "openrail" (the family tag) are different licenses.
    return re.sub(r"[^a-z0-9.+]+", "", name.lower())


_FIELDS = {
    "key", "name", "kind", "osi_open", "family", "hf_ids", "spdx", "scancode_key", "osi_approved", "url",
    "aliases", "incorporates", "binds_derivatives", "flags", "notes", "version", "released", "sources",
}


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
    )


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


@functools.cache
def load_catalog(directory: Path | None = None) -> Catalog:
    directory = Path(directory or CATALOG_DIR)
    return Catalog([parse_entry(load_yaml(p), p) for p in sorted(directory.glob("*.yaml"))])
