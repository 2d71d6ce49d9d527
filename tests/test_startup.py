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
