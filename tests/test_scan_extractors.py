"""The scan's parts one by one: call patterns, constants, decoys, configs, notebooks, manifests,
the .gitignore reader and the diff parser. Inputs are short texts written for these tests."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from openscope.registry import Registry, load_registry
from openscope.scan.candidates import Candidate, load_patterns
from openscope.scan.configs import loads_with_positions, scan_json, scan_yaml
from openscope.scan.gitdiff import parse_unified_diff
from openscope.scan.manifest import scan_manifest, scan_toml
from openscope.scan.notebook import scan_notebook
from openscope.scan.python_ast import scan_python
from openscope.scan.resolve import CandidateResolver
from openscope.scan.rules import ScanRules
from openscope.scan.walk import IgnoreFile, _walk_tree, compile_gitignore

PATTERNS = load_patterns()
RULES = ScanRules(PATTERNS, load_registry())
KEYS = RULES


def found(source: str) -> list[tuple[str, int]]:
    out = scan_python(source, RULES)
    assert out.file_problem is None
    return [(c.text, c.line) for c in out.candidates]


def unresolved(source: str) -> list[tuple[int, str]]:
    return [(u.line, u.reason) for u in scan_python(source, RULES).unresolved]


# -- Python call patterns --------------------------------------------------------------------------

@pytest.mark.parametrize("code,text", [
    ('AutoModelForCausalLM.from_pretrained("org/a")', "org/a"),
    ('transformers.AutoTokenizer.from_pretrained(pretrained_model_name_or_path="org/a")', "org/a"),
    ('AutoConfig.from_pretrained("org/a", revision="abc123")', "org/a@abc123"),
    ('DiffusionPipeline.from_pretrained("org/diffuser", torch_dtype=x)', "org/diffuser"),
    ('PeftModel.from_pretrained(base, "org/adapter")', "org/adapter"),
    ('peft.PeftModelForCausalLM.from_pretrained(base, model_id="org/adapter")', "org/adapter"),
    ('AutoPeftModelForCausalLM.from_pretrained("org/adapter")', "org/adapter"),
    ('pipe.load_lora_weights("org/lora")', "org/lora"),
    ('pipeline("text-generation", "org/gen")', "org/gen"),
    ('transformers.pipeline(task="fill-mask", model="org/fill")', "org/fill"),
    ('hf_hub_download("org/a", "weights.bin")', "org/a"),
    ('huggingface_hub.snapshot_download(repo_id="org/a", revision="v1")', "org/a@v1"),
    ('SentenceTransformer("org/embed")', "org/embed"),
    ('CrossEncoder(model_name="org/rerank")', "org/rerank"),
    ('vllm.LLM("org/served")', "org/served"),
    ('LLM(model="org/served", tensor_parallel_size=2)', "org/served"),
    ('OpenAI().chat.completions.create(model="gpt-4o", messages=[])', "gpt-4o"),
    ('client.beta.chat.completions.create(model="gpt-4o")', "gpt-4o"),
    ('client.responses.create(model="gpt-4.1")', "gpt-4.1"),
    ('client.embeddings.create(model="text-embedding-3-small", input=x)', "text-embedding-3-small"),
    ('anthropic.Anthropic().messages.create(model="claude-x", max_tokens=1)', "claude-x"),
    ('client.models.generate_content(model="gemini-2.0-flash", contents=q)', "gemini-2.0-flash"),
    ('client.models.generate_content(model="models/gemini-2.0-flash")', "gemini-2.0-flash"),
    ('genai.GenerativeModel("gemini-1.5-pro")', "gemini-1.5-pro"),
    ('genai.GenerativeModel(model_name="models/gemini-1.5-pro")', "gemini-1.5-pro"),
    # litellm strings are kept as written; the resolver reads the provider prefix (test below).
    ('litellm.completion(model="openai/gpt-4o", messages=m)', "openai/gpt-4o"),
    ('litellm.completion(model="gpt-4o")', "gpt-4o"),
    ('ollama.chat(model="llama3.1:8b", messages=[])', "llama3.1:8b"),
    ('co.chat(model="command-r")', "command-r"),
    ('bedrock.converse(modelId="meta.llama3-1-8b-instruct-v1:0", messages=[])', "meta.llama3-1-8b-instruct-v1:0"),
    ('ChatGroq(model="llama-3.1-8b-instant")', "llama-3.1-8b-instant"),
    ('SentenceTransformer("all-mpnet-base-v2")', "sentence-transformers/all-mpnet-base-v2"),
    ('SentenceTransformer("bert-base-uncased")', "bert-base-uncased"),  # a canonical Hub id stays as it is
    ('ChatOpenAI(model="gpt-4o-mini")', "gpt-4o-mini"),
    ('ChatAnthropic(model_name="claude-x")', "claude-x"),
    ('ChatGoogleGenerativeAI(model="gemini-1.5-flash")', "gemini-1.5-flash"),
    ('timm.create_model("hf-hub:org/vision", pretrained=True)', "org/vision"),
])
def test_call_patterns(code, text):
    assert found(code + "\n") == [(text, 1)]


@pytest.mark.parametrize("code", [
    'pipeline("summarization")',                      # the task, not a model
    'PeftModel.from_pretrained(base)',                 # no adapter argument
    'client.chat.completions.create(messages=[])',    # no model keyword
    'client.chat.completions.create(model=None)',
    'AutoModel.from_pretrained(*args)',
    'print("AutoModel.from_pretrained(\'org/in-a-string\')")',
    'headers = {"Content-Type": "application/json", "accept": "org/in-a-dict"}',
    'create(engine="org/x")',                         # no known callee, no model-named keyword
    'co.chat(message="org/x")',                       # `co` is no Cohere client here
    'load_dataset("org/dataset", model="org/x")',     # dataset loaders never name models
    '"""Docstring: SentenceTransformer("org/doc")."""',
    '# AutoModel.from_pretrained("org/comment")',
])
def test_not_a_model_slot(code):
    assert found(code + "\n") == []
    assert unresolved(code + "\n") == []


def test_model_named_slots_anywhere_in_python():
    code = "\n".join([
        'MODEL_ID = "org/constant"',                                   # 1
        'class Settings(BaseSettings):',                               # 2
        '    chat_model: str = "org/field"',                           # 3
        '    embed_model: str = Field(default="org/pydantic")',        # 4
        '    other: str = "org/not-a-slot"',                           # 5
        'def load(model_name="org/default", *, tokenizer="org/kw-default"):',  # 6
        '    return 1',                                                # 7
        'x = os.getenv("EMBEDDING_MODEL", "org/env-default")',          # 8
        'client.post(url, json={"model": "org/payload"})',              # 9
        'MODELS = {"chat": "org/reg-a", "vision": {"name": "org/reg-b", "dtype": "bf16"}}',  # 10
        'CHECKPOINTS = ["org/list-a", "org/list-b"]',                   # 11
        'p.add_argument("--base-model", default="org/argparse", choices=["org/choice"])',  # 12
        'def get_judge_model():',                                      # 13
        '    return "org/returned"',                                   # 14
        'self.llm_model = "org/attribute"',                            # 15
        'os.environ["HF_MODEL"] = "org/environ"',                      # 16
        'anything(reranker_model="org/keyword")',                     # 17
        'MODEL_TYPE = "org/excluded-word"',                           # 18
    ]) + "\n"
    assert found(code) == [
        ("org/constant", 1), ("org/field", 3), ("org/pydantic", 4), ("org/default", 6), ("org/kw-default", 6),
        ("org/env-default", 8), ("org/payload", 9), ("org/reg-a", 10), ("org/reg-b", 10), ("org/list-a", 11),
        ("org/list-b", 11), ("org/argparse", 12), ("org/choice", 12), ("org/returned", 14), ("org/attribute", 15),
        ("org/environ", 16), ("org/keyword", 17)]


def test_usage_comes_from_the_client_the_call_is_made_on():
    code = "\n".join([
        "from groq import Groq",
        "from openai import OpenAI, AzureOpenAI",
        "import cohere, boto3",
        "g = Groq()",
        'together = OpenAI(base_url="https://api.together.xyz/v1")',
        "plain = OpenAI()",
        "self.az = AzureOpenAI()",
        "co = cohere.Client()",
        'rt = boto3.client("bedrock-runtime")',
        'g.chat.completions.create(model="a")',
        'together.chat.completions.create(model="b")',
        'plain.chat.completions.create(model="c")',
        'self.az.chat.completions.create(model="d")',
        'co.chat(model="e")',
        'rt.invoke_model(modelId="f")',
        'requests.post("http://localhost:11434/api/chat", json={"model": "g"})',
        'OpenAI(base_url=f"https://api.groq.com/openai/v1").chat.completions.create(model="h")',
    ]) + "\n"
    usage = {c.text: c.usage for c in scan_python(code, RULES).candidates}
    assert usage == {"a": "groq", "b": "together", "c": "openai", "d": "azure-openai", "e": "cohere", "f": "bedrock",
                     "g": "ollama", "h": "groq"}


def test_loose_strings_count_only_when_the_registry_knows_them():
    code = ('"""Docstring: meta-llama/Llama-3.1-8B-Instruct is prose."""\n'
            'TIERS = {"fast": "gpt-4o-mini", "other": "org/unknown", "word": "command"}\n'
            'URL = "https://huggingface.co/org/linked/tree/v2"\n'
            'print(f"meta-llama/Llama-3.1-8B-Instruct")\n')
    assert found(code) == [("gpt-4o-mini", 2), ("https://huggingface.co/org/linked/tree/v2", 3)]


def test_files_without_any_model_word_are_not_parsed():
    assert not RULES.python_may_hold(b"def f(x):\n    return x * 2\n")
    assert RULES.python_may_hold(b"x = AutoModel.from_pretrained(p)\n")
    assert RULES.python_may_hold(b"TIERS = {'fast': 'gpt-4o-mini'}\n")  # a registry name, quoted
    assert RULES.python_may_hold(b"u = 'https://huggingface.co/org/x'\n")


def test_reported_line_is_the_line_of_the_argument():
    code = 'm = AutoModel.from_pretrained(\n    "org/a",\n)\nclient.messages.create(\n    max_tokens=1,\n    model="claude-x",\n)\n'
    assert found(code) == [("org/a", 2), ("claude-x", 6)]


def test_module_constants_count_when_assigned_once_and_not_shadowed():
    code = "\n".join([
        'ANNOTATED: str = "org/annotated"',          # 1
        'ONCE = "org/once"',                          # 2
        'TWICE = "org/first"',                        # 3
        'TWICE = "org/second"',                       # 4
        'REBOUND = "org/rebound"',                    # 5
        "def f(ONCE):",                               # 6
        "    return AutoModel.from_pretrained(ONCE)",  # 7: the parameter
        "def g():",                                   # 8
        "    global REBOUND",                         # 9
        '    REBOUND = "org/elsewhere"',              # 10
        "def h():",                                   # 11
        "    ONCE2 = ONCE",                           # 12
        "    return AutoModel.from_pretrained(ONCE)",  # 13: the constant
        "AutoModel.from_pretrained(ANNOTATED)",       # 14
        "AutoModel.from_pretrained(TWICE)",           # 15
        "AutoModel.from_pretrained(REBOUND)",         # 16
        "class C:",                                   # 17
        '    ATTR = "org/class-attr"',                # 18
        "    def m(self):",                           # 19
        "        return AutoModel.from_pretrained(self.ATTR)",  # 20
        "local = lambda ONCE: AutoModel.from_pretrained(ONCE)",  # 21
    ]) + "\n"
    out = scan_python(code, RULES)
    assert [(c.text, c.line, c.other_lines) for c in out.candidates] == [
        ("org/once", 13, (2,)), ("org/annotated", 14, (1,))]
    assert [(u.line, u.reason) for u in out.unresolved] == [
        (7, "argument is not a string literal (variable 'ONCE')"),
        (15, "argument is not a string literal (variable 'TWICE')"),
        (16, "argument is not a string literal (variable 'REBOUND')"),
        (20, "argument is not a string literal (attribute 'self.ATTR')"),
        (21, "argument is not a string literal (variable 'ONCE')"),
    ]


@pytest.mark.parametrize("arg,described", [
    ('f"org/{name}"', "f-string"),
    ('"org/" + name', "computed string"),
    ("os.environ['MODEL']", "subscript"),
    ("get_model_name()", "result of a call"),
    ("cfg.model.name", "attribute 'cfg.model.name'"),
])
def test_non_literal_arguments_are_reported_with_what_they_are(arg, described):
    assert unresolved(f"AutoModel.from_pretrained({arg})\n") == [(1, f"argument is not a string literal ({described})")]


def test_unparseable_python_names_the_problem():
    out = scan_python("def broken(:\n    model = 1\n", RULES)
    assert out.file_problem.startswith("not parseable Python")
    assert "line 1" in out.file_problem
    assert scan_python(b"model = 1\x00\n", RULES).file_problem.startswith("not parseable Python")


def test_source_encoding_cookie_is_honoured():
    source = '# -*- coding: latin-1 -*-\nname = "caf\xe9"\nAutoModel.from_pretrained("org/enc")\n'.encode("latin-1")
    assert [(c.text, c.line) for c in scan_python(source, RULES).candidates] == [("org/enc", 3)]


# -- decoys and resolution -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def resolver():
    registry = Registry([{"id": "openai-community/gpt2"}, {"id": "gpt2"}, {"id": "openai/whisper-large-v3"},
                         {"id": "meta-llama/Llama-3.1-8B-Instruct"}],
                        {"openai": {"names": ["gpt-4o"]}, "anthropic": {"patterns": ["claude-[a-z0-9.-]+"]},
                         "groq": {"names": ["llama-3.1-8b-instant"], "aliases": ["groqcloud"]},
                         "cohere": {"names": ["command-r"]},
                         "together": {"scoped_patterns": ["[A-Za-z0-9._-]+/[A-Za-z0-9._-]+"]}},
                        local_runtimes={"ollama": {"models": {"llama3.1": "meta-llama/Llama-3.1-8B-Instruct",
                                                              "llama3.1:8b": "meta-llama/Llama-3.1-8B-Instruct"}}})
    return CandidateResolver(PATTERNS["not_references"], registry, ScanRules(PATTERNS, registry))


@pytest.mark.parametrize("text", [
    "application/json", "text/plain", "image/png", "model/gltf+json", "./checkpoints/best", "/abs/model",
    "~/models/x", "C:\\models\\x", "a/b/c", "https://example.com/org/name", "www.example.com",
    "https://huggingface.co/datasets/org/name",
    "weights.bin", "org/model.safetensors", "config.json", "two words", "", "   ",
])
def test_decoys_are_dropped(resolver, text):
    assert resolver.resolve(Candidate(text, 1), Path(".")) is None


@pytest.mark.parametrize("text,kind,model_id,revision,provider", [
    ("org/name", "hub", "org/name", None, None),
    ("org/name@v1.0", "hub", "org/name", "v1.0", None),
    ("gpt-4o", "api", "gpt-4o", None, "openai"),
    ("openai:gpt-4o", "api", "gpt-4o", None, "openai"),
    ("claude-3-opus", "api", "claude-3-opus", None, "anthropic"),
    ("gpt2", "hub", "gpt2", None, None),
    ("https://huggingface.co/org/name/tree/v2", "hub", "org/name", "v2", None),
    # litellm strings: the prefix names the provider, or says the rest is a Hub id
    ("openai/gpt-4o", "api", "gpt-4o", None, "openai"),
    ("groq/llama-3.1-8b-instant", "api", "llama-3.1-8b-instant", None, "groq"),
    ("huggingface/org/hosted", "hub", "org/hosted", None, None),
    ("ollama/llama3.1", "hub", "meta-llama/Llama-3.1-8B-Instruct", None, None),
    ("openai/whisper-large-v3", "hub", "openai/whisper-large-v3", None, None),  # a Hub id in the registry
    ("openai/clip-vit-base", "hub", "openai/clip-vit-base", None, None),  # an unknown name after a Hub org
    ("newprovider/some-model", "hub", "newprovider/some-model", None, None),
])
def test_references_resolve_through_parse_ref(resolver, text, kind, model_id, revision, provider):
    ref = resolver.resolve(Candidate(text, 1), Path("."))
    assert (ref.kind, ref.id, ref.revision, ref.provider) == (kind, model_id, revision, provider)


@pytest.mark.parametrize("text,usage,hint,kind,model_id,provider", [
    # Usage decides: the same name is a Hub id in a Hub loader and an API model through its client.
    ("meta-llama/Llama-3.1-8B-Instruct", "hub", None, "hub", "meta-llama/Llama-3.1-8B-Instruct", None),
    ("meta-llama/Llama-3.1-8B-Instruct", "together", None, "api", "meta-llama/Llama-3.1-8B-Instruct", "together"),
    ("command-r", "cohere", None, "api", "command-r", "cohere"),
    ("llama3.1:8b", "ollama", None, "hub", "meta-llama/Llama-3.1-8B-Instruct", None),
    ("meta-llama/Llama-3.1-8B-Instruct", "openai", None, "hub", "meta-llama/Llama-3.1-8B-Instruct", None),  # lenient
    # A hint (a provider word in the slot's name) is tried first, then the text on its own.
    ("llama3.1", None, "ollama", "hub", "meta-llama/Llama-3.1-8B-Instruct", None),
    ("org/x", None, "groqcloud", "hub", "org/x", None),
])
def test_usage_and_hints(resolver, text, usage, hint, kind, model_id, provider):
    ref = resolver.resolve(Candidate(text, 1, usage=usage, hint=hint), Path("."))
    assert (ref.kind, ref.id, ref.provider) == (kind, model_id, provider)


def test_what_an_unresolvable_string_becomes_depends_on_the_place(resolver):
    from openscope.scan.candidates import AMBIGUOUS, CALL, LOOSE, SLOT

    assert resolver.resolve(Candidate("house-model", 1, strength=CALL), Path(".")).startswith("unknown model name")
    assert resolver.resolve(Candidate("house", 1, strength=CALL), Path(".")).startswith("unknown model name")
    assert resolver.resolve(Candidate("house-model-v1", 1, strength=SLOT), Path(".")).startswith("unknown model name")
    assert resolver.resolve(Candidate("auth.user", 1, strength=SLOT), Path(".")) is None  # not shaped like a model
    assert resolver.resolve(Candidate("gpt-5o", 1, strength=LOOSE), Path(".")) is None
    assert resolver.resolve(Candidate("x", 1, strength=CALL, usage="cohere"), Path(".")).startswith("unknown model")
    reason = resolver.resolve(Candidate("octocat/hello-world", 1, strength=AMBIGUOUS, slot_name="repo_id"), Path("."))
    assert reason.startswith("repo_id 'octocat/hello-world' is not known as a model")
    known = resolver.resolve(Candidate("meta-llama/Llama-3.1-8B-Instruct", 1, strength=AMBIGUOUS), Path("."))
    assert known.kind == "hub"
    assert resolver.resolve(Candidate("lm_studio/qwen", 1), Path(".")).startswith("litellm provider 'lm_studio'")


def test_unknown_names_give_a_reason_naming_them(resolver):
    reason = resolver.resolve(Candidate("resnet50", 1), Path("."))
    assert reason.startswith("unknown model name: 'resnet50'")


def test_declared_entries_are_not_filtered_but_reported(resolver, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "README.md").write_text("---\nlicense: mit\n---\n")
    local = resolver.resolve(Candidate("./m", 3, explicit=True), tmp_path)
    assert (local.kind, local.path, local.raw) == ("local", tmp_path / "m", "./m")
    assert resolver.resolve(Candidate("two words", 4, explicit=True), tmp_path).startswith("unknown model name")


# -- YAML and JSON configs -------------------------------------------------------------------------

def test_yaml_keys_at_any_depth_with_lines():
    text = ("defaults: &d\n  base_model: org/anchored\n"
            "run:\n  <<: *d\n  Model_Name: org/upper-key\n  notes: org/not-a-model-key\n"
            "list:\n  - model_id: org/in-list\n  - repo_id:\n      - org/seq-a\n      - org/seq-b\n"
            "typed:\n  model: 123\n  model_id: true\n  model_name: null\n"
            "tagged: !Ref\n  model: org/custom-tag\n")
    out = scan_yaml(text, KEYS)
    assert out.file_problem is None
    assert [(c.text, c.line) for c in out.candidates] == [
        ("org/anchored", 2), ("org/upper-key", 5), ("org/in-list", 8), ("org/seq-a", 10), ("org/seq-b", 11),
        ("org/custom-tag", 17)]
    assert {c.text: c.strength for c in out.candidates}["org/seq-a"] == "ambiguous"  # repo_id: known models only


def test_yaml_nested_models_providers_environments_and_commands():
    text = "\n".join([
        "model:",                                   # 1
        "  name_or_path: org/nested",               # 2
        "  revision: v3",                           # 3
        "  dtype: bfloat16",                        # 4
        "llm: {provider: ollama, model: llama3.1}", # 5
        "models: {chat: org/reg-a, embed: org/reg-b}",  # 6
        "eval: {repo_id: org/data, repo_type: dataset}",  # 7
        "site: {repo_id: octocat/hello-world, branch: main}",  # 8
        "services:",                                # 9
        "  web:",                                   # 10
        "    image: vllm/vllm-openai:latest",       # 11
        "    command: --model org/served --served-model-name alias-name",  # 12
        "    environment:",                         # 13
        "      - MODEL_ID=org/env-list",            # 14
        "      - OTHER=org/not-a-model",            # 15
        "env:",                                     # 16
        "  - {name: EMBEDDING_MODEL, value: org/k8s-env}",  # 17
        "steps:",                                   # 18
        "  - run: |",                               # 19
        "      pip install -e .",                   # 20
        "      vllm serve org/ci-step --port 8000", # 21
        "extra: {defaultModel: '${DEFAULT_MODEL:-org/defaulted}'}",  # 22
    ]) + "\n"
    out = scan_yaml(text, KEYS)
    assert [(c.text, c.line, c.hint) for c in out.candidates] == [
        ("org/nested@v3", 2, None), ("llama3.1", 5, "ollama"), ("org/reg-a", 6, None), ("org/reg-b", 6, None),
        ("org/served", 12, None), ("org/env-list", 14, None), ("org/k8s-env", 17, None), ("org/ci-step", 21, "hub"),
        ("org/defaulted", 22, None)]
    assert out.dropped == 2  # the dataset and the git repository


def test_yaml_templates_are_unresolved_and_recursive_aliases_are_safe():
    out = scan_yaml("a: &a\n  model: '{{ .Values.model }}'\n  self: *a\nb:\n  model_id: ${MODEL}\n", KEYS)
    assert out.file_problem is None
    assert [(u.line, u.reason) for u in out.unresolved] == [
        (2, "value is a template or variable, not a literal"), (5, "value is a template or variable, not a literal")]
    assert out.candidates == []


def test_invalid_yaml_names_the_line():
    out = scan_yaml("ok: 1\nbad: [unclosed\nnext: 2\n", KEYS)
    assert out.file_problem.startswith("not parseable YAML") and "line" in out.file_problem


@pytest.mark.parametrize("doc", [
    '{"a": [1, 2.5, -3e2, true, false, null, "s\\u00e9\\n"], "b": {}, "c": [], "d": {"e": "f"}}',
    "  [ ]  ", '"just a string"', "0", '{"k": "v", "k": "w"}',
])
def test_position_json_parser_agrees_with_json_module(doc):
    assert loads_with_positions(doc) == json.loads(doc)


@pytest.mark.parametrize("doc", ['{"a": 1,}', '{"a" 1}', "[1 2]", '{"a": tru}', "", '{"a": "x"} extra', '"\\q"'])
def test_position_json_parser_rejects_invalid_json(doc):
    with pytest.raises(ValueError):
        loads_with_positions(doc)


def test_json_config_lines_come_from_the_parser():
    text = ('{\n  "note": "model_id: org/in-text",\n  "model_id": "org/first",\n'
            '  "nested": [{"repo_id": "org/second"}, {"tokenizer_name": ["org/third", 3]}],\n'
            '  "model": {"model_name": "org/fourth"}\n}\n')
    assert [(c.text, c.line) for c in scan_json(text, KEYS).candidates] == [
        ("org/first", 3), ("org/second", 4), ("org/third", 4), ("org/fourth", 5)]
    assert scan_json("{broken", KEYS).file_problem.startswith("not valid JSON")


# -- notebooks -------------------------------------------------------------------------------------

def _notebook(*cells) -> str:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_notebook_lines_are_lines_of_the_ipynb_file():
    text = _notebook(
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["%load_ext x\n", 'NAME = "org/const"\n']},
        {"cell_type": "markdown", "metadata": {}, "source": ['AutoModel.from_pretrained("org/markdown")']},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "!pip install y\nm = AutoModel.from_pretrained(NAME)"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["x = 1\n", "AutoModel.from_pretrained(path)"]},
    )
    lines = text.splitlines()
    const_line = next(i for i, line in enumerate(lines, 1) if "org/const" in line)
    single_string_line = next(i for i, line in enumerate(lines, 1) if "pip install y" in line)
    path_line = next(i for i, line in enumerate(lines, 1) if "from_pretrained(path)" in line)
    out = scan_notebook(text, RULES)
    assert [(c.text, c.line, c.other_lines) for c in out.candidates] == [("org/const", single_string_line, (const_line,))]
    assert [(u.line, u.reason) for u in out.unresolved] == [
        (path_line, "cell 4, line 2: argument is not a string literal (variable 'path')")]


def test_notebook_that_is_not_json_or_has_no_cells_is_a_file_problem():
    assert scan_notebook("{not json", RULES).file_problem.startswith("not a valid notebook")
    assert scan_notebook('{"metadata": {}}', RULES).file_problem == "not a valid notebook (no 'cells' list)"


# -- manifests -------------------------------------------------------------------------------------

def test_manifest_comments_blank_lines_and_bom():
    text = "\ufeff# heading\n\norg/a\n  org/b@v1   # pinned\norg/c#not-a-comment\n\t\n"
    assert [(c.text, c.line, c.explicit) for c in scan_manifest(text).candidates] == [
        ("org/a", 3, True), ("org/b@v1", 4, True), ("org/c#not-a-comment", 5, True)]


def test_pyproject_models_only_from_tool_openscope():
    text = ('[tool.other]\nmodels = ["org/not-ours"]\n\n[tool.openscope]\nallow-spectrum = ["open-weights"]\n'
            "models = [\n  'org/single-quoted',\n  \"org/double\", \"org/same-line\",\n]\n"
            'models-files = ["more.txt"]\n')
    result = scan_toml(text, "pyproject.toml")
    assert [(c.text, c.line) for c in result.extraction.candidates] == [
        ("org/single-quoted", 7), ("org/double", 8), ("org/same-line", 8)]
    assert result.manifest_files == [("more.txt", 10)]


def test_openscope_toml_models_and_bad_values():
    good = scan_toml('# policy\nmodels = ["org/a"]\n', "openscope.toml")
    assert [(c.text, c.line) for c in good.extraction.candidates] == [("org/a", 2)]
    bad = scan_toml('[tool.openscope]\nmodels = "org/a"\n', "pyproject.toml")
    assert [(u.line, u.reason) for u in bad.extraction.unresolved] == [(2, "tool.openscope.models must be a list of strings")]
    assert scan_toml("models = [", "openscope.toml").extraction.file_problem.startswith("not valid TOML")


# -- the .gitignore reader agrees with git ---------------------------------------------------------

GITIGNORE = """\
# comment
*.log
!keep.log
/top-only.txt
build/
docs/**/draft*.md
**/cache
data/*.csv
\\#hash.txt
space.txt   \n"""
TREE = ["a.log", "keep.log", "sub/b.log", "sub/keep.log", "top-only.txt", "sub/top-only.txt", "build/x.py",
        "sub/build/y.py", "build.py", "docs/draft1.md", "docs/a/b/draft2.md", "docs/final.md", "x/cache/z.py",
        "cache/w.py", "data/t.csv", "data/deep/t.csv", "#hash.txt", "space.txt", "plain.py", "sub/.gitignore"]


def test_gitignore_reader_matches_git(tmp_path):
    for name in TREE:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    (tmp_path / ".gitignore").write_text(GITIGNORE)
    (tmp_path / "sub" / ".gitignore").write_text("*.py\n!plain2.py\n")
    (tmp_path / "sub" / "plain2.py").write_text("x\n")
    ours = {p.relative_to(tmp_path).as_posix() for p in _walk_tree(tmp_path, set(), "pyvenv.cfg").files}
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    listed = subprocess.run(["git", "-C", str(tmp_path), "ls-files", "-co", "--exclude-standard"],
                            check=True, capture_output=True, text=True).stdout.split("\n")
    theirs = {n for n in listed if n and not n.startswith(".git/")}
    assert ours == theirs
    assert "keep.log" in ours and "a.log" not in ours  # the test really exercises negation


def test_bad_gitignore_patterns_are_skipped_and_bad_excludes_are_input_errors(tmp_path):
    from openscope.errors import InputError

    spec = compile_gitignore(["*.log", "\\", "!", "# comment", "   ", "build/"])
    assert spec.match_file("a.log") and spec.match_file("build/x.py") and not spec.match_file("a.py")
    (tmp_path / ".gitignore").write_text("\\\n!\n*.tmp\n")
    ignore = IgnoreFile.read(tmp_path / ".gitignore", tmp_path)
    assert ignore.match(tmp_path / "x.tmp", False) is True and ignore.match(tmp_path / "x.py", False) is None
    with pytest.raises(InputError, match="invalid pattern"):
        compile_gitignore(["ok/", "!"], strict=True, source="--exclude")


# -- the unified diff parser -----------------------------------------------------------------------

def test_unified_diff_parser_reads_added_lines_only():
    diff = "\n".join([
        "diff --git a/app.py b/app.py",
        "index 1..2 100644",
        "--- a/app.py",
        "+++ b/app.py",
        "@@ -3,0 +4,2 @@ def f():",
        "+++ not a header: an added line starting with '++'",
        "+second",
        "@@ -10 +12 @@",
        "-old",
        "+new",
        "@@ -20,3 +21,0 @@",
        "-gone",
        "diff --git a/gone.py b/gone.py",
        "deleted file mode 100644",
        "--- a/gone.py",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-x",
        "diff --git a/dir/new file.py b/dir/new file.py",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/dir/new file.py",
        "@@ -0,0 +1 @@",
        "+content",
    ])
    top = Path("/repo")
    assert parse_unified_diff(diff, top) == {top / "app.py": {4, 5, 12}, top / "dir/new file.py": {1}}


def test_patterns_file_is_well_formed():
    registry = load_registry()
    usages = {"hub"} | set(registry.providers) | set(registry.local_runtimes)
    for rule in PATTERNS["calls"]:
        assert set(rule) <= {"callee", "receiver", "qualified", "via", "args", "keywords", "revision", "usage",
                             "base_url", "not_if", "prefixes"}, rule
        assert rule.get("args") or rule.get("keywords"), rule
        for action in (rule.get("prefixes") or {}).values():
            assert action in ("strip", "sentence-transformers"), rule
        assert rule.get("usage") is None or rule["usage"] in usages, rule
        assert set(rule.get("via", ())) <= usages, rule
    for client in PATTERNS["clients"]:
        assert client["provider"] in usages, client
    assert set(PATTERNS["provider_hosts"].values()) <= usages
    assert set(PATTERNS["litellm_providers"].values()) <= usages
    for command in PATTERNS["commands"]:
        assert command.get("usage") is None or command["usage"] in usages, command
    keys = PATTERNS["keys"]
    assert all(w == w.lower() for group in ("model_words", "not_model_words", "names") for w in keys[group])


def test_symlinked_directory_is_not_followed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.py").write_text("x = 1\n")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    walked = _walk_tree(tmp_path, set(), "pyvenv.cfg")
    assert [p.relative_to(tmp_path).as_posix() for p in walked.files] == ["real/a.py"]
    assert walked.symlinked_dirs == 1


# -- .env, Dockerfile, shell scripts and command lines ----------------------------------------------

def test_dotenv_lines():
    from openscope.scan.envfiles import scan_dotenv

    text = ("# comment MODEL=org/commented\nLLM_MODEL=org/plain\nexport EMBEDDING_MODEL='org/quoted' # note\n"
            'OLLAMA_MODEL="llama3.1:8b"\nMODEL_DIR=/models\nAPI_KEY=sk-1\nCHAT_MODEL=${CHAT_MODEL}\nbroken line\n')
    out = scan_dotenv(text, RULES.commands)
    assert [(c.text, c.line, c.hint) for c in out.candidates] == [
        ("org/plain", 2, None), ("org/quoted", 3, None), ("llama3.1:8b", 4, "ollama")]
    assert [(u.line, u.reason) for u in out.unresolved] == [
        (7, "CHAT_MODEL: value is a template or variable, not a literal")]


def test_dockerfile_instructions():
    from openscope.scan.envfiles import scan_dockerfile

    text = "\n".join([
        "FROM ollama/ollama:latest AS base",                       # 1: an image
        "ARG BASE_MODEL=org/arg",                                  # 2
        "ENV MODEL_ID=org/env \\",                                 # 3
        "    # a comment inside the instruction",                  # 4
        "    TOKENIZER=org/tokenizer",                             # 5
        "ENV LEGACY_MODEL org/legacy",                             # 6
        "RUN pip install x && \\",                                 # 7
        "    huggingface-cli download org/downloaded --local-dir /m",  # 8
        'CMD ["vllm", "serve", "org/served", "--served-model-name", "alias"]',  # 9
        "ENTRYPOINT ollama run llama3.2:3b",                       # 10
    ]) + "\n"
    out = scan_dockerfile(text, RULES.commands)
    assert [(c.text, c.line) for c in out.candidates] == [
        ("org/arg", 2), ("org/env", 3), ("org/tokenizer", 5), ("org/legacy", 6), ("org/downloaded", 8),
        ("org/served", 9), ("llama3.2:3b", 10)]
    assert {c.text: c.hint for c in out.candidates}["llama3.2:3b"] == "ollama"


def test_command_lines():
    from openscope.scan.candidates import Extraction
    from openscope.scan.commands import split_commands

    assert split_commands("a 'b c' \"d\"\\\n  e && f;g | h # comment\ni") == [
        [("a", 1), ("b c", 1), ("d", 1), ("e", 2)], [("f", 2)], [("g", 2)], [("h", 2)], [("i", 3)]]
    assert split_commands("unbalanced 'quote") == [[("unbalanced", 1), ("quote", 1)]]
    out = Extraction()
    RULES.commands.scan_text(
        "MODEL_ID=org/prefix python train.py --model_name_or_path org/flag --output_dir out\n"
        "python -m vllm.entrypoints.openai.api_server --model=org/equals --served-model-name gpt-4o\n"
        "hf download org/dataset --repo-type dataset\n"
        "llama-server -hf org/gguf-repo --port 8080\n"
        "text-generation-launcher --model-id $MODEL_ID\n", 1, out)
    assert [(c.text, c.line) for c in out.candidates] == [
        ("org/prefix", 1), ("org/flag", 1), ("org/equals", 2), ("org/gguf-repo", 4)]
    assert [(u.line, u.reason) for u in out.unresolved] == [
        (5, "--model-id: value is a template or variable, not a literal")]
    assert out.dropped == 1  # the dataset download


@pytest.mark.parametrize("kind,text", [
    ("python", "x = (" * 200 + ")" * 200),
    ("python", "MODEL = " + " + ".join(['"a"'] * 3000)),
    ("config.json", "[" * 50000 + "]" * 50000),
    ("config.yaml", "model: [" * 3000 + "]" * 3000),
    ("dotenv", "\x01\x02MODEL==\n=\n"),
    ("dockerfile", "ENV\nCMD [\nRUN '\nARG =\n"),
    ("shell", "'\"\\"),
])
def test_odd_input_never_raises(kind, text):
    from openscope.scan.envfiles import scan_dockerfile, scan_dotenv

    if kind == "python":
        out = scan_python(text, RULES)
    elif kind == "config.json":
        out = scan_json(text, RULES)
    elif kind == "config.yaml":
        out = scan_yaml(text, RULES)
    elif kind == "dotenv":
        out = scan_dotenv(text, RULES.commands)
    elif kind == "dockerfile":
        out = scan_dockerfile(text, RULES.commands)
    else:
        from openscope.scan.candidates import Extraction

        out = Extraction()
        RULES.commands.scan_text(text, 1, out)
    assert out.file_problem is None or out.file_problem.startswith("not ")
