"""Generate Hub dumps with the schemas of the public ones, for `openscope bulk` tests and benches.

    python bench/hubdump.py --rows 100000 --out /tmp/hub100k

writes, under --out:
    models.parquet                      the `cfahlgren1/hub-stats` models file (cardData as JSON, tags,
                                        siblings; no card text), one row per model
    cards/data/train-0000N-of-0000M.parquet
                                        `librarian-bots/model_cards_with_metadata`: modelId, author,
                                        last_modified, downloads, likes, library_name, tags,
                                        pipeline_tag, createdAt, card (the README with its front matter)
    licenses/<org>/<name>/LICENSE       fetched license files, for part of the models whose card says
                                        `other`, `unknown` or nothing
    DUMP_DATE                           the date the dump claims to be from

Everything here is written for openscope: the card patterns, the license texts and the model names
(a few well-known base ids are facts). Nothing comes from the corpus or from real cards. The mix is
deterministic for a seed: licenses roughly as the Hub declares them (most declare none), `other`
with `license_name`/`license_link`, fine-tune chains, adapters, merges, quantized mirrors, cycles,
bases that are not in the dump, and malformed rows (broken YAML, wrong types, a 900k-character card).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

DUMP_DATE = "2026-11-30"

# Foundation models the generated ones build on: (id, front-matter license, license_name, pipeline, library)
FOUNDATIONS = [
    ("meta-llama/Llama-2-7b-hf", "llama2", None, "text-generation", "transformers"),
    ("meta-llama/Meta-Llama-3-8B", "llama3", None, "text-generation", "transformers"),
    ("meta-llama/Llama-3.1-8B", "llama3.1", None, "text-generation", "transformers"),
    ("meta-llama/Llama-3.2-1B", "llama3.2", None, "text-generation", "transformers"),
    ("google/gemma-2-9b", "gemma", None, "text-generation", "transformers"),
    ("mistralai/Mistral-7B-v0.1", "apache-2.0", None, "text-generation", "transformers"),
    ("Qwen/Qwen2.5-7B", "apache-2.0", None, "text-generation", "transformers"),
    ("Qwen/Qwen2.5-72B", "other", "qwen", "text-generation", "transformers"),
    ("allenai/OLMo-7B", "apache-2.0", None, "text-generation", "transformers"),
    ("EleutherAI/pythia-1b", "apache-2.0", None, "text-generation", "transformers"),
    ("tiiuae/falcon-7b", "apache-2.0", None, "text-generation", "transformers"),
    ("microsoft/phi-2", "mit", None, "text-generation", "transformers"),
    ("stabilityai/stable-diffusion-xl-base-1.0", "openrail++", None, "text-to-image", "diffusers"),
    ("runwayml/stable-diffusion-v1-5", "creativeml-openrail-m", None, "text-to-image", "diffusers"),
    ("bigscience/bloom-560m", "bigscience-bloom-rail-1.0", None, "text-generation", "transformers"),
    ("google-bert/bert-base-uncased", "apache-2.0", None, "fill-mask", "transformers"),
    ("openai/whisper-small", "apache-2.0", None, "automatic-speech-recognition", "transformers"),
    ("deepseek-ai/deepseek-llm-7b-base", "other", "deepseek", "text-generation", "transformers"),
    ("01-ai/Yi-34B", "other", "yi-license", "text-generation", "transformers"),
]

# Declared licenses of everything else, weighted roughly as the Hub's front matter has them.
LICENSES = [
    (None, 52), ("apache-2.0", 14), ("mit", 8), ("openrail", 2), ("creativeml-openrail-m", 2), ("cc-by-nc-4.0", 3),
    ("cc-by-4.0", 2), ("llama2", 2), ("llama3", 1.5), ("llama3.1", 1.5), ("gemma", 1), ("other", 5),
    ("unknown", 1), ("gpl-3.0", 1), ("bsd-3-clause", 0.5), ("afl-3.0", 0.5), ("cc-by-sa-4.0", 0.5),
    ("cc-by-nc-sa-4.0", 0.5), ("agpl-3.0", 0.3), ("wtfpl", 0.2), (["mit", "apache-2.0"], 0.3), ("Apache 2", 0.2),
]
OTHER_NAMES = [("qwen", "https://huggingface.co/Qwen/Qwen2.5-72B/blob/main/LICENSE"), ("deepseek", "LICENSE"),
               ("yi-license", "LICENSE"), ("acme-community-license", "LICENSE"), ("my-own-terms", None),
               ("llama3", "LICENSE"), (None, "LICENSE")]

# License texts written for openscope (what a fetched LICENSE file may say). Variants of one text
# differ only in line endings, trailing blanks and the copyright line: one normalised text each.
LICENSE_TEXTS = {
    "acme-community": """Acme Community Model License

Copyright (c) {year} {org}

1. Grant. Subject to these terms, you may use, copy, modify and distribute the model and its
derivatives for any lawful purpose.

2. Additional commercial terms. If, on the release date, the products or services made available by you
or your affiliates had more than 100 million monthly active users in the preceding calendar month, you
must request a license from Acme, which Acme may grant in its sole discretion.

3. Restrictions. You will not use the model or its outputs to improve any other large language model.
""",
    "research-only": """Research Use Terms

Copyright {year} {org}

You may use these weights for non-commercial research purposes only. Any commercial use, including use
in a product or a paid service, is not permitted under these terms.

Redistribution of the weights is allowed only together with this notice.
""",
    "permissive": """Permission Notice

Copyright (c) {year} {org}

Permission is hereby granted, free of charge, to any person obtaining a copy of these model files, to
deal in them without restriction, including without limitation the rights to use, copy, modify, merge,
publish and distribute them, provided this notice is kept with every copy.

THE MODEL IS PROVIDED AS IS, WITHOUT WARRANTY OF ANY KIND.
""",
}

TASKS = [("text-generation", "transformers", 40), ("text-classification", "transformers", 10),
         ("text-to-image", "diffusers", 8), ("automatic-speech-recognition", "transformers", 4),
         ("feature-extraction", "sentence-transformers", 6), ("image-classification", "timm", 4),
         ("reinforcement-learning", "stable-baselines3", 6), (None, None, 12), ("text2text-generation", "transformers", 5),
         ("token-classification", "transformers", 5)]
DATASETS = ["allenai/dolma", "tatsu-lab/alpaca", "imdb", "squad", "wikitext", "example-org/support-chats",
            "mozilla-foundation/common_voice_11_0", "glue", "openwebtext", "HuggingFaceH4/ultrachat_200k"]
WORDS = ["tiny", "chat", "instruct", "coder", "med", "legal", "math", "swift", "nova", "aurora", "ember",
         "lumen", "quill", "orbit", "pico", "sage", "delta", "vega", "sol", "echo", "pixel", "wave"]


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted)
    return rng.choices(values, weights=weights)[0]


def _name(rng: random.Random, n: int) -> str:
    return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{n}"


def _yaml_value(value) -> str:
    if isinstance(value, list):
        return "\n" + "".join(f"- {v}\n" for v in value)
    return f" {value}\n"


def front_matter(meta: dict) -> str:
    lines = ["---\n"]
    for key, value in meta.items():
        lines.append(f"{key}:{_yaml_value(value)}")
    lines.append("---\n")
    return "".join(lines)


# ------------------------------------------------------------------------------- card bodies

def body_trainer(m: dict, rng) -> str:
    base = m["bases"][0] if m["bases"] else "an undisclosed checkpoint"
    ds = m["datasets"][0] if m["datasets"] else "a private"
    return (f"# {m['short']}\n\n{m['short']} is a fine-tune of [{base}](https://huggingface.co/{base}) "
            f"trained on {ds} data.\nAfter training, the evaluation loss was {rng.uniform(0.1, 2.5):.4f}.\n\n"
            "## About the model\n\nDetails to come.\n\n## Intended uses and limits\n\nDetails to come.\n\n"
            "## Training setup\n\n- learning rate: 2e-05\n- batch size: 8\n- epochs: 3\n\n"
            "## Library versions\n\n- transformers 4.44\n- torch 2.4\n")


def body_quant(m: dict, rng) -> str:
    base = m["bases"][0]
    rows = "".join(f"| {m['short']}.{q}.gguf | {q} | {rng.randint(2, 9)}.{rng.randint(0, 9)} GB |\n"
                   for q in ("Q4_K_M", "Q5_K_M", "Q8_0"))
    return (f"# {m['short']}\n\nGGUF quantizations of {base}, made with llama.cpp.\n\n"
            "| file | type | size |\n|---|---|---|\n" + rows +
            f"\nDownload one file with `huggingface-cli download {m['id']} {m['short']}.Q4_K_M.gguf`.\n")


def body_adapter(m: dict, rng) -> str:
    base = m["bases"][0]
    return (f"# {m['short']}\n\nA LoRA adapter for {base}, trained with PEFT to answer support questions.\n\n"
            "```python\nfrom peft import PeftModel\nmodel = PeftModel.from_pretrained(base, "
            f"\"{m['id']}\")\n```\n\nRank 16, alpha 32, two epochs.\n")


def body_merge(m: dict, rng) -> str:
    listed = "".join(f"* [{b}](https://huggingface.co/{b})\n" for b in m["bases"])
    return (f"# {m['short']}\n\nThis checkpoint is a merge of pre-trained models made with mergekit, "
            f"using the SLERP method.\n\n## Merged models\n\n{listed}\n## Settings\n\n"
            "```yaml\nmerge_method: slerp\ndtype: bfloat16\n```\n")


def body_scratch(m: dict, rng) -> str:
    org = m["id"].split("/")[0]
    ds = ", ".join(m["datasets"]) or "a private collection"
    parts = [f"# {m['short']}\n\nA {m['task'] or 'general'} model trained from scratch on {ds}.\n"]
    if rng.random() < 0.5:
        parts.append(f"\nThe training code is available at https://github.com/{org}/{m['short']}.\n")
    if rng.random() < 0.3:
        parts.append("\nWe release the model weights, the training code and the full training data.\n")
    if rng.random() < 0.2:
        parts.append(f"\nSee the paper at https://arxiv.org/abs/2{rng.randint(100, 499)}.{rng.randint(10000, 99999)}.\n")
    return "".join(parts)


def body_family(m: dict, rng) -> str:
    fam = rng.choice(["Llama 2", "Llama 3.1", "Gemma", "Mistral"])
    return (f"# {m['short']}\n\nThis chat model was fine-tuned from {fam} on community dialogues.\n\n"
            + ("Use of this model must comply with the Llama license.\n" if fam.startswith("Llama") and rng.random() < 0.5
               else "") + ("\n**License:** MIT\n" if rng.random() < 0.3 else ""))


def body_template(m: dict, rng) -> str:
    return (f"# Model card for {m['short']}\n\n<!-- Summary of the model. -->\n\n## Details\n\n"
            "- Developed by: [Details to come]\n- License: [Details to come]\n- Finetuned from: [Details to come]\n\n"
            "## Uses\n\n[Details to come]\n\n## Bias, risks and limits\n\n[Details to come]\n")


BODIES = {"finetune": body_trainer, "quantized": body_quant, "adapter": body_adapter, "merge": body_merge,
          "scratch": body_scratch, "foundation": body_scratch}


# ------------------------------------------------------------------------------- the population

def generate(rows: int, seed: int = 0, *, card_share: float = 0.25, license_share: float = 0.1) -> dict:
    """The models of a dump: dicts with id, meta (front matter), card text or None, tags, siblings ...

    `card_share`: models with a README in the cards dump (the real ones: ~0.7M cards for ~2.9M models);
    `license_share`: models declaring `other`, `unknown` or nothing whose license file was fetched."""
    rng = random.Random(seed)
    models: list[dict] = []
    bases_pool: list[str] = []  # ids other models may build on (chains form as this grows)
    for fid, lic, lname, task, lib in FOUNDATIONS[: max(1, min(len(FOUNDATIONS), rows // 20))]:
        meta = {"license": lic, "pipeline_tag": task, "library_name": lib}
        if lname:
            meta["license_name"] = lname
            meta["license_link"] = "LICENSE"
        models.append({"id": fid, "kind": "foundation", "meta": meta, "bases": [], "task": task, "lib": lib,
                       "datasets": [], "short": fid.split("/")[1]})
        bases_pool.append(fid)
    n = len(models)
    meta_of = {m["id"]: m["meta"] for m in models}
    while len(models) < rows:
        n += 1
        org = f"{rng.choice(WORDS)}{rng.randint(1, max(2, rows // 8))}"
        kind = _pick(rng, [("finetune", 30), ("quantized", 12), ("adapter", 10), ("merge", 4), ("scratch", 44)])
        task, lib = _pick(rng, [((t, lb), w) for t, lb, w in TASKS])
        short = _name(rng, n)
        bases: list[str] = []
        if kind in ("finetune", "quantized", "adapter"):
            # Popular bases are built on more; recent models too (chains).
            bases = [rng.choice(bases_pool[-200:]) if rng.random() < 0.5 else rng.choice(bases_pool[: len(FOUNDATIONS)])]
        elif kind == "merge":
            bases = rng.sample(bases_pool, k=min(len(bases_pool), rng.randint(2, 3)))
        if bases and rng.random() < 0.03:
            bases[0] = f"{rng.choice(WORDS)}-gone/{_name(rng, n)}"  # a dangling base: not in the dump
        if kind == "quantized":
            short = f"{bases[0].split('/')[1]}-{rng.choice(['GGUF', 'AWQ', 'GPTQ', '4bit'])}-{n}"
        mid = f"{org}/{short}"
        lic = _pick(rng, LICENSES)
        if bases and rng.random() < 0.4:
            base_meta = meta_of.get(bases[0])  # keep the base's terms
            lic = base_meta.get("license") if base_meta else lic
        meta: dict = {}
        if lic is not None:
            meta["license"] = lic
        if lic == "other":
            lname, link = rng.choice(OTHER_NAMES)
            if lname:
                meta["license_name"] = lname
            if link:
                meta["license_link"] = link
        if bases and rng.random() < 0.85:
            meta["base_model"] = bases if len(bases) > 1 else bases[0]
        if kind == "quantized" and rng.random() < 0.5:
            meta["quantized_by"] = org
        if lib:
            meta["library_name"] = lib
        if task:
            meta["pipeline_tag"] = task
        datasets = rng.sample(DATASETS, k=rng.randint(0, 2))
        if datasets:
            meta["datasets"] = datasets
        if kind == "adapter":
            meta["library_name"] = "peft"
        if kind == "merge":
            meta["tags"] = ["mergekit", "merge"]
        models.append({"id": mid, "kind": kind, "meta": meta, "bases": bases, "task": task, "lib": meta.get("library_name"),
                       "datasets": datasets, "short": short})
        meta_of[mid] = meta
        if kind != "quantized":
            bases_pool.append(mid)
    _add_cycles(models, rng)
    for m in models:
        m["card"] = _card(m, rng) if (m["kind"] == "foundation" or rng.random() < card_share) else None
        m["license_file"] = _license_file(m, rng, license_share)
    _add_malformed(models, rng)
    return {"models": models, "date": DUMP_DATE}


def _add_cycles(models: list[dict], rng) -> None:
    """A few pairs and triangles that name each other as base (these exist on the Hub)."""
    derived = [m for m in models if m["kind"] == "finetune"]
    for _ in range(max(1, len(models) // 2000)):
        group = rng.sample(derived, k=min(len(derived), rng.choice([2, 3])))
        for a, b in zip(group, group[1:] + group[:1]):
            a["bases"] = [b["id"]]
            a["meta"]["base_model"] = b["id"]


def _card(m: dict, rng) -> str:
    meta = dict(m["meta"])
    style = m["kind"]
    if style in ("finetune", "scratch") and rng.random() < 0.15:
        style = "template"
    if style == "scratch" and rng.random() < 0.1 and "base_model" not in meta:
        style = "family"
        meta.pop("license", None)
    body = {"template": body_template, "family": body_family}.get(style) or BODIES[style]
    text = body(m, rng)
    if not meta or rng.random() < 0.04:
        return text  # no front matter at all
    return front_matter(meta) + "\n" + text


def _license_file(m: dict, rng, share: float) -> str | None:
    lic = m["meta"].get("license")
    if lic not in (None, "other", "unknown") or rng.random() >= share:
        return None
    key = {"acme-community-license": "acme-community", "my-own-terms": "research-only"}.get(
        m["meta"].get("license_name"), rng.choice(sorted(LICENSE_TEXTS)))
    text = LICENSE_TEXTS[key].format(year=rng.choice([2023, 2024, 2025]), org=m["id"].split("/")[0])
    variant = rng.random()
    if variant < 0.2:
        text = text.replace("\n", "\r\n")
    elif variant < 0.4:
        text = text + "\n\n"
    return text


def _add_malformed(models: list[dict], rng) -> None:
    """Rows a real dump has: broken YAML, wrong types, an enormous card, a card with an empty body."""
    targets = [m for m in models if m["kind"] == "scratch"]
    if len(targets) < 8:
        return
    picks = rng.sample(targets, k=8)
    picks[0]["card"] = "---\nlicense: [mit\nbase_model: nowhere\n---\n# broken\n\nThe front matter never parses.\n"
    picks[0]["meta"] = {}
    picks[1]["card"] = "---\nlicense: 42\nbase_model:\n  nested: true\ntags: 7\ndatasets: {a: 1}\n---\nWrong types.\n"
    picks[1]["meta"] = {"license": 42, "base_model": {"nested": True}, "tags": 7, "datasets": {"a": 1}}
    picks[2]["card"] = front_matter({"license": "mit"}) + "\n" + ("All work and no play. " * 40_000)[:900_000]
    picks[2]["meta"] = {"license": "mit"}
    picks[3]["card"] = "---\nlicense: apache-2.0\n"  # never closed
    picks[3]["meta"] = {}
    picks[4]["card"] = ""
    picks[5]["card"] = "---\n- just\n- a list\n---\nNot a mapping.\n"
    picks[5]["meta"] = {}
    picks[6]["meta"] = {"license": ["mit", None, 3], "base_model": ["", "./local/path"]}
    picks[6]["card"] = None
    picks[7]["card"] = front_matter({"license": "cc-by-nc-4.0"}) + "\n" + ("é\u0000 binary-ish " * 10)


# ------------------------------------------------------------------------------- writing the dumps

def _tags(m: dict) -> list[str]:
    meta = m["meta"] if isinstance(m["meta"], dict) else {}
    tags = []
    if m.get("lib"):
        tags.append(str(m["lib"]))
    lic = meta.get("license")
    for v in (lic if isinstance(lic, list) else [lic]):
        if isinstance(v, str):
            tags.append(f"license:{v}")
    rel = {"quantized": "quantized", "adapter": "adapter", "merge": "merge"}.get(m["kind"], "finetune")
    for b in m["bases"]:
        tags += [f"base_model:{b}", f"base_model:{rel}:{b}"]
    if m.get("task"):
        tags.append(str(m["task"]))
    tags.append("region:us")
    return tags


def _siblings(m: dict, rng) -> list[dict]:
    files = [".gitattributes"]
    if m["card"] is not None:
        files.append("README.md")
    if m.get("license_file"):
        files.append("LICENSE")
    if m["kind"] == "quantized":
        files += [f"{m['short']}.Q4_K_M.gguf", f"{m['short']}.Q8_0.gguf"]
    elif m["kind"] == "adapter":
        files += ["adapter_config.json", "adapter_model.safetensors"]
    elif rng.random() < 0.9:
        files += ["config.json", "model.safetensors"]
    return [{"rfilename": f} for f in files]


def write(dump: dict, out: Path, *, card_files: int = 2, seed: int = 0) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed + 1)
    out.mkdir(parents=True, exist_ok=True)
    models = dump["models"]
    created = [f"202{3 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00.000Z" for i in range(len(models))]
    stats = {
        "_id": [f"{i:024x}" for i in range(len(models))],
        "id": [m["id"] for m in models],
        "author": [m["id"].split("/")[0] for m in models],
        "sha": [hashlib.sha1(m["id"].encode()).hexdigest() for m in models],
        "createdAt": created,
        "lastModified": created,
        "private": [False] * len(models),
        "gated": [("manual" if m["meta"].get("license") in ("llama2", "llama3", "llama3.1", "gemma") and
                   m["kind"] == "foundation" else "False") if isinstance(m["meta"], dict) else "False" for m in models],
        "disabled": [False] * len(models),
        "downloads": [rng.randint(0, 50_000) for _ in models],
        "downloadsAllTime": [rng.randint(0, 500_000) for _ in models],
        "likes": [rng.randint(0, 300) for _ in models],
        "trendingScore": [rng.random() for _ in models],
        "library_name": [m.get("lib") for m in models],
        "tags": [_tags(m) for m in models],
        "pipeline_tag": [m.get("task") for m in models],
        # The Hub's parsed front matter; null where it could not parse the card.
        "cardData": [json.dumps(m["meta"]) if m["meta"] else None for m in models],
        "siblings": [_siblings(m, rng) for m in models],
    }
    stats_table = pa.table(stats)
    pq.write_table(stats_table, out / "models.parquet", row_group_size=50_000)
    with_card = [i for i, m in enumerate(models) if m["card"] is not None]
    (out / "cards" / "data").mkdir(parents=True, exist_ok=True)
    per_file = -(-len(with_card) // card_files) if with_card else 0
    for k in range(card_files):
        idx = with_card[k * per_file:(k + 1) * per_file]
        table = pa.table({
            "modelId": [models[i]["id"] for i in idx],
            "author": [models[i]["id"].split("/")[0] for i in idx],
            "last_modified": pa.array([created[i] for i in idx]).cast(pa.timestamp("us", tz="UTC"))
            if idx else pa.array([], pa.timestamp("us", tz="UTC")),
            "downloads": [stats["downloads"][i] for i in idx],
            "likes": [stats["likes"][i] for i in idx],
            "library_name": [models[i].get("lib") for i in idx],
            "tags": pa.array([stats["tags"][i] for i in idx], pa.list_(pa.string())),
            "pipeline_tag": pa.array([models[i].get("task") for i in idx], pa.string()),
            "createdAt": pa.array([created[i] for i in idx]).cast(pa.timestamp("us", tz="UTC"))
            if idx else pa.array([], pa.timestamp("us", tz="UTC")),
            "card": pa.array([models[i]["card"] for i in idx], pa.string()),
        })
        pq.write_table(table, out / "cards" / "data" / f"train-{k:05d}-of-{card_files:05d}.parquet",
                       row_group_size=20_000)
    licenses = 0
    for m in models:
        if m.get("license_file"):
            path = out / "licenses" / m["id"] / "LICENSE"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(m["license_file"].encode("utf-8"))
            licenses += 1
    (out / "DUMP_DATE").write_text(dump["date"] + "\n")
    return {"models": len(models), "cards": len(with_card), "license_files": licenses}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--card-files", type=int, default=2)
    args = ap.parse_args(argv)
    counts = write(generate(args.rows, args.seed), args.out, card_files=args.card_files, seed=args.seed)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
