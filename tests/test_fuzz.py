"""Property-based tests (Hypothesis): no card, license text, reference, manifest or policy crashes openscope.

Every input a repository or a mirror can hold is generated; the property is the same everywhere: a
result, or one of openscope's own errors, never another exception (which the driver would turn into an
`internal` error: a bug). The budget is fixed and derandomised, so CI runs the same few thousand
examples in a minute or two; OPENSCOPE_FUZZ_SCALE multiplies it for a longer local hunt.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from openscope.errors import InputError, ModelError, OpenscopeError  # noqa: E402

SCALE = float(os.environ.get("OPENSCOPE_FUZZ_SCALE", "1"))


def budget(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


# -- building blocks ------------------------------------------------------------------------------
CARD_KEYS = ["license", "licence", "license_name", "license_link", "tags", "base_model", "base_model_relation",
             "datasets", "pipeline_tag", "library_name", "model_id", "model_name", "extra_gated_prompt",
             "model-index", "language"]
PUNCT = "()[]{}\"'*_-#|<>`~!.,;:/\\@&^%$=+?"
WORDS = ["license", "commercial", "may not", "users", "monthly active", "million", "billion", "hundred",
         "revenue", "US$", "€", "700", "1,000,000", "9" * 30, "Llama", "apache-2.0", "mit", "\n", "\n\n", "#", "- ",
         "1.", "(a)", "shall", "prohibited", "derivative", "attribution", "Section", "http://x.org/l"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["mit", "apache-2.0", "llama3.1", "other", "org/model", "meta-llama/Llama-3.1-8B", ".nan", ""]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=20)
prose = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12), st.text(alphabet=PUNCT, max_size=80)),
                 max_size=40).map(" ".join)


@st.composite
def cards(draw) -> str:
    data = draw(st.dictionaries(st.sampled_from(CARD_KEYS) | st.text(max_size=10), values, max_size=8))
    try:
        header = yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        header = ""
    raw = draw(st.sampled_from(["", "a: &a [x, *a]\n", "b: [unclosed\n", "- list\n", ": :\n", "[instance]\n"]))
    return f"---\n{header}{raw}---\n{draw(prose)}\n"


# -- cards ----------------------------------------------------------------------------------------

@budget(500)
@given(card=st.one_of(cards(), st.text(max_size=300),
                      st.sampled_from(["---\nd: 2001-13-45\n---\nx", "---\nx: !!binary \"@@\"\n---\n"])))
def test_card_parser_never_crashes_and_types_hold(card):
    from openscope.card.parse import CARD_KEYS as TYPED
    from openscope.card.parse import TEXT, parse_card

    parsed = parse_card(card)
    assert isinstance(parsed.data, dict)
    for key, shape in TYPED.items():
        value = parsed.data.get(key)
        if value is None:
            continue
        assert isinstance(value, str) or (shape != TEXT and isinstance(value, list)
                                          and all(isinstance(v, str) for v in value)), (key, value)


@pytest.fixture(scope="module")
def model_dir():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@budget(120)
@given(card=cards(), license_text=st.one_of(st.none(), prose))
def test_auditing_a_fuzzed_model_folder_never_crashes(model_dir, card, license_text):
    from openscope.api import audit

    folder = Path(tempfile.mkdtemp(dir=model_dir))
    (folder / "README.md").write_text(card, encoding="utf-8", errors="surrogatepass")
    if license_text is not None:
        (folder / "LICENSE").write_text(license_text, encoding="utf-8", errors="surrogatepass")
    model = audit([str(folder)], offline=True).models[0]
    assert model.error is None or model.error.code != "internal", model.error
    json.dumps([w.message for w in model.warnings])


# -- license texts --------------------------------------------------------------------------------

@budget(150)
@given(data=st.one_of(prose.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=400),
                      prose.map(lambda t: t.encode("utf-16"))))
def test_license_texts_never_crash(data):
    from openscope.api import analyze_license_files

    entry = analyze_license_files(["-"], stdin_text=data).licenses[0]
    assert entry.error is None or entry.error.code == "unreadable", entry.error
    for flag in entry.flags:
        for value in flag.thresholds.values():
            assert isinstance(value, int) and 0 <= value <= 10**18


@budget(800)
@given(text=st.lists(st.sampled_from(WORDS + ["0", "12", "3.5", ",", " "]), max_size=30).map(" ".join))
def test_thresholds_are_bounded_integers(text):
    from openscope.license.thresholds import revenue_threshold, users_threshold

    users = users_threshold(text)
    assert users is None or (isinstance(users, int) and 0 <= users <= 10**18)
    revenue = revenue_threshold(text)
    assert revenue is None or (isinstance(revenue[1], int) and 0 <= revenue[1] <= 10**18)


# -- references -----------------------------------------------------------------------------------
refs = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[~./a-zA-Z0-9_:@-]{0,20}/[a-zA-Z0-9_.@-]{0,20}(@[a-z0-9]{0,8})?", fullmatch=True),
    st.sampled_from(["~nosuchuser/x", "~/x", "hf://a/b", "https://huggingface.co/a/b/tree/main", "ollama:x:1b",
                     "openai:gpt-4o", "gpt-4o", "-", "..", "/", "\\\\server\\share", "a/b@" + "f" * 40]),
)


@budget(700)
@given(text=refs)
def test_references_parse_or_fail_cleanly(text):
    from openscope.refs import parse_ref

    try:
        parse_ref(text)
    except ModelError:
        pass


@budget(100)
@given(batch=st.lists(refs, min_size=1, max_size=4))
def test_auditing_fuzzed_references_offline_never_crashes(batch):
    from openscope.api import audit

    report = audit(batch, offline=True)
    assert len(report.models) == len(batch)
    assert all(m.error is None or m.error.code != "internal" for m in report.models), \
        [m.error for m in report.models if m.error]


# -- manifests and the files scan reads -----------------------------------------------------------
FILES = {"models.txt": "manifest", "openscope.toml": "toml", "config.json": "config", "config.yaml": "config",
         "nb.ipynb": "notebook", ".env": "dotenv", "Dockerfile": "dockerfile", "run.sh": "shell",
         "app.py": "python"}
file_texts = st.one_of(
    prose, st.text(max_size=200),
    st.dictionaries(st.text(max_size=8), values, max_size=5).map(lambda d: json.dumps(d, default=str)),
    st.builds(lambda items: 'models-files = ' + json.dumps(items) + '\nexclude = ["x"]\n',
              st.lists(st.sampled_from(["/etc/passwd", "../x", "models.txt", "", "~nosuchuser/m"]), max_size=3)),
    st.builds(lambda cells: json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells]}),
              st.lists(st.one_of(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=3)), max_size=4)),
)


@pytest.fixture(scope="module")
def scanner(tmp_path_factory):
    from openscope.scan.scanner import Scanner

    root = tmp_path_factory.mktemp("fuzzscan")
    scanner = Scanner(root)
    scanner.boundary = str(root) + os.sep
    scanner.resolver.boundary = scanner.boundary
    return scanner, root


@budget(600)
@given(name=st.sampled_from(sorted(FILES)), text=file_texts, utf16=st.booleans())
def test_every_file_kind_scan_reads_never_crashes(scanner, name, text, utf16):
    scan, root = scanner
    path = root / name
    path.write_bytes(text.encode("utf-16" if utf16 else "utf-8", "surrogatepass"))
    try:
        problem, extraction, _ = scan._extract(path, FILES[name])  # below the per-file safety net
    except InputError:
        return  # a bad `exclude = [...]` in a policy table: exit 2, by design
    assert problem is None or isinstance(problem, str)
    if extraction is not None:
        scan._collect(path, name, extraction, None, {})


@budget(300)
@given(lines=st.lists(st.text(alphabet="[]!^*?/\\-az. #", max_size=12), max_size=6))
def test_gitignore_lines_never_crash(lines):
    from openscope.scan.walk import compile_gitignore

    compile_gitignore(lines).match_file("a/b.py")


# -- policies -------------------------------------------------------------------------------------
POLICY_KEYS = ["deny-flags", "allow-spectrum", "require-known-license", "exceptions", "fail-on-unknown",
               "exclude", "allow", "deny", "warn-flags"]


@budget(250)
@given(data=st.dictionaries(st.sampled_from(POLICY_KEYS) | st.text(max_size=8), values, max_size=5))
def test_policies_load_or_fail_cleanly(data):
    from openscope.policy import apply_policy, parse_policy
    from openscope.types import FlagFinding, ModelReport, Report

    try:
        policy = parse_policy(data, "openscope.toml")
    except OpenscopeError:
        return
    report = Report(models=[ModelReport(ref="a/b", id="a/b", kind="hub", provenance="registry",
                                        spectrum="open-weights", flags=[FlagFinding(flag="non-commercial")])])
    apply_policy(policy, report)
