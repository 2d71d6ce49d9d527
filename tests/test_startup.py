"""Start-up: one spaCy pipeline per process, built in one place, and none at all when the reading
cache answers."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "openscope"

PROBE = """
import sys
from openscope.cli import cli
try:
    cli(["license", "-f", "json", sys.argv[1]])
except SystemExit:
    pass
print("spacy-imported" if "spacy" in sys.modules else "spacy-not-imported", file=sys.stderr)
"""


def test_spacy_pipelines_are_built_in_text_sentences_only():
    builders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("blank", "load") \
                    and isinstance(node.value, ast.Name) and node.value.id == "spacy":
                builders.append(path.relative_to(PACKAGE).as_posix())
    assert builders == ["text/sentences.py"]


def test_warm_run_never_imports_spacy(tmp_path):
    terms = tmp_path / "TERMS.txt"
    terms.write_text("You may not use the model for any commercial purpose.\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "OPENSCOPE_NO_CACHE"}
    env["OPENSCOPE_CACHE"] = str(tmp_path / "cache")

    def run() -> tuple[str, str]:
        result = subprocess.run([sys.executable, "-c", PROBE, str(terms)], env=env, capture_output=True, text=True)
        return result.stdout, result.stderr.strip().splitlines()[-1]

    cold_out, cold = run()
    warm_out, warm = run()
    assert (cold, warm) == ("spacy-imported", "spacy-not-imported")
    assert cold_out == warm_out and "non-commercial" in cold_out


# What a cold offline audit of one registry model must not load (issue 17: its start-up target). Each of
# these was imported by it once, or is a heavy dependency that only other paths need.
NOT_FOR_A_REGISTRY_AUDIT = (
    # third-party: text reading, the live Hub, progress bars, schema, YAML (the data index answers)
    "spacy", "sklearn", "numpy", "huggingface_hub", "httpx", "requests", "rich", "pydantic", "yaml", "pathspec",
    # openscope: other commands, the license and card readers a registry entry does not need, renderers
    "openscope.cli.bulk", "openscope.cli.check", "openscope.cli.diff", "openscope.cli.init",
    "openscope.cli.license", "openscope.cli.notice", "openscope.cli.registry", "openscope.cli.scan",
    "openscope.cli.schema", "openscope.license.obligations", "openscope.license.clauses",
    "openscope.license.identify", "openscope.license.rules", "openscope.text.markup", "openscope.text.tfidf",
    "openscope.card.terms", "openscope.card.release", "openscope.render.table", "openscope.render.markdown",
    "openscope.render.sarif", "openscope.render.cyclonedx", "openscope.policy", "openscope.scan",
    "difflib",  # (click imports it itself to parse a short option such as -f: the probe spells --format)
)

LEAN_PROBE = """
import sys
from openscope.cli import cli
code = None
try:
    cli(["audit", "meta-llama/Llama-3.1-8B-Instruct", "--offline", "--format", "json"])
except SystemExit as exc:
    code = exc.code
print(code, file=sys.stderr)
print("imported:", *sorted(m for m in sys.modules if m in set(sys.argv[1:]) or m.split(".")[0] in set(sys.argv[1:])))
"""


def test_offline_audit_of_a_registry_model_stays_lean(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HF_ENDPOINT"}
    env["OPENSCOPE_CACHE"] = str(tmp_path / "cache")  # nothing cached: the registry snapshot answers
    result = subprocess.run([sys.executable, "-c", LEAN_PROBE, *NOT_FOR_A_REGISTRY_AUDIT], env=env,
                            capture_output=True, text=True, cwd=PACKAGE.parents[1])
    assert result.stderr.strip().splitlines()[-1] == "0", result.stderr
    assert '"id": "meta-llama/Llama-3.1-8B-Instruct"' in result.stdout
    imported = result.stdout.strip().splitlines()[-1]
    assert imported == "imported:", f"an offline audit of a registry model {imported}"


def test_version_imports_no_command():
    probe = ("import sys\nfrom openscope.cli import cli\ntry:\n    cli(['--version'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('openscope.') and m not in "
             "('openscope._version', 'openscope.cli')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


# What `check` of a repository holding only a models.txt, under the built-in policy, must not load:
# pydantic validates user policy files only, and each scan reader is imported for its own kind of file.
NOT_FOR_A_DEFAULT_POLICY_CHECK = ("pydantic", "openscope.scan.python_ast", "openscope.scan.notebook",
                                  "openscope.scan.configs", "openscope.scan.envfiles")

CHECK_PROBE = """
import sys
from openscope.cli import cli
try:
    cli(["check", "--offline"])
except SystemExit as exc:
    print("exit", exc.code, file=sys.stderr)
print("imported:", *sorted(m for m in sys.modules if m in set(sys.argv[1:])))
"""


def test_check_with_the_built_in_policy_imports_no_validator_and_no_unused_reader(tmp_path):
    (tmp_path / "models.txt").write_text("meta-llama/Llama-3.1-8B-Instruct\nallenai/OLMo-2-1124-7B\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "HF_ENDPOINT"}
    env["OPENSCOPE_CACHE"] = str(tmp_path / "cache")
    result = subprocess.run([sys.executable, "-c", CHECK_PROBE, *NOT_FOR_A_DEFAULT_POLICY_CHECK], env=env,
                            capture_output=True, text=True, cwd=tmp_path)
    assert "meta-llama/Llama-3.1-8B-Instruct" in result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "imported:", result.stdout


# What a second `check --offline` of an unchanged repository must not load: the audit's report is remembered
# (memo.py), so nothing of the assessment chain, the catalog, the card readers or the fact sources runs, and
# the shipped default policy comes from the data index (no TOML parser).
NOT_FOR_A_WARM_CHECK = (*NOT_FOR_A_DEFAULT_POLICY_CHECK, "tomllib", "yaml", "spacy", "huggingface_hub", "rich",
                        "concurrent.futures", "openscope.assess", "openscope.catalog", "openscope.card",
                        "openscope.sources.hub", "openscope.sources.registry", "openscope.license.known",
                        "openscope.scan.commands")

WARM_CHECK_PROBE = """
import sys
from openscope.cli import cli
try:
    cli(["check", "--offline"])
except SystemExit as exc:
    print("exit", exc.code, file=sys.stderr)
wanted = set(sys.argv[1:])
print("imported:", *sorted(m for m in sys.modules if m in wanted or m.split(".")[0] in wanted
                           or any(m.startswith(w + ".") for w in wanted)))
"""


def _check_twice(folder: Path, env: dict, modules=NOT_FOR_A_WARM_CHECK) -> list[tuple[str, str, str]]:
    """(report, stderr, modules imported) of a cold and then a warm `check --offline` in `folder`."""
    runs = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", WARM_CHECK_PROBE, *modules], env=env,
                                capture_output=True, text=True, cwd=folder)
        *report, imported = result.stdout.strip().splitlines()
        runs.append(("\n".join(report), result.stderr, imported))
    return runs


def _registry_repo(tmp_path: Path) -> tuple[Path, dict]:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "models.txt").write_text("meta-llama/Llama-3.1-8B-Instruct\nallenai/OLMo-2-1124-7B\ngpt-4o\n"
                                       "mistralai/Mistral-7B-Instruct-v0.3\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_ENDPOINT", "OPENSCOPE_NO_CACHE")}
    env["OPENSCOPE_CACHE"] = str(tmp_path / "cache")
    return folder, env


def test_a_warm_check_answers_from_the_remembered_report_and_imports_no_assessment(tmp_path):
    folder, env = _registry_repo(tmp_path)
    (cold_report, cold_err, cold_imported), (warm_report, warm_err, warm_imported) = _check_twice(folder, env)
    assert "openscope.assess.model" in cold_imported  # the first run assesses, and proves the probe sees it
    assert warm_imported == "imported:", f"a warm check {warm_imported}"
    assert (warm_report, warm_err) == (cold_report, cold_err)
    assert '"id": "meta-llama/Llama-3.1-8B-Instruct"' in warm_report and "exit 3" not in warm_err


def test_a_warm_check_assesses_again_when_the_question_or_the_hub_cache_changes(tmp_path):
    folder, env = _registry_repo(tmp_path)
    _check_twice(folder, env)
    # Another line (a location moves): another question, assessed afresh.
    manifest = folder / "models.txt"
    manifest.write_text("# models\n" + manifest.read_text(encoding="utf-8"), encoding="utf-8")
    first, second = _check_twice(folder, env)
    assert "openscope.assess.model" in first[2] and second[2] == "imported:"
    assert '"line": 2' in second[0] and first[:2] == second[:2]
    # A record of one of its models in the cache of Hub answers (an online run) would answer offline: the
    # remembered report no longer stands.
    (tmp_path / "cache" / "models" / "allenai--olmo-2-1124-7b").mkdir(parents=True)
    again = subprocess.run([sys.executable, "-c", WARM_CHECK_PROBE, "openscope.assess"], env=env,
                           capture_output=True, text=True, cwd=folder)
    assert "openscope.assess" in again.stdout.strip().splitlines()[-1]
    assert again.stdout.rsplit("\n", 2)[0].strip() == second[0].strip()


def test_no_cache_turns_the_remembered_report_off(tmp_path):
    folder, env = _registry_repo(tmp_path)
    _check_twice(folder, env)
    env["OPENSCOPE_NO_CACHE"] = "1"
    result = subprocess.run([sys.executable, "-c", WARM_CHECK_PROBE, "openscope.assess"], env=env,
                            capture_output=True, text=True, cwd=folder)
    assert "openscope.assess" in result.stdout.strip().splitlines()[-1]
