"""Build models_registry/hub_models.json and SNAPSHOT: the offline registry snapshot.

    openscope registry build --output-dir DIR [--corpus DIR] [--sources-dir DIR] [--refresh FILE]
    python scripts/build_registry.py [--corpus DIR] [--output-dir DIR]   (a checkout: writes the package's)

--corpus DIR      the shared corpus (default: $OPENSCOPE_CORPUS or ../shared/corpus)
--output-dir DIR  where hub_models.json and SNAPSHOT go
--sources-dir DIR curated_hub.yaml, license_names.yaml and the optional hub_refresh.json
                  (default: the package's models_registry/sources)
--refresh FILE    Hub answers from `openscope registry refresh` (default: <sources-dir>/hub_refresh.json)

Layers of facts, lowest priority first; a higher layer wins field by field (card_data, links,
ratings and training.code / training.data are merged key by key):
  1. osai      European Open Source AI Index records (corpus openness/osai_index.jsonl)
  2. mot       LF AI & Data Model Openness Tool records (corpus openness/mot_models.jsonl)
  3. card      front matter of the real Hub cards in the corpus (cards/texts, ids from labels.jsonl)
  4. curated   models_registry/sources/curated_hub.yaml (hand-written public facts)
  5. hub       hub_refresh.json, written by `openscope registry refresh` (--refresh FILE)
The registry stores facts, never verdicts: gold labels (openness/ground_truth.jsonl, the label
fields of cards/labels.jsonl) are never read. Card bodies and long strings are never stored.
The output is deterministic: the same inputs give the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

from openscope.card.parse import parse_card
from openscope.data import REGISTRY_DIR, load_yaml

SOURCES_DIR = REGISTRY_DIR / "sources"
FORMAT = "openscope.registry/1"
MAX_STRING = 200
# Front-matter keys that are facts about the model; everything else (widgets, prompts, gating
# forms that often hold license text, model-index results) is dropped.
CARD_KEYS = ("license", "license_name", "license_link", "base_model", "base_model_relation", "datasets",
             "language", "tags", "pipeline_tag", "library_name")
ENTRY_KEYS = ("gated", "siblings", "sha", "links", "training", "ratings")
HF_MODEL_URL = re.compile(r"^https?://huggingface\.co/(?!datasets/|spaces/|collections/)([\w.-]+/[\w.-]+)/?$")
HF_DATASET_URL = re.compile(r"^https?://huggingface\.co/datasets/([\w.-]+/[\w.-]+)")
NOTE_PART = re.compile(r"\b(Weights|Code|Data)\s*:\s*(.+?)(?=\.\s|\.$|;|$)")


class BuildError(Exception):
    pass


def default_corpus(fallback: Path | None = None) -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS") or fallback or Path("..") / "shared" / "corpus")


def read_jsonl(path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise BuildError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
    return out


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ license names


class LicenseNames:
    """Free-text license names from the openness datasets -> Hub license id (+ license_name)."""

    def __init__(self, path: Path):
        raw = (load_yaml(path) or {}).get("names", {})
        self.names = {self.norm(k): v for k, v in raw.items()}

    @staticmethod
    def norm(text: str) -> str:
        return " ".join(str(text).lower().split()).rstrip(".").strip()

    def card_fields(self, text) -> dict | None:
        if not text or not isinstance(text, str):
            return None
        value = self.names.get(self.norm(text))
        if value is None:
            return None
        return {"license": value} if isinstance(value, str) else dict(value)

    def license_id(self, text) -> str | None:
        """A single id for a code/data license: the Hub id, or the license_name of an `other` license."""
        fields = self.card_fields(text)
        if not fields:
            return None
        return fields.get("license_name") if fields["license"] == "other" else fields["license"]


# ------------------------------------------------------------------ layers


def short(value):
    """Drop long strings (license texts hide in some card fields); recurse into lists and dicts."""
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else None
    if isinstance(value, list):
        return [v for v in (short(x) for x in value) if v is not None]
    if isinstance(value, dict):
        return {str(k): v for k, v in ((k, short(x)) for k, x in value.items()) if v is not None}
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value)  # dates and other YAML scalars


def card_layer(corpus: Path) -> tuple[dict, list[str]]:
    labels_path = corpus / "cards" / "labels.jsonl"
    layer: dict[str, dict] = {}
    for label in read_jsonl(labels_path):
        text_path = corpus / "cards" / label["text_file"]
        try:
            card = parse_card(text_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise BuildError(f"{text_path}: cannot read ({exc.strerror})") from None
        data = {k: short(card.data[k]) for k in CARD_KEYS if k in card.data and card.data[k] is not None}
        src = label.get("source") or {}
        where = f"github:{src['github_repo']}:{src['path']}" if isinstance(src, dict) and "github_repo" in src else str(src)
        layer[label["id"]] = {"card_data": {k: v for k, v in data.items() if v not in ("", [], {})},
                              "sources": [f"card {where}"]}
    return layer, [f"Hub model cards, front matter only: {labels_path.relative_to(corpus)} ({len(layer)} cards)"]


def component(record: dict, name: str) -> dict | None:
    return next((c for c in record.get("components", []) if c.get("name") == name), None)


def url_or_none(value) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def mot_layer(corpus: Path, names: LicenseNames) -> tuple[dict, list[str]]:
    path = corpus / "openness" / "mot_models.jsonl"
    layer: dict[str, dict] = {}
    for rec in sorted(read_jsonl(path), key=lambda r: r["source"]):
        hf_id = rec.get("hf_id_corrected")
        if not hf_id or hf_id.lower() in {k.lower() for k in layer}:
            continue
        entry: dict = {"card_data": {}, "links": {}, "training": {}, "ratings": {}, "sources": [f"mot {rec['source']}"]}
        entry["card_data"].update(names.card_fields(rec.get("weights_license")) or {})
        if url_or_none(rec.get("repository")):
            entry["links"]["repository"] = rec["repository"]
        for paper in ("Research paper", "Technical report"):
            comp = component(rec, paper)
            if comp and url_or_none(comp.get("component_path")) and "paper" not in entry["links"]:
                entry["links"]["paper"] = comp["component_path"]
        weights = component(rec, "Model parameters (Final)")
        if weights:
            # The framework records the final weights as released: where they are published.
            entry["links"]["weights"] = url_or_none(weights.get("component_path")) or f"https://huggingface.co/{hf_id}"
        code = component(rec, "Training code")
        if code:
            fact = {"url": url_or_none(code.get("component_path")) or url_or_none(rec.get("repository")),
                    "license": names.license_id(code.get("license_resolved"))}
            entry["training"]["code"] = {k: v for k, v in fact.items() if v}
        data = component(rec, "Datasets")
        if data:
            fact = {"url": url_or_none(data.get("component_path")), "license": names.license_id(data.get("license_resolved"))}
            entry["training"]["data"] = {k: v for k, v in fact.items() if v}
        entry["training"] = {k: v for k, v in entry["training"].items() if v}
        entry["ratings"] = {"mof_class": rec.get("mof_class"), "mof_class_label": rec.get("mof_class_label"),
                            "mof_source": f"LF AI & Data Model Openness Tool, {rec['source']}"}
        layer[hf_id] = entry
    return layer, [
        "LF AI & Data Model Openness Tool (MOT), github:lfai/model_openness_tool@8b5d30e90a7c, "
        f"via {path.relative_to(corpus)} ({len(layer)} Hub models)"
    ]


def note_parts(notes: str | None) -> dict[str, str]:
    return {m[1].lower(): m[2].strip() for m in NOTE_PART.finditer(notes or "")}


def osai_facts(rec: dict, role: str, hf_id: str, names: LicenseNames) -> dict:
    """Facts stated by one OSAI record for its end model (role "end") or its base model (role "base")."""
    dims = rec.get("dimensions", {})
    cls = {k: (v or {}).get("class") for k, v in dims.items()}
    parts = note_parts(rec.get("license_notes"))
    project = names.license_id(parts.get("weights") or rec.get("license_text"))
    licenses_open = cls.get("licenses") == "open"
    entry: dict = {"card_data": {}, "links": {}, "training": {}, "sources": [f"osai {rec['source']}"]}
    if role == "end":
        entry["card_data"].update(names.card_fields(parts.get("weights") or rec.get("license_text")) or {})
    weights_dim = "weights_endmodel" if role == "end" else "weights_basemodel"
    if cls.get(weights_dim) in ("open", "partial"):
        links = dims[weights_dim].get("link") or []
        entry["links"]["weights"] = next((u for u in links if HF_MODEL_URL.match(u)), f"https://huggingface.co/{hf_id}")
    code_cls = cls.get("trainingcode")
    if code_cls in ("open", "partial"):
        links = dims["trainingcode"].get("link") or []
        fact = {"url": links[0] if links else None}
        if code_cls == "open":
            fact["license"] = names.license_id(parts.get("code")) or (project if licenses_open else None)
        entry["training"]["code"] = fact
    data_dims = ["datasources_basemodel"] + (["datasources_endmodel"] if role == "end" else [])
    data_classes = [cls.get(d) for d in data_dims]
    if all(c in ("open", "partial") for c in data_classes):
        links = [u for d in data_dims for u in (dims[d].get("link") or [])]
        datasets = sorted({m[1] for u in links if (m := HF_DATASET_URL.match(u))})
        fact = {"datasets": datasets, "url": next((u for u in links if not HF_DATASET_URL.match(u)), None)}
        if all(c == "open" for c in data_classes):
            fact["license"] = names.license_id(parts.get("data")) or (project if licenses_open else None)
        entry["training"]["data"] = fact
    for part in ("paper", "preprint"):
        links = (dims.get(part) or {}).get("link") or []
        if cls.get(part) in ("open", "partial") and links and "paper" not in entry["links"]:
            entry["links"]["paper"] = links[0]
    entry["training"] = {k: {f: v for f, v in fact.items() if v} for k, fact in entry["training"].items()}
    entry["training"] = {k: v for k, v in entry["training"].items() if v}
    entry["ratings"] = {
        "osai_score": rec.get("score"), "osai_name": rec.get("name"), "osai_role": role,
        "osai_edition": rec.get("edition"), "osai_classes": {k: v for k, v in sorted(cls.items()) if v},
        "osai_source": f"European Open Source AI Index, {rec['source']}",
    }
    if rec.get("edition") != "eu-osai-index":
        # The legacy edition is superseded: keep its ratings, not its training facts.
        entry["training"] = {}
    return entry


def osai_layer(corpus: Path, names: LicenseNames) -> tuple[dict, list[str]]:
    path = corpus / "openness" / "osai_index.jsonl"
    records = read_jsonl(path)
    # Current edition first, end models before base models: the first record for an id wins.
    order = sorted(((rec["edition"] != "eu-osai-index", role != "end", rec["source"], role, rec)
                    for rec in records for role in ("end", "base")), key=lambda t: t[:4])
    layer: dict[str, dict] = {}
    seen: set[str] = set()
    for *_, role, rec in order:
        hf_id = rec.get(f"hf_id_{role}")
        if not hf_id or hf_id.lower() in seen:
            continue
        seen.add(hf_id.lower())
        layer[hf_id] = osai_facts(rec, role, hf_id, names)
    return layer, [
        "European Open Source AI Index (Liesenfeld & Dingemanse; CC-BY-4.0, doi 10.5281/zenodo.15386042), "
        "github:Language-Technology-Assessment/main-database@5a388e871b88 and "
        f"github:opening-up-chatgpt/opening-up-chatgpt.github.io@801f68773ae7, via {path.relative_to(corpus)} "
        f"({len(layer)} Hub models)"
    ]


def deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def to_entry(spec: dict, where: str) -> dict:
    """Curated shorthand (card keys at the top level) -> entry fields."""
    entry: dict = {"card_data": {}}
    for k, v in spec.items():
        if k in CARD_KEYS:
            entry["card_data"][k] = v
        elif k in ENTRY_KEYS:
            entry[k] = v
        else:
            raise BuildError(f"{where}: unknown key {k!r} (card keys: {', '.join(CARD_KEYS)}; "
                             f"entry keys: {', '.join(ENTRY_KEYS)})")
    return entry


def curated_layer(path: Path) -> tuple[dict, list[str], str]:
    raw = load_yaml(path) or {}
    if "snapshot_date" not in raw:
        raise BuildError(f"{path}: missing key 'snapshot_date'")
    layer: dict[str, dict] = {}
    for i, fam in enumerate(raw.get("families") or []):
        name = fam.get("family") or f"families[{i}]"
        if not fam.get("sources"):
            raise BuildError(f"{path}: family {name!r} has no sources")
        shared = fam.get("shared") or {}
        for model_id, spec in (fam.get("models") or {}).items():
            where = f"{path.name}: {name}: {model_id}"
            if model_id.lower() in {k.lower() for k in layer}:
                raise BuildError(f"{where}: listed twice")
            entry = to_entry(deep_merge(shared, spec or {}), where)
            entry["card_data"] = {k: v for k, v in entry["card_data"].items() if v is not None}
            entry["sources"] = [f"curated {path.name}: {name}", *fam["sources"]]
            layer[model_id] = entry
    return layer, [f"curated public facts: models_registry/sources/{path.name} ({len(layer)} Hub models)"], str(raw["snapshot_date"])


def hub_layer(path: Path) -> tuple[dict, list[str], str | None]:
    if not path.exists():
        return {}, [], None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BuildError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    fetched = raw.get("fetched_at")
    layer: dict[str, dict] = {}
    for i, model in enumerate(raw.get("models") or []):
        if not isinstance(model, dict) or not model.get("id"):
            raise BuildError(f"{path}: models[{i}] has no 'id'")
        entry = {k: short(model[k]) for k in ("card_data", *ENTRY_KEYS) if k in model}
        if "card_data" in entry:
            entry["card_data"] = {k: v for k, v in entry["card_data"].items() if k in CARD_KEYS}
        entry["sources"] = [f"hub api {fetched or 'refresh'}: https://huggingface.co/{model['id']}"]
        layer[model["id"]] = entry
    return layer, [f"Hugging Face Hub answers: models_registry/sources/{path.name} ({len(layer)} models)"], fetched


# ------------------------------------------------------------------ merge and write


def merge_entry(low: dict, high: dict) -> dict:
    out = dict(low)
    for key, value in high.items():
        if key == "sources":
            out["sources"] = [*out.get("sources", []), *[s for s in value if s not in out.get("sources", [])]]
        elif key == "training":
            if value is None:
                out["training"] = {}
                continue
            merged = dict(out.get("training") or {})
            for part, fact in value.items():
                merged[part] = {**merged.get(part, {}), **fact} if fact else {}
            out["training"] = {k: v for k, v in merged.items() if v}
        elif key in ("card_data", "links", "ratings"):
            out[key] = deep_merge(out.get(key) or {}, value or {})
        elif value is not None:
            out[key] = value
    return out


def build(corpus: Path, sources_dir: Path = SOURCES_DIR, refresh: Path | None = None) -> tuple[dict, str]:
    if not (corpus / "cards" / "labels.jsonl").exists() or not (corpus / "openness" / "mot_models.jsonl").exists():
        raise BuildError(f"corpus not found at {corpus} (expected cards/labels.jsonl and openness/*.jsonl; "
                         "pass --corpus DIR or set OPENSCOPE_CORPUS)")
    names = LicenseNames(sources_dir / "license_names.yaml")
    osai, osai_cite = osai_layer(corpus, names)
    mot, mot_cite = mot_layer(corpus, names)
    cards, card_cite = card_layer(corpus)
    curated, curated_cite, date = curated_layer(sources_dir / "curated_hub.yaml")
    refresh = Path(refresh) if refresh else sources_dir / "hub_refresh.json"
    hub, hub_cite, fetched = hub_layer(refresh)
    if fetched and str(fetched)[:10] > date:
        date = str(fetched)[:10]

    merged: dict[str, dict] = {}
    display: dict[str, str] = {}
    for layer in (osai, mot, cards, curated, hub):
        for model_id, entry in layer.items():
            key = model_id.lower()
            display[key] = model_id  # the highest layer's spelling wins
            merged[key] = merge_entry(merged.get(key, {"sources": []}), entry)

    models = []
    for key in sorted(merged):
        e = merged[key]
        entry = {
            "id": display[key], "card_data": e.get("card_data") or {}, "gated": e.get("gated"),
            "tags": list(e.get("card_data", {}).get("tags") or e.get("tags") or []),
            "siblings": sorted(e.get("siblings") or []), "sha": e.get("sha"), "links": e.get("links") or {},
            "training": e.get("training") or {}, "ratings": {k: v for k, v in (e.get("ratings") or {}).items() if v is not None},
            "sources": e["sources"],
        }
        validate(entry)
        models.append(entry)

    inputs = {
        "cards/labels.jsonl": sha256_file(corpus / "cards" / "labels.jsonl"),
        "openness/mot_models.jsonl": sha256_file(corpus / "openness" / "mot_models.jsonl"),
        "openness/osai_index.jsonl": sha256_file(corpus / "openness" / "osai_index.jsonl"),
        "sources/curated_hub.yaml": sha256_file(sources_dir / "curated_hub.yaml"),
        "sources/license_names.yaml": sha256_file(sources_dir / "license_names.yaml"),
    }
    if hub:
        inputs["sources/hub_refresh.json"] = sha256_file(refresh)
    counts = {
        "models": len(models),
        "by_layer": {"osai": len(osai), "mot": len(mot), "card": len(cards), "curated": len(curated), "hub": len(hub)},
        "with_license": sum(1 for m in models if m["card_data"].get("license")),
        "with_training_code_license": sum(1 for m in models if (m["training"].get("code") or {}).get("license")),
        "with_training_data_license": sum(1 for m in models if (m["training"].get("data") or {}).get("license")),
        "with_ratings": sum(1 for m in models if m["ratings"]),
    }
    citations = [*hub_cite, *curated_cite, *card_cite, *mot_cite, *osai_cite]
    snapshot = {"format": FORMAT, "date": date, "generator": "scripts/build_registry.py", "sources": citations,
                "inputs_sha256": inputs, "counts": counts}
    return {"snapshot": snapshot, "models": models}, snapshot_text(snapshot)


def validate(entry: dict) -> None:
    mid = entry["id"]
    if entry["gated"] not in (None, False, "auto", "manual"):
        raise BuildError(f"{mid}: gated must be false, 'auto' or 'manual', not {entry['gated']!r}")
    lic = entry["card_data"].get("license")
    as_published = any(s.startswith(("card ", "hub api ")) for s in entry["sources"])
    if lic == "other" and not entry["card_data"].get("license_name") and not as_published:
        # A real card may say just `other`; facts we add ourselves must name the license.
        raise BuildError(f"{mid}: license 'other' needs a license_name")

    def walk(value, path):
        if isinstance(value, str) and len(value) > 300:
            raise BuildError(f"{mid}: {path} is {len(value)} characters long; the registry stores facts, not texts")
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(entry, "entry")


def snapshot_text(snapshot: dict) -> str:
    lines = [
        "openscope offline registry snapshot",
        f"format: {snapshot['format']}",
        f"date: {snapshot['date']}",
        f"generated by: {snapshot['generator']} (do not edit hub_models.json by hand)",
        "",
        "sources:",
        *[f"  - {c}" for c in snapshot["sources"]],
        "  - closed-API names: models_registry/closed_api.yaml (provider model lists and terms, cited there)",
        "",
        "inputs (sha256):",
        *[f"  {k}: {v}" for k, v in snapshot["inputs_sha256"].items()],
        "",
        "counts:",
        *[f"  {k}: {v}" for k, v in snapshot["counts"].items()],
        "",
    ]
    return "\n".join(lines)


def write(data: dict, text: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "hub_models.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "SNAPSHOT").write_text(text, encoding="utf-8")
    return path


def main(argv=None, *, default_output: Path | None = REGISTRY_DIR, corpus_fallback: Path | None = None,
         prog: str = "build_registry") -> int:
    ap = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=default_corpus(corpus_fallback))
    ap.add_argument("--output-dir", type=Path, default=default_output, required=default_output is None)
    ap.add_argument("--sources-dir", type=Path, default=SOURCES_DIR)
    ap.add_argument("--refresh", type=Path, default=None)
    args = ap.parse_args(argv)
    try:
        data, text = build(args.corpus, args.sources_dir, args.refresh)
    except BuildError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    path = write(data, text, args.output_dir)
    c = data["snapshot"]["counts"]
    print(f"wrote {path} ({c['models']} models, layers {c['by_layer']})", file=sys.stderr)
    return 0
