"""The offline registry snapshot (models_registry/): coverage, closed-API names, facts-not-texts, reproducibility."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, read_jsonl

from openscope.catalog import load_catalog
from openscope.data import REGISTRY_DIR, load_yaml
from openscope.refs import HUB_ID_RE, parse_ref
from openscope.registry import load_registry

SCRIPT = ROOT / "scripts" / "build_registry.py"
HUB_FILE = REGISTRY_DIR / "hub_models.json"

# Ordinary words (and words that merely contain a product name) that no API pattern may swallow.
ORDINARY_WORDS = """
a an the and or not is it in on of to for with from by as at be do go if no so up we you model models
api apis chat chats code coder command commands completion completions data dataset embed embedding
embeddings file files image images instruct large latest lite medium mini nano pro preview small tiny
turbo fast flash base test main master default config settings version release stable beta alpha
gemini gemma claude grok llama mistral mixtral codestral command-line sonar titan nova jamba ernie qwen
reka palmyra moonshot whisper dalle gpt gpt2 gpt-2 gpt-j gpt-neo gpt-neox gpt-oss gpt-oss-20b o o2
o5 phi bert t5 opus sonnet haiku gpt4all vicuna alpaca falcon bloom pythia olmo olmo-2 deepseek
deepseek-coder deepseek-v3 chatgpt openai anthropic google cohere amazon embed-this rerank command-er
sonnet-4 opus-4 haiku-3 gemini-app gemma-2 gemma-7b claude grok-1 grok-1.5-open llama-3 text-embedding
""".split()


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def hub_data() -> dict:
    return json.loads(HUB_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def providers() -> dict:
    return load_yaml(REGISTRY_DIR / "closed_api.yaml")["providers"]


def all_names(providers: dict) -> list[str]:
    return [n for p in providers.values() for n in p.get("names", [])]


# ------------------------------------------------------------------ coverage


def test_registry_holds_at_least_300_hub_models(registry):
    assert len(registry) >= 300


def test_closed_api_lists_at_least_60_names_with_patterns(providers):
    assert len(set(all_names(providers))) >= 60
    for key in ("openai", "anthropic", "google", "xai", "mistral", "cohere", "amazon"):
        assert providers[key].get("patterns"), f"{key} has no name patterns"


def test_provider_terms_keys(providers):
    expected = {"openai": "openai-tou-2024", "anthropic": "anthropic-commercial-terms",
                "google": "google-gemini-api-terms", "xai": "xai-terms", "mistral": "mistral-ai-terms",
                "cohere": "cohere-terms", "amazon": "amazon-bedrock-terms"}
    for key, terms in expected.items():
        assert providers[key]["terms_license"] == terms
        assert providers[key]["terms_url"].startswith("https://")


def test_every_corpus_closed_model_resolves_as_api(corpus, registry):
    for row in read_jsonl(corpus / "closed_models.jsonl"):
        api = registry.match_api(row["id"])
        assert api is not None, f"{row['id']} is not a known API name"
        assert api.provider_name.lower() == row["provider"].lower(), row["id"]
        ref = parse_ref(row["id"], registry=registry)
        assert ref.kind == "api", row["id"]


def test_typical_api_names_resolve_to_their_provider(registry):
    cases = {"gpt-4.1-mini": "openai", "o4-mini": "openai", "text-embedding-3-large": "openai",
             "claude-3-5-sonnet-20241022": "anthropic", "claude-opus-4-1-20250805": "anthropic",
             # Bedrock model ids are used only through Bedrock, so Bedrock's terms govern them.
             "anthropic.claude-3-5-sonnet-20241022-v2:0": "bedrock", "gemini-2.5-pro-preview-05-06": "google",
             "grok-4": "xai", "codestral-latest": "mistral", "command-r-plus": "cohere",
             "amazon.nova-pro-v1:0": "amazon", "deepseek-reasoner": "deepseek", "qwen-max": "alibaba"}
    for name, provider in cases.items():
        api = registry.match_api(name)
        assert api is not None and api.provider == provider, name
    assert registry.match_api("gpt-4o", provider="anthropic") is None


# ------------------------------------------------------------------ patterns never swallow Hub ids or words


def test_api_names_and_patterns_never_match_hub_ids(registry, corpus):
    ids = set(registry.hub_ids())
    for row in read_jsonl(corpus / "openness" / "mot_models.jsonl"):
        ids.update(i for i in (row.get("hf_id"), row.get("hf_id_corrected")) if i)
    for row in read_jsonl(corpus / "openness" / "osai_index.jsonl"):
        ids.update(row.get("hf_ids_in_evidence") or [])
    for row in read_jsonl(corpus / "cards" / "labels.jsonl"):
        ids.add(row["id"])
    # Names a Hub user writes without an org, and open-weights names that resemble API names.
    ids.update(["gpt2", "gpt2-xl", "distilgpt2", "bert-base-uncased", "t5-small", "grok-1",
                "openai/gpt-oss-20b", "xai-org/grok-1", "CohereForAI/c4ai-command-r-plus", "google/gemma-2-2b-it"])
    hits = sorted(i for i in ids if registry.match_api(i) is not None)
    assert not hits, f"API names/patterns match Hub ids: {hits[:10]}"


def test_patterns_never_match_ordinary_words(providers):
    for key, prov in providers.items():
        for pattern in prov.get("patterns", []):
            rx = re.compile(pattern, re.IGNORECASE)
            assert "/" not in pattern, f"{key}: pattern {pattern!r} could match an org/name id"
            words = [w for w in ORDINARY_WORDS if rx.fullmatch(w)]
            assert not words, f"{key}: pattern {pattern!r} matches ordinary words {words}"


def test_api_names_are_not_hub_ids_or_ordinary_words(providers):
    # `command` (Cohere's legacy model) is listed because code really writes it; it is a name, not a pattern.
    allowed = {"command"}
    for name in all_names(providers):
        assert "/" not in name and not HUB_ID_RE.match(name), name
        assert name in allowed or name.lower() not in ORDINARY_WORDS, f"{name} is an ordinary word"


def test_gemma_is_open_weights_not_gemini(registry):
    assert registry.match_api("gemma-2-2b-it") is None
    assert registry.hub("google/gemma-2-2b-it") is not None


# ------------------------------------------------------------------ facts, not texts or verdicts


def _strings(value, path="$"):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def test_no_long_strings_anywhere(hub_data, providers):
    long = [(p, len(s)) for p, s in _strings(hub_data) if len(s) > 300]
    long += [(p, len(s)) for p, s in _strings(providers) if len(s) > 300]
    assert not long, f"registry stores texts: {long[:5]}"


def test_entries_hold_facts_not_verdicts(hub_data):
    verdict_keys = {"spectrum", "flags", "osi_open", "effective_license", "effective_flags", "inherited_flags"}
    fields = {"id", "card_data", "gated", "tags", "siblings", "sha", "links", "training", "ratings", "sources"}
    for m in hub_data["models"]:
        assert set(m) == fields, m["id"]
        assert not verdict_keys & set(m["card_data"]), m["id"]
        assert m["gated"] in (None, False, "auto", "manual"), m["id"]
        assert m["sources"], f"{m['id']} cites no source"


def test_gated_card_prompts_are_dropped(hub_data):
    gemma = next(m for m in hub_data["models"] if m["id"] == "google/gemma-2-2b-it")
    assert gemma["card_data"]["license"] == "gemma"
    assert not any(k.startswith("extra_gated") for k in gemma["card_data"])


def test_declared_licenses_are_catalogued_or_named(hub_data):
    catalog = load_catalog()
    problems = []
    for m in hub_data["models"]:
        card = m["card_data"]
        as_published = any(s.startswith(("card ", "hub api ")) for s in m["sources"])
        values = card.get("license")
        for value in values if isinstance(values, list) else [values] if values else []:
            if value == "other":
                if not card.get("license_name") and not as_published:
                    problems.append(f"{m['id']}: license other without license_name")
            elif catalog.lookup(value) is None:
                problems.append(f"{m['id']}: license {value!r} not in the catalog")
    assert not problems, "\n".join(problems[:20])


def test_training_licenses_are_catalogued(hub_data):
    catalog = load_catalog()
    missing = sorted({(part, fact["license"]) for m in hub_data["models"]
                      for part, fact in m["training"].items()
                      if fact.get("license") and catalog.lookup(fact["license"]) is None})
    assert not missing, f"training code/data licenses unknown to the catalog: {missing}"


# ------------------------------------------------------------------ specific public facts


def _card(registry, model_id):
    entry = registry.hub(model_id)
    assert entry is not None, model_id
    return entry


def test_qwen25_sizes_carry_their_own_licenses(registry):
    assert _card(registry, "Qwen/Qwen2.5-7B-Instruct").card_data["license"] == "apache-2.0"
    assert _card(registry, "Qwen/Qwen2.5-32B-Instruct").card_data["license"] == "apache-2.0"
    three = _card(registry, "Qwen/Qwen2.5-3B-Instruct").card_data
    assert (three["license"], three["license_name"]) == ("other", "qwen-research")
    big = _card(registry, "Qwen/Qwen2.5-72B-Instruct").card_data
    assert (big["license"], big["license_name"]) == ("other", "qwen")


def test_fully_open_families_record_training_code_and_data(registry):
    olmo = _card(registry, "allenai/OLMo-7B")
    assert olmo.training["code"]["license"] == "apache-2.0"
    assert "github.com/allenai/OLMo" in olmo.training["code"]["url"]
    assert olmo.training["data"]["license"] == "odc-by"
    pythia = _card(registry, "EleutherAI/pythia-12b-deduped")
    assert "gpt-neox" in pythia.training["code"]["url"]
    assert pythia.training["data"]["datasets"]


def test_open_weights_models_record_no_open_training_release(registry):
    for model_id in ("mistralai/Mistral-7B-Instruct-v0.2", "meta-llama/Llama-3.1-8B-Instruct", "google/gemma-2-2b-it"):
        training = _card(registry, model_id).training
        assert not (training.get("code", {}).get("license") and training.get("data", {}).get("license")), model_id


def test_llama_entries_are_gated_and_list_their_policy_files(registry):
    llama = _card(registry, "meta-llama/Llama-3.1-8B-Instruct")
    assert llama.gated == "manual"
    assert {"LICENSE", "USE_POLICY.md"} <= set(llama.siblings)
    assert any(s.endswith(".safetensors") for s in llama.siblings)


def test_legacy_ids_without_org_are_hub_models(registry):
    ref = parse_ref("gpt2", registry=registry)
    assert ref.kind == "hub" and registry.hub("gpt2").card_data["license"] == "mit"


def test_ratings_cite_their_framework(registry):
    amber = _card(registry, "LLM360/Amber")
    assert amber.ratings["mof_class"] == 1 and "model_openness_tool" in amber.ratings["mof_source"]
    assert 0 < amber.ratings["osai_score"] <= 1 and "main-database" in amber.ratings["osai_source"]


def test_lineage_can_be_followed_offline(registry, card_labels, corpus):
    from openscope.card.parse import as_list, parse_card

    missing = []
    for label in card_labels:
        card = parse_card((corpus / "cards" / label["text_file"]).read_text(encoding="utf-8"))
        for base in as_list(card.data.get("base_model")):
            if HUB_ID_RE.match(base) and registry.hub(base) is None:
                missing.append(f"{label['id']} -> {base}")
    for model_id in registry.hub_ids():
        for base in as_list(registry.hub(model_id).card_data.get("base_model")):
            if HUB_ID_RE.match(base) and registry.hub(base) is None:
                missing.append(f"{model_id} -> {base}")
    assert not missing, f"base models missing from the registry: {missing}"


def test_facts_agree_with_framework_gold_on_fully_open(registry, corpus):
    """Gold labels are never read into the registry; here they check that the recorded facts make sense."""
    catalog = load_catalog()

    def open_license(name):
        entry = catalog.lookup(name)
        return bool(entry and entry.osi_open)

    def facts_say_fully_open(entry):
        code, data = entry.training.get("code", {}), entry.training.get("data", {})
        return (open_license(entry.card_data.get("license")) and open_license(code.get("license"))
                and open_license(data.get("license")))

    gold = [g for g in read_jsonl(corpus / "openness" / "ground_truth.jsonl") if registry.hub(g["id"])]
    fully = [g for g in gold if g["spectrum"] == "fully-open"]
    weights = [g for g in gold if g["spectrum"] == "open-weights"]
    hit = sum(facts_say_fully_open(registry.hub(g["id"])) for g in fully)
    false_alarm = sum(facts_say_fully_open(registry.hub(g["id"])) for g in weights)
    assert len(fully) >= 20 and hit / len(fully) >= 0.75, f"{hit}/{len(fully)} fully-open models have open facts"
    assert false_alarm / len(weights) <= 0.03, f"{false_alarm}/{len(weights)} open-weights models look fully open"


# ------------------------------------------------------------------ the generator


def _run_script(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_snapshot_is_reproducible_without_gold_labels(corpus, tmp_path):
    # Only the inputs the generator is allowed to read: no ground_truth.jsonl, no license texts.
    stripped = tmp_path / "corpus"
    shutil.copytree(corpus / "cards", stripped / "cards")
    (stripped / "openness").mkdir()
    for name in ("mot_models.jsonl", "osai_index.jsonl"):
        shutil.copy(corpus / "openness" / name, stripped / "openness" / name)
    out = tmp_path / "out"
    result = _run_script("--corpus", str(stripped), "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "hub_models.json").read_bytes() == HUB_FILE.read_bytes(), \
        "hub_models.json is stale or hand-edited: run scripts/build_registry.py"
    assert (out / "SNAPSHOT").read_bytes() == (REGISTRY_DIR / "SNAPSHOT").read_bytes()


@pytest.mark.slow
def test_the_packaged_builder_gives_the_same_snapshot_as_the_script(corpus, tmp_path):
    # `openscope registry build` (what a wheel has) and scripts/build_registry.py are one builder.
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "openscope", "registry", "build", "--corpus", str(corpus),
                             "--output-dir", str(out), "--sources-dir", str(REGISTRY_DIR / "sources")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (out / "hub_models.json").read_bytes() == HUB_FILE.read_bytes()


@pytest.mark.slow
def test_hub_refresh_wins_over_curated_and_curated_over_corpus(corpus, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(REGISTRY_DIR / "sources", sources, ignore=shutil.ignore_patterns("hub_refresh.json"))
    refresh = {"fetched_at": "2030-01-02T03:04:05Z", "models": [
        {"id": "mistralai/Mistral-7B-Instruct-v0.2", "gated": "auto", "sha": "0" * 40,
         "card_data": {"license": "mit", "extra_gated_prompt": "a form"}, "siblings": ["LICENSE", "model.gguf"]},
        {"id": "someone/brand-new-model", "card_data": {"license": "apache-2.0"}, "siblings": []},
    ]}
    (sources / "hub_refresh.json").write_text(json.dumps(refresh), encoding="utf-8")
    out = tmp_path / "out"
    result = _run_script("--corpus", str(corpus), "--output-dir", str(out), "--sources-dir", str(sources))
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "hub_models.json").read_text(encoding="utf-8"))
    models = {m["id"]: m for m in data["models"]}
    mistral = models["mistralai/Mistral-7B-Instruct-v0.2"]
    assert mistral["card_data"]["license"] == "mit"  # Hub answer beats curated apache-2.0
    assert "extra_gated_prompt" not in mistral["card_data"]
    assert mistral["gated"] == "auto" and mistral["sha"] == "0" * 40
    assert mistral["siblings"] == ["LICENSE", "model.gguf"]
    assert mistral["card_data"]["pipeline_tag"] == "text-generation"  # curated keys the Hub did not send survive
    assert any(s.startswith("hub api 2030-01-02") for s in mistral["sources"])
    assert "someone/brand-new-model" in models
    assert data["snapshot"]["date"] == "2030-01-02"
    # Curated beats corpus: MOT records OLMo's datasets under Apache-2.0, the curated file says ODC-By.
    assert models["allenai/OLMo-7B"]["training"]["data"]["license"] == "odc-by"


def test_missing_corpus_fails_clearly(tmp_path):
    result = _run_script("--corpus", str(tmp_path / "nowhere"), "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "corpus not found" in result.stderr and "nowhere" in result.stderr
    assert not (tmp_path / "out").exists()


def test_curated_file_rejects_unknown_keys(tmp_path, corpus):
    sources = tmp_path / "sources"
    shutil.copytree(REGISTRY_DIR / "sources", sources)
    path = sources / "curated_hub.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "      meta-llama/Llama-2-7b: {}", "      meta-llama/Llama-2-7b: {licence: llama2}"), encoding="utf-8")
    result = _run_script("--corpus", str(corpus), "--output-dir", str(tmp_path / "out"), "--sources-dir", str(sources))
    assert result.returncode == 2
    assert "meta-llama/Llama-2-7b" in result.stderr and "licence" in result.stderr


def test_api_names_with_published_weights_are_closed_api_with_the_weights_as_alternative():
    """Usage decides: command-r-plus written as Cohere's API name is the hosted service under Cohere's
    terms (closed-api), even though the same model's weights are downloadable (the corpus notes it); the
    report names that Hub repository as the open-weights alternative, and the repository itself stays
    open-weights under its own license."""
    from openscope.api import audit
    from openscope.registry import load_registry

    registry = load_registry()
    report = audit(["command-r-plus", "mistral-large-latest", "mistral-medium-latest", "gpt-4o",
                    "CohereForAI/c4ai-command-r-plus"], offline=True)
    spectra = {m.ref: m.spectrum for m in report.models}
    assert spectra == {"command-r-plus": "closed-api", "mistral-large-latest": "closed-api",
                       "mistral-medium-latest": "closed-api", "gpt-4o": "closed-api",
                       "CohereForAI/c4ai-command-r-plus": "open-weights"}
    command, large, medium = report.models[:3]
    assert command.kind == "api" and command.license.identified_by == "registry"
    assert command.license.id == "cohere-terms" and "competitor-ban" in command.flag_names()
    assert command.alternatives == ["CohereForAI/c4ai-command-r-plus"]
    assert large.alternatives == ["mistralai/Mistral-Large-Instruct-2411"] and medium.alternatives == []
    assert any("CohereForAI/c4ai-command-r-plus" in r for r in command.reasons)
    # Every mapped repo is itself in the registry, so its license can be looked up offline.
    for prov in registry.providers.values():
        for repo in (prov.get("open_weights") or {}).values():
            assert registry.hub(repo) is not None, repo


# ------------------------------------------------------------------ providers reached by usage, local runtimes


def test_every_provider_names_its_terms_and_no_name_or_alias_belongs_to_two(providers):
    seen_names: dict[str, str] = {}
    seen_aliases: dict[str, str] = {}
    for key, prov in providers.items():
        assert prov.get("name") and prov.get("terms_url", "").startswith("https://"), key
        for name in prov.get("names", []):
            assert seen_names.setdefault(name.lower(), key) == key, f"{name} is listed by two providers"
        for alias in (key, *prov.get("aliases", [])):
            assert seen_aliases.setdefault(alias.lower(), key) == key, f"alias {alias} names two providers"
        for pattern in prov.get("path_patterns", []):
            assert pattern.count("/") >= 2, f"{key}: a path pattern must need two '/', or it could match a Hub id"


def test_scoped_names_count_only_when_usage_names_the_provider(registry):
    assert registry.match_api("meta-llama/Llama-3.3-70B-Instruct-Turbo") is None  # written alone: a Hub id
    together = registry.match_api("meta-llama/Llama-3.3-70B-Instruct-Turbo", provider="together_ai")
    assert together.provider == "together" and together.weights_repo == "meta-llama/Llama-3.3-70B-Instruct"
    assert registry.match_api("support-gpt4o") is None  # an Azure deployment name is any word
    assert registry.match_api("support-gpt4o", provider="azure").provider == "azure-openai"
    assert registry.match_api("whisper-large-v3") is None
    assert registry.match_api("whisper-large-v3", provider="groq").weights_repo == "openai/whisper-large-v3"
    assert registry.match_api("gpt-4o", provider="groq") is None


@pytest.mark.parametrize("name,provider,weights", [
    ("command-r", "cohere", "CohereForAI/c4ai-command-r-v01"),
    ("llama-3.1-8b-instant", "groq", "meta-llama/Llama-3.1-8B-Instruct"),
    ("meta.llama3-1-8b-instruct-v1:0", "bedrock", "meta-llama/Llama-3.1-8B-Instruct"),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "bedrock", None),
    ("accounts/fireworks/models/deepseek-r1", "fireworks", "deepseek-ai/DeepSeek-R1"),
    ("kimi-k2-0711-preview", "moonshot", "moonshotai/Kimi-K2-Instruct"),
    ("glm-4.5", "zhipu", "zai-org/GLM-4.5"),
    ("deepseek-chat", "deepseek", "deepseek-ai/DeepSeek-V3"),
    ("open-mixtral-8x7b", "mistral", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
])
def test_api_names_of_open_weights_models_name_their_hub_repo(registry, name, provider, weights):
    api = registry.match_api(name)
    assert (api.provider, api.weights_repo) == (provider, weights)


def test_ollama_names_map_to_hub_repos_in_the_snapshot(registry):
    models = registry.local_runtimes["ollama"]["models"]
    assert len(models) >= 100
    missing = sorted({repo for repo in models.values() if registry.hub(repo) is None})
    assert not missing, f"Ollama names mapped to repos the snapshot lacks: {missing}"
    assert registry.runtime_repo("ollama", "llama3.1:8b-instruct-q4_K_M") == "meta-llama/Llama-3.1-8B-Instruct"
    assert registry.runtime_repo("ollama", "llama3.1:latest") == "meta-llama/Llama-3.1-8B-Instruct"
    assert registry.runtime_repo("ollama", "llama3.1:13b") is None  # no such size: not guessed
    assert registry.runtime_repo("ollama_chat", "phi3:mini") == "microsoft/Phi-3-mini-4k-instruct"


def test_renamed_orgs_are_suggested_both_ways(registry):
    assert registry.suggest("CohereLabs/c4ai-command-r-plus") == ["CohereForAI/c4ai-command-r-plus"]
    assert registry.suggest("THUDM/GLM-4.5") == ["zai-org/GLM-4.5"]
    assert registry.suggest("meta-llama/Llama-3.1-8B-Instruct") == []  # a known id needs no suggestion
