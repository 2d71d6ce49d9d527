"""The scan's parts one by one: call patterns, constants, decoys, configs, notebooks, manifests,
the .gitignore reader and the diff parser. Inputs are short texts written for these tests."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from openscope.registry import Registry
from openscope.scan.candidates import Candidate, load_patterns
from openscope.scan.configs import loads_with_positions, scan_json, scan_yaml
from openscope.scan.gitdiff import parse_unified_diff
from openscope.scan.manifest import scan_manifest, scan_toml
from openscope.scan.notebook import scan_notebook
from openscope.scan.python_ast import CallRules, scan_python
from openscope.scan.resolve import CandidateResolver
from openscope.scan.walk import _walk_tree, parse_ignore_line

PATTERNS = load_patterns()
RULES = CallRules(PATTERNS["calls"], PATTERNS["litellm_providers"])
KEYS = frozenset(PATTERNS["config_keys"])


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
    ('litellm.completion(model="openai/gpt-4o", messages=m)', "gpt-4o"),
    ('completion(model="anthropic/claude-x")', "claude-x"),
    ('litellm.completion(model="huggingface/org/hosted")', "org/hosted"),
    ('litellm.completion(model="gpt-4o")', "gpt-4o"),
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
    'headers = {"Content-Type": "application/json", "model": "org/in-a-dict"}',
    'create(model="org/x")',                          # too short a callee: `create` alone is no pattern
    '"""Docstring: SentenceTransformer("org/doc")."""',
    '# AutoModel.from_pretrained("org/comment")',
])
def test_not_a_model_slot(code):
    assert found(code + "\n") == []
    assert unresolved(code + "\n") == []


def test_litellm_prefixes_unknown_kept_local_runtimes_skipped():
    assert found('litellm.completion(model="newprovider/some-model")\n') == [("newprovider/some-model", 1)]
    assert unresolved('litellm.completion(model="ollama/llama3")\n') == [
        (1, "litellm provider 'ollama' serves local models, not a Hub id or API model")]


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
    out = scan_python("def broken(:\n    pass\n", RULES)
    assert out.file_problem.startswith("not parseable Python")
    assert "line 1" in out.file_problem
    assert scan_python(b"x = 1\x00\n", RULES).file_problem.startswith("not parseable Python")


def test_source_encoding_cookie_is_honoured():
    source = '# -*- coding: latin-1 -*-\nname = "caf\xe9"\nAutoModel.from_pretrained("org/enc")\n'.encode("latin-1")
    assert [(c.text, c.line) for c in scan_python(source, RULES).candidates] == [("org/enc", 3)]


# -- decoys and resolution -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def resolver():
    registry = Registry([{"id": "openai-community/gpt2"}, {"id": "gpt2"}],
                        {"openai": {"names": ["gpt-4o"]}, "anthropic": {"patterns": ["claude-[a-z0-9.-]+"]}})
    return CandidateResolver(PATTERNS["not_references"], registry)


@pytest.mark.parametrize("text", [
    "application/json", "text/plain", "image/png", "model/gltf+json", "./checkpoints/best", "/abs/model",
    "~/models/x", "C:\\models\\x", "a/b/c", "https://huggingface.co/org/name", "www.example.com",
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
])
def test_references_resolve_through_parse_ref(resolver, text, kind, model_id, revision, provider):
    ref = resolver.resolve(Candidate(text, 1), Path("."))
    assert (ref.kind, ref.id, ref.revision, ref.provider) == (kind, model_id, revision, provider)


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
            "run:\n  <<: *d\n  Model_Name: org/upper-key\n  models: org/not-a-listed-key\n"
            "list:\n  - model_id: org/in-list\n  - repo_id:\n      - org/seq-a\n      - org/seq-b\n"
            "typed:\n  model: 123\n  model_id: true\n  model_name: null\n"
            "tagged: !Ref\n  model: org/custom-tag\n")
    out = scan_yaml(text, KEYS)
    assert out.file_problem is None
    assert [(c.text, c.line) for c in out.candidates] == [
        ("org/anchored", 2), ("org/upper-key", 5), ("org/in-list", 8), ("org/seq-a", 10), ("org/seq-b", 11),
        ("org/custom-tag", 17)]


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


def test_ignore_line_parsing_edge_cases():
    assert parse_ignore_line("# comment") is None
    assert parse_ignore_line("   ") is None
    assert parse_ignore_line("/") is None
    rule = parse_ignore_line("!logs/")
    assert rule.negate and rule.dir_only and not rule.anchored


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
    for rule in PATTERNS["calls"]:
        assert set(rule) <= {"callee", "receiver", "args", "keywords", "revision", "prefixes"}, rule
        assert rule.get("args") or rule.get("keywords"), rule
        for action in (rule.get("prefixes") or {}).values():
            assert action in ("strip", "litellm"), rule
    assert set(PATTERNS["litellm_providers"].values()) <= {"api", "hub", "local"}
    assert all(k == k.lower() for k in PATTERNS["config_keys"])


def test_symlinked_directory_is_not_followed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.py").write_text("x = 1\n")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    walked = _walk_tree(tmp_path, set(), "pyvenv.cfg")
    assert [p.relative_to(tmp_path).as_posix() for p in walked.files] == ["real/a.py"]
    assert walked.symlinked_dirs == 1
