import pytest

from openscope.errors import InvalidRefError
from openscope.refs import parse_ref


@pytest.mark.parametrize(
    "text,kind,model_id,revision",
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "hub", "meta-llama/Llama-3.1-8B-Instruct", None),
        ("allenai/OLMo-7B@main", "hub", "allenai/OLMo-7B", "main"),
        ("org/name@0123456789abcdef0123456789abcdef01234567", "hub", "org/name", "0123456789abcdef0123456789abcdef01234567"),
    ],
)
def test_hub_refs(text, kind, model_id, revision):
    ref = parse_ref(text)
    assert (ref.kind, ref.id, ref.revision) == (kind, model_id, revision)


@pytest.mark.parametrize("text", ["", "   ", "x" * 500, "a/b/../c\x00", "org--x/na..me", "not a model", "-bad/x"])
def test_malformed_refs_name_themselves(text):
    with pytest.raises(InvalidRefError) as info:
        parse_ref(text)
    assert info.value.code == "invalid-ref"
    assert str(info.value)  # one clear line
    assert "\n" not in str(info.value)


def test_local_folder_ref(tmp_path):
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n")
    ref = parse_ref(str(tmp_path))
    assert ref.kind == "local" and ref.path == tmp_path


def test_revision_with_slashes_is_a_hub_revision():
    ref = parse_ref("org/name@refs/pr/1")
    assert (ref.kind, ref.id, ref.revision) == ("hub", "org/name", "refs/pr/1")


def test_local_card_without_front_matter_is_reported_not_guessed(tmp_path):
    from openscope.api import audit

    (tmp_path / "README.md").write_text("# A model\nWe trained it ourselves.\n")
    model = audit([str(tmp_path)], offline=True).models[0]
    assert model.error is None and model.spectrum == "unknown"
    # No front matter, and no terms in the text: both said, neither guessed.
    assert [w.code for w in model.warnings] == ["card-no-metadata", "license-unknown"]


# -- references people paste ----------------------------------------------------------------------

@pytest.mark.parametrize("text,model_id,revision", [
    ("https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", None),
    ("https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/", "meta-llama/Llama-3.1-8B-Instruct", None),
    ("huggingface.co/org/name/tree/v1.0", "org/name", "v1.0"),
    ("https://hf.co/org/name/blob/main/README.md", "org/name", "main"),
    ("https://huggingface.co/org/name/resolve/abc123/model.safetensors?download=true", "org/name", "abc123"),
    ("https://huggingface.co/org/name/tree/refs%2Fpr%2F3", "org/name", "refs/pr/3"),
    ("https://huggingface.co/org/name/discussions/12", "org/name", None),
    ("https://huggingface.co/models/org/name", "org/name", None),
])
def test_hub_urls_are_hub_references(text, model_id, revision):
    ref = parse_ref(text)
    assert (ref.kind, ref.id, ref.revision, ref.raw) == ("hub", model_id, revision, text)


@pytest.mark.parametrize("text,what", [
    ("https://huggingface.co/datasets/org/data", "a dataset"),
    ("https://huggingface.co/spaces/org/demo", "a Space"),
    ("https://huggingface.co/docs/hub/index", "documentation"),
    ("https://huggingface.co/org", "a Hub URL names a model"),
])
def test_hub_urls_that_are_not_models_say_so(text, what):
    with pytest.raises(InvalidRefError, match=what):
        parse_ref(text)


@pytest.mark.parametrize("text,kind,model_id,provider", [
    ("ollama:llama3.1:8b", "hub", "meta-llama/Llama-3.1-8B-Instruct", None),
    ("ollama:qwen2.5:7b-instruct-q4_K_M", "hub", "Qwen/Qwen2.5-7B-Instruct", None),  # the tag's size counts
    ("ollama:mistral", "hub", "mistralai/Mistral-7B-Instruct-v0.3", None),
    ("ollama:hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M", "hub", "bartowski/Llama-3.2-3B-Instruct-GGUF", None),
    ("groq:llama-3.1-8b-instant", "api", "llama-3.1-8b-instant", "groq"),
    ("together_ai:meta-llama/Llama-3.3-70B-Instruct-Turbo", "api", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
     "together"),
    ("google-gla:gemini-1.5-flash", "api", "gemini-1.5-flash", "google"),  # pydantic-ai's spelling
    ("bedrock:meta.llama3-1-8b-instruct-v1:0", "api", "meta.llama3-1-8b-instruct-v1:0", "bedrock"),
    ("azure:support-gpt4o", "api", "support-gpt4o", "azure-openai"),  # any deployment name, with the prefix
    ("accounts/fireworks/models/llama-v3p1-8b-instruct", "api", "accounts/fireworks/models/llama-v3p1-8b-instruct",
     "fireworks"),
    ("all-mpnet-base-v2", "hub", "sentence-transformers/all-mpnet-base-v2", None),  # sentence-transformers' default org
])
def test_provider_prefixes_runtimes_and_bare_names(text, kind, model_id, provider):
    ref = parse_ref(text)
    assert (ref.kind, ref.id, ref.provider) == (kind, model_id, provider)


def test_usage_decides_what_a_name_is():
    from openscope.refs import HUB_USAGE

    assert parse_ref("command-r", usage="cohere").provider == "cohere"
    assert parse_ref("meta-llama/Llama-3.3-70B-Instruct", usage=HUB_USAGE).kind == "hub"
    together = parse_ref("meta-llama/Llama-3.3-70B-Instruct-Turbo", usage="together")
    assert (together.kind, together.provider) == ("api", "together")
    with pytest.raises(InvalidRefError, match="not a known Groq model name"):
        parse_ref("gpt-4o", usage="groq")
    with pytest.raises(InvalidRefError, match="not an Ollama library name with a known Hub repository"):
        parse_ref("my-own-finetune", usage="ollama")


@pytest.mark.parametrize("text,suggestion", [
    ("gpt4o", "gpt-4o"),
    ("GPT4o-mini", "gpt-4o-mini"),
    ("claud-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022"),
    ("mistral-larg-latest", "mistral-large-latest"),
    ("groq:llama-3.1-8b-instnt", "llama-3.1-8b-instant"),
])
def test_near_miss_names_get_a_did_you_mean(text, suggestion):
    with pytest.raises(InvalidRefError) as info:
        parse_ref(text)
    assert f"did you mean {suggestion!r}" in str(info.value)


def test_offline_miss_names_the_snapshot_date_a_suggestion_and_how_to_fetch():
    from openscope.api import audit
    from openscope.registry import load_registry

    date = load_registry().snapshot_date()
    models = audit(["CohereLabs/c4ai-command-r-plus", "meta-llama/Llama-3.1-8B-Instrct", "acme/never-heard-of"],
                   offline=True).models
    renamed, typo, unknown = (m.error.message for m in models)
    assert "did you mean CohereForAI/c4ai-command-r-plus?" in renamed  # a renamed org, kept as data
    assert "did you mean meta-llama/Llama-3.1-8B-Instruct?" in typo
    for message in (renamed, typo, unknown):
        assert f"not in the bundled registry snapshot (dated {date})" in message
        assert "run without --offline" in message and "openscope registry refresh" in message
    assert "did you mean" not in unknown and all(m.error.code == "not-found" for m in models)
