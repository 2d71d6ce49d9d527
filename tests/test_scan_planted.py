"""`scan` over tests/fixtures/planted_app: a small support-assistant repository written the way teams
write them (settings classes, CLIs, clients for a dozen providers, raw HTTP, .env, Dockerfile,
docker-compose, CI, shell scripts, litellm and app configs, a notebook, manifests).

Every planted reference must be found at its exact line with the right kind, id and provider; nothing
else may be reported (the decoys: datasets, GitHub repos, Docker images, paths, URLs, Spaces and
datasets passed with repo_type, served-model aliases, prose in docs); and every string that looks
like a reference but cannot be resolved must be listed under `skipped` with its reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openscope.scan import collect_refs

APP = Path(__file__).parent / "fixtures" / "planted_app"

# (kind, id, revision, provider) -> every (file, line) where it was planted.
PLANTED = {
    # -- hosted APIs: the client, host, prefix or key says the provider ----------------------------
    ("api", "gpt-4o", None, "openai"): [("app/settings.py", 10)],                      # pydantic-settings field
    ("api", "gpt-4o-mini", None, "openai"): [
        (".env.example", 3),                                                             # .env
        ("app/cli.py", 12), ("app/cli.py", 13),                                          # argparse default, choices
        ("app/llm.py", 22),                                                              # os.getenv default
        ("app/llm.py", 37)],                                                             # default argument = constant
    ("api", "gpt-4.1", None, "openai"): [("app/cli.py", 13)],                          # argparse choices
    ("api", "gpt-4.1-mini", None, "openai"): [(".github/workflows/eval.yml", 15)],     # CI run: --judge-model
    ("api", "text-embedding-3-large", None, "openai"): [("configs/models.json", 3)],   # JSON embedding_model
    ("api", "claude-3-5-sonnet-20241022", None, "anthropic"): [("configs/models.json", 2)],  # JSON default_model
    ("api", "claude-3-5-haiku-20241022", None, "anthropic"): [
        ("app/llm.py", 79),                                                              # Anthropic().messages
        ("app/settings.py", 12)],                                                        # Field("...")
    ("api", "support-gpt4o", None, "azure-openai"): [
        (".env.example", 8),                                                             # AZURE_OPENAI_DEPLOYMENT
        ("app/llm.py", 58)],                                                             # AzureOpenAI client
    ("api", "llama-3.1-8b-instant", None, "groq"): [
        ("app/llm.py", 42),                                                              # Groq client
        ("configs/app.yaml", 4)],                                                        # provider: groq
    ("api", "llama-3.3-70b-versatile", None, "groq"): [
        (".env.example", 6),                                                             # GROQ_MODEL
        ("app/llm.py", 117)],                                                            # pydantic-ai "groq:..."
    ("api", "llama3-70b-8192", None, "groq"): [("app/llm.py", 113)],                   # litellm groq/...
    ("api", "mixtral-8x7b-32768", None, "groq"): [("app/llm.py", 118)],                # ChatGroq
    ("api", "gemma2-9b-it", None, "groq"): [("app/llm.py", 109)],                      # raw HTTP to api.groq.com
    ("api", "meta-llama/Llama-3.3-70B-Instruct-Turbo", None, "together"): [
        ("app/llm.py", 47),                                                              # OpenAI(base_url=together)
        ("configs/litellm.yaml", 5)],                                                    # together_ai/...
    ("api", "accounts/fireworks/models/llama-v3p1-8b-instruct", None, "fireworks"): [("configs/litellm.yaml", 9)],
    ("api", "kimi-k2-0711-preview", None, "moonshot"): [("app/llm.py", 54)],           # OpenAI(base_url=moonshot)
    ("api", "deepseek-chat", None, "deepseek"): [("app/llm.py", 104)],                 # raw HTTP payload variable
    ("api", "command-r", None, "cohere"): [("app/llm.py", 62)],                        # co.chat(...)
    ("api", "rerank-v3.5", None, "cohere"): [("app/llm.py", 66)],                      # co.rerank(...)
    ("api", "meta.llama3-1-8b-instruct-v1:0", None, "bedrock"): [("app/llm.py", 70)],  # bedrock.converse(modelId)
    ("api", "anthropic.claude-3-haiku-20240307-v1:0", None, "bedrock"): [("app/llm.py", 74)],  # AnthropicBedrock
    ("api", "anthropic.claude-3-5-sonnet-20241022-v2:0", None, "bedrock"): [("configs/models.json", 5)],  # modelId
    ("api", "gemini-1.5-pro-002", None, "vertex"): [("app/llm.py", 83)],               # vertexai GenerativeModel
    ("api", "gemini-2.0-flash-001", None, "vertex"): [("app/llm.py", 88)],             # genai.Client(vertexai=True)
    ("api", "mistral-large-latest", None, "mistral"): [("app/llm.py", 92)],            # Mistral().chat.complete
    ("api", "open-mistral-nemo", None, "mistral"): [("app/llm.py", 120)],              # ChatMistralAI
    ("api", "mistral-small-latest", None, "mistral"): [("app/settings.py", 22)],       # default_factory lambda
    # -- Hub models ---------------------------------------------------------------------------------
    ("hub", "BAAI/bge-small-en-v1.5", None, None): [(".env.example", 4), ("app/settings.py", 11)],
    ("hub", "cross-encoder/ms-marco-MiniLM-L-6-v2", None, None): [(".env.example", 7)],  # quoted, with a comment
    ("hub", "mistralai/Mistral-7B-Instruct-v0.3", None, None): [
        ("Dockerfile", 4),                                                               # ARG
        ("configs/app.yaml", 19)],                                                       # Ollama `mistral`
    ("hub", "mistralai/Mistral-7B-Instruct-v0.3", "main", None): [("deploy/approved.txt", 2)],  # Hub URL /tree/main
    ("hub", "Qwen/Qwen2.5-7B-Instruct", None, None): [
        ("Dockerfile", 5), ("Dockerfile", 8),                                            # ENV (both forms)
        ("app/cli.py", 30),                                                              # typer, Ollama name
        ("docker-compose.yml", 16)],                                                     # `ollama pull qwen2.5:7b`
    ("hub", "google/gemma-2-2b-it", None, None): [
        ("Dockerfile", 11),                                                              # RUN huggingface-cli download
        ("app/llm.py", 100)],                                                            # raw HTTP to Ollama
    ("hub", "microsoft/Phi-3-mini-4k-instruct", None, None): [
        ("Dockerfile", 16),                                                              # CMD exec form --model
        ("scripts/serve.sh", 8)],                                                        # ollama run phi3:mini
    ("hub", "meta-llama/Llama-3.1-8B-Instruct", None, None): [
        (".env.example", 5),                                                             # OLLAMA_MODEL=llama3.1:8b
        ("docker-compose.yml", 4),                                                       # command: [--model, ...]
        ("docker-compose.yml", 7)],                                                      # environment list
    ("hub", "HuggingFaceTB/SmolLM2-1.7B-Instruct", None, None): [("docker-compose.yml", 12)],  # --model-id
    ("hub", "nomic-ai/nomic-embed-text-v1.5", None, None): [("docker-compose.yml", 21)],     # environment mapping
    ("hub", "BAAI/bge-reranker-base", None, None): [
        ("app/settings.py", 20),                                                         # dataclass field
        ("docker-compose.yml", 22)],                                                     # ${VAR:-default}
    ("hub", "sentence-transformers/all-mpnet-base-v2", "main", None): [("configs/app.yaml", 9)],  # nested + revision
    ("hub", "BAAI/bge-reranker-v2-m3", None, None): [("configs/app.yaml", 15)],
    ("hub", "meta-llama/Meta-Llama-3-8B-Instruct", None, None): [
        ("app/llm.py", 114),                                                             # litellm ollama/llama3
        ("configs/litellm.yaml", 12)],
    ("hub", "google/gemma-2-9b-it", None, None): [(".github/workflows/eval.yml", 8)],  # CI matrix
    ("hub", "Qwen/Qwen2.5-1.5B-Instruct", None, None): [(".github/workflows/eval.yml", 8)],
    ("hub", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", None, None): [("scripts/serve.sh", 5)],  # export ${X:-default}
    ("hub", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", None, None): [
        ("app/llm.py", 119),                                                             # ChatOllama deepseek-r1:7b
        ("scripts/serve.sh", 6)],                                                        # vllm serve
    ("hub", "bartowski/Llama-3.2-3B-Instruct-GGUF", None, None): [("scripts/serve.sh", 9)],  # llama-server -hf
    ("hub", "BAAI/bge-large-en-v1.5", None, None): [("scripts/serve.sh", 10)],         # docker run ... --model-id
    ("hub", "meta-llama/Llama-3.2-3B-Instruct", None, None): [
        ("app/cli.py", 11),                                                              # argparse default
        ("app/llm.py", 96)],                                                             # ollama.chat llama3.2:3b
    ("hub", "intfloat/e5-small-v2", None, None): [("app/cli.py", 20)],                 # click option
    ("hub", "mistralai/Mistral-Nemo-Instruct-2407", None, None): [("app/registry.py", 6)],  # MODELS = {...}
    ("hub", "Qwen/Qwen2.5-Coder-7B-Instruct", None, None): [("app/registry.py", 7)],
    ("hub", "meta-llama/Llama-3.2-11B-Vision-Instruct", None, None): [("app/registry.py", 8)],  # {"name": ...}
    ("hub", "intfloat/multilingual-e5-large", None, None): [("app/registry.py", 10)],  # EMBEDDING_MODELS = [...]
    ("hub", "sentence-transformers/all-MiniLM-L6-v2", None, None): [("app/registry.py", 10)],  # bare ST name
    ("hub", "sentence-transformers/all-mpnet-base-v2", None, None): [
        ("app/rag.py", 8),                                                               # SentenceTransformer("...")
        ("app/registry.py", 15)],                                                        # def f(model_name="...")
    ("hub", "HuggingFaceH4/zephyr-7b-beta", None, None): [("app/registry.py", 20)],    # def get_default_model()
    ("hub", "distilbert/distilbert-base-uncased-finetuned-sst-2-english", None, None): [("app/rag.py", 9)],
    ("hub", "google-bert/bert-base-uncased", "v1.0", None): [("app/rag.py", 10)],
    ("hub", "allenai/OLMo-2-1124-7B-Instruct", None, None): [("app/rag.py", 12)],      # multi-line call
    ("hub", "TheBloke/Mistral-7B-Instruct-v0.2-GGUF", None, None): [("app/rag.py", 19)],
    ("hub", "Qwen/Qwen2.5-0.5B-Instruct", "main", None): [("app/rag.py", 21)],         # Hub URL /resolve/main/...
    ("hub", "meta-llama/Llama-3.1-8B", None, None): [("app/experimental.py", 6)],      # ignore[user-cap]: kept
    ("hub", "Qwen/Qwen2.5-72B-Instruct", None, None): [
        ("notebooks/compare.ipynb", 18), ("notebooks/compare.ipynb", 36)],               # constant and its use
    ("hub", "HuggingFaceTB/SmolLM2-360M-Instruct", None, None): [("notebooks/compare.ipynb", 37)],
    ("hub", "EleutherAI/pythia-410m", None, None): [("pyproject.toml", 9)],            # [tool.openscope] models
    ("hub", "google/gemma-3-4b-it", None, None): [("deploy/approved.txt", 3)],         # ollama:gemma3:4b
}

# Seen, looks like a reference, not resolvable: listed with the reason (path, line, start of reason).
EXPECTED_SKIPPED = {
    (".github/workflows/eval.yml", 15, "--model: value is a template or variable"),
    ("app/experimental.py", 5, "suppressed by '# openscope: ignore' (acme/legacy-intent-model)"),
    ("app/llm.py", 38, "argument is not a string literal (variable 'model')"),
    ("app/registry.py", 16, "argument is not a string literal (variable 'model_name')"),
    ("configs/app.yaml", 34, "repo_id 'acme/helpdesk-exports' is not known as a model"),
    ("configs/litellm.yaml", 3, "unknown model name: 'support-chat'"),  # a proxy alias, not a model
    ("docker-compose.yml", 23, "value is a template or variable"),
}

# Strings in the fixture that are not models: none may be reported, as a model or in a reason.
DECOYS = [
    "HuggingFaceH4/ultrachat_200k", "tatsu-lab/alpaca", "openai/gsm8k", "acme/support-faq",   # datasets
    "octocat/hello-world", "acme/helpdesk-ai", "gradio/hello_world", "acme/helpdesk-demo",   # GitHub repos, Spaces
    "vllm/vllm-openai", "ollama/ollama", "text-generation-inference", "redis:7-alpine",      # Docker images
    "ghcr.io/acme/helpdesk", "./artifacts/intent-classifier", "/srv/models", "/var/cache/models",  # paths
    "https://help.example.com", "https://api.openai.com/v1", "squad", "acme/help-centre-dump",
    "Llama-3.1-70B-Instruct",  # named only in README prose
    "vendor-org/never-reported", "backup-org/never-reported", "markdown-org/not-a-ref",  # excluded, markdown
    "ignored-org/secret",  # in the gitignored .env that the tests add
    "intent-model/v3", "models/helpdesk-intent-v2", "adapters/support-lora", "checkpoints/run-7",  # local folders
]


def _found(result) -> dict:
    return {(r.kind, r.id, r.revision, r.provider): [(loc.path, loc.line) for loc in r.locations] for r in result.refs}


def _copy(tmp_path: Path, *, git: bool) -> Path:
    root = tmp_path / "app"
    shutil.copytree(APP, root)
    # What a developer has locally but never commits: the real .env, ignored by .gitignore.
    (root / ".env").write_text("LLM_MODEL=ignored-org/secret\n", encoding="utf-8")
    if git:
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
        for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "app"]):
            subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)
    return root


@pytest.fixture(scope="module", params=["plain", "git"])
def scanned(request, tmp_path_factory):
    root = _copy(tmp_path_factory.mktemp(request.param), git=request.param == "git")
    return root, collect_refs([root], base=root)


def test_the_fixture_plants_at_least_sixty_references():
    assert sum(len(places) for places in PLANTED.values()) >= 60
    assert len({(path, line) for places in PLANTED.values() for path, line in places}) >= 60


def test_every_planted_reference_is_found_at_its_line_and_nothing_else(scanned):
    _, result = scanned
    found = _found(result)
    missing = {k: v for k, v in PLANTED.items() if found.get(k) != v}
    extra = {k: v for k, v in found.items() if k not in PLANTED}
    assert not missing and not extra, f"missing or misplaced: {missing}\nnot planted: {extra}"


def test_every_unresolved_reference_is_listed_with_its_reason(scanned):
    _, result = scanned
    skipped = {(s.path, s.line, s.reason) for s in result.skipped}
    for path, line, start in EXPECTED_SKIPPED:
        assert any(p == path and n == line and r.startswith(start) for p, n, r in skipped), (path, line, start)
    assert len(skipped) == len(EXPECTED_SKIPPED), sorted(skipped)


def test_no_decoy_surfaces(scanned):
    _, result = scanned
    text = "\n".join(f"{r.raw}\n{r.id}" for r in result.refs) + "\n".join(s.reason for s in result.skipped)
    for decoy in DECOYS:
        assert decoy not in text, decoy
    paths = {loc.path for r in result.refs for loc in r.locations} | {s.path for s in result.skipped}
    assert not paths & {"README.md", "docs/evaluation.md", "vendor/old_client.py", "app/old.bak.py", ".env"}


def test_stats_count_suppressed_excluded_and_dropped(scanned):
    _, result = scanned
    stats = result.stats
    assert stats["refs_found"] == len(PLANTED)
    assert stats["occurrences"] == sum(len(v) for v in PLANTED.values())
    assert stats["refs_suppressed"] == 1
    assert stats["files_excluded"] == 2  # vendor/ and *.bak.py, from [tool.openscope] exclude
    assert stats["refs_unresolved"] == len(EXPECTED_SKIPPED) - 1  # the suppressed one is counted apart
    assert stats["strings_ignored"] >= 8  # paths, URLs, datasets, git repos: seen and dropped


def test_a_qualified_ignore_is_recorded_on_the_location(scanned):
    _, result = scanned
    base = next(r for r in result.refs if r.id == "meta-llama/Llama-3.1-8B")
    assert [(loc.path, loc.line, loc.ignore) for loc in base.locations] == [("app/experimental.py", 6, ["user-cap"])]
    others = [loc for r in result.refs if r is not base for loc in r.locations]
    assert all(loc.ignore == [] for loc in others)


def test_usage_decides_what_a_name_is(scanned):
    """command-r through a Cohere client is Cohere's API model; Llama weights reached through Groq,
    Together or Bedrock are those providers' API models; through Ollama or vLLM they are Hub models."""
    _, result = scanned
    by_place = {(loc.path, loc.line): r for r in result.refs for loc in r.locations}
    command_r = by_place[("app/llm.py", 62)]
    assert (command_r.kind, command_r.id, command_r.provider) == ("api", "command-r", "cohere")
    assert by_place[("app/llm.py", 42)].provider == "groq"
    assert by_place[("app/llm.py", 70)].provider == "bedrock"
    assert by_place[("app/llm.py", 96)].kind == "hub"  # ollama.chat(model="llama3.2:3b")
    assert by_place[("scripts/serve.sh", 6)].kind == "hub"  # vllm serve


def test_exclude_option_adds_to_the_policy_table(tmp_path):
    root = _copy(tmp_path, git=False)
    result = collect_refs([root], base=root, exclude=["scripts/", "*.ipynb"])
    paths = {loc.path for r in result.refs for loc in r.locations}
    assert not any(p.startswith("scripts/") or p.endswith(".ipynb") for p in paths)
    assert result.stats["files_excluded"] == 4
    named = collect_refs([root / "vendor" / "old_client.py"], base=root, policy_file=root / "pyproject.toml")
    assert named.refs == [] and [s.reason for s in named.skipped] == ["excluded by pyproject.toml: exclude"]


def test_a_bad_exclude_pattern_is_an_input_error(tmp_path):
    from openscope.errors import InputError

    root = _copy(tmp_path, git=False)
    with pytest.raises(InputError, match="invalid pattern"):
        collect_refs([root], base=root, exclude=["!"])
    (root / "pyproject.toml").write_text('[tool.openscope]\nexclude = "vendor/"\n', encoding="utf-8")
    with pytest.raises(InputError, match="tool.openscope.exclude"):
        collect_refs([root], base=root)


@pytest.mark.slow
def test_cli_scan_of_the_fixture(tmp_path):
    root = _copy(tmp_path, git=False)
    proc = subprocess.run([sys.executable, "-m", "openscope", "scan", str(root), "--offline", "-f", "json",
                           "--exclude", "notebooks/"], capture_output=True, text=True, cwd=root)
    assert proc.returncode in (0, 3), proc.stderr  # 3: some planted Hub ids are not in the offline snapshot
    report = json.loads(proc.stdout)
    ids = {m["id"] for m in report["models"]}
    assert "cohere:command-r" in ids and "groq:llama-3.1-8b-instant" in ids
    assert not any(loc["path"].startswith("notebooks/") for m in report["models"] for loc in m["locations"])
    ignored = [loc for m in report["models"] for loc in m["locations"] if "ignore" in loc]
    assert ignored == [{"path": "app/experimental.py", "line": 6, "ignore": ["user-cap"]}]
    assert {(s["path"], s["line"]) for s in report["skipped"]} >= {("configs/app.yaml", 34), ("app/llm.py", 38)}


def test_check_reads_exclude_from_the_policy_it_applies(tmp_path, monkeypatch):
    from openscope.api import check

    root = _copy(tmp_path, git=False)
    policy = root / "policy" / "openscope.toml"
    policy.parent.mkdir()
    policy.write_text('exclude = ["/*.py"]\nunknown = "warn"\n', encoding="utf-8")  # relative to policy/
    (root / "policy" / "tool.py").write_text('AutoModel.from_pretrained("policy-org/excluded")\n', encoding="utf-8")
    monkeypatch.chdir(root)
    report = check(["."], policy_path=str(policy), offline=True, exclude=["scripts/"])
    paths = {loc.path for m in report.models for loc in m.locations}
    assert paths and not any(p.startswith(("policy/", "scripts/", "vendor/")) for p in paths)


@pytest.mark.skipif(sys.platform != "linux", reason="fork workers are used on Linux only")
def test_fork_workers_give_the_same_result(tmp_path):
    from openscope.scan.scanner import Scanner

    root = _copy(tmp_path, git=False)

    def scan(**options):
        scanner = Scanner(root, **options)
        scanner.read_excludes(root)
        scanner.scan_root(root)
        return scanner.result()

    alone, together = scan(workers=1), scan(workers=2, parallel_min=1)
    assert (alone.refs, alone.skipped, alone.stats) == (together.refs, together.skipped, together.stats)
    assert _found(together) == PLANTED
