"""Hostile input (issue 13): each crash, unbounded read, escape from the tree and leak found by fuzzing
has a case here. A case passes when openscope answers in a bounded time with a one-line message, and
the rest of the batch is still reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from openscope.api import analyze_license_files, audit, check, scan
from openscope.card.parse import parse_card
from openscope.cli import cli
from openscope.errors import InputError, UnreadableError, redact
from openscope.license.thresholds import MAX_THRESHOLD, revenue_threshold, users_threshold
from openscope.refs import parse_ref
from openscope.scan.walk import compile_gitignore
from openscope.text.bounded import read_bounded, read_stream_bounded

FAST = 5.0  # seconds: the bound for every case


def model_folder(tmp_path: Path, name: str, card: str, **files: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "README.md").write_text(card, encoding="utf-8")
    for fname, text in files.items():
        (folder / fname).write_text(text, encoding="utf-8")
    return folder


def codes(model) -> list[str]:
    return [w.code for w in model.warnings]


# ---------------------------------------------------------------- 1. an unexpected exception is one model's error

def test_a_bug_in_one_model_is_its_internal_error_and_the_batch_goes_on(tmp_path, monkeypatch):
    from openscope.assess.model import Assessor

    good = model_folder(tmp_path, "good", "---\nlicense: mit\n---\n# good\n")
    bad = model_folder(tmp_path, "bad", "---\nlicense: mit\n---\n# bad\n")
    real = Assessor.assess

    def assess(self, facts):
        if facts.ref.raw == str(bad):
            raise ZeroDivisionError("planted\nsecond line")
        return real(self, facts)

    monkeypatch.setattr(Assessor, "assess", assess)
    report = audit([str(good), str(bad)], offline=True)
    by_ref = {m.ref: m for m in report.models}
    assert by_ref[str(good)].error is None and by_ref[str(good)].spectrum != "unknown"
    error = by_ref[str(bad)].error
    assert error.code == "internal" and "ZeroDivisionError" in error.message and "\n" not in error.message


def test_cli_internal_error_exits_3_and_debug_prints_the_traceback(tmp_path, monkeypatch):
    from openscope.assess.model import Assessor

    folder = model_folder(tmp_path, "m", "---\nlicense: mit\n---\n# m\n")
    monkeypatch.setattr(Assessor, "assess", lambda self, facts: 1 / 0)
    monkeypatch.delenv("OPENSCOPE_DEBUG", raising=False)
    plain = CliRunner().invoke(cli, ["audit", str(folder), "--offline", "-f", "json"])
    assert plain.exit_code == 3 and "internal error (ZeroDivisionError" in plain.stderr
    assert "Traceback" not in plain.stderr
    debug = CliRunner().invoke(cli, ["--debug", "audit", str(folder), "--offline", "-f", "json"])
    monkeypatch.delenv("OPENSCOPE_DEBUG", raising=False)
    assert debug.exit_code == 3 and "Traceback" in debug.stderr


def test_a_bug_in_one_license_file_is_its_internal_error(tmp_path, monkeypatch):
    import openscope.license as license_pkg

    ok, bad = tmp_path / "OK", tmp_path / "BAD"
    ok.write_text("Permission is hereby granted, free of charge, to any person", encoding="utf-8")
    bad.write_text("boom", encoding="utf-8")
    real = license_pkg.read_text  # what every batch reading calls, when its cache has no answer
    monkeypatch.setenv("OPENSCOPE_NO_CACHE", "1")
    monkeypatch.setattr(license_pkg, "read_text",
                        lambda text, name: (_ for _ in ()).throw(KeyError("x")) if text == "boom" else real(text, name))
    entries = {e.path: e for e in analyze_license_files([str(ok), str(bad)]).licenses}
    assert entries[str(bad)].error.code == "internal" and entries[str(ok)].error is None


# ---------------------------------------------------------------- 3. crash causes

@pytest.mark.parametrize("front, key", [
    ("tags: 1.5", "tags"), ("tags: 5", "tags"), ("tags: true", "tags"),
    ("license_link: 42", "license_link"), ("license_link: {url: x}", "license_link"),
    ("license: .nan", "license"), ("base_model: 7", "base_model"),
])
def test_wrong_card_types_are_warnings_naming_the_key(tmp_path, front, key):
    folder = model_folder(tmp_path, "m", f"---\n{front}\n---\n# m\n")
    model = audit([str(folder)], offline=True).models[0]
    assert model.error is None
    assert any(f"card key '{key}'" in w.message for w in model.warnings), model.warnings
    dumped = json.dumps(model.license.__dict__ if model.license else {}, default=str)
    assert "NaN" not in dumped and "42" not in dumped and "{'url'" not in dumped


def test_card_type_boundary_keeps_good_values_and_drops_bad_entries():
    card = parse_card("---\nlicense: mit\ntags: [a, 1, null, b]\nlicense_link: https://x.org/l\n---\nbody")
    assert card.data["license"] == "mit" and card.data["tags"] == ["a", "b"]
    assert card.data["license_link"] == "https://x.org/l"
    assert card.warnings == ["card key 'tags': 2 entry(ies) not strings; ignored"]


@pytest.mark.parametrize("text", [
    "more than " + "9" * 400 + " monthly active users",
    "more than one " + "hundred " * 300 + "monthly active users",
    "more than 700 " + "billion " * 300 + "monthly active users",
    "more than " + "5" * 6000 + " monthly active users",
])
def test_huge_thresholds_are_no_threshold_and_no_crash(text):
    started = time.monotonic()
    assert users_threshold(text) is None
    assert revenue_threshold("US$ " + text) is None
    assert time.monotonic() - started < FAST


def test_thresholds_are_exact_integers():
    assert users_threshold("more than 9,007,199,254,740,993 monthly active users") == 9_007_199_254_740_993
    assert users_threshold("more than 1.5 billion monthly active users") == 1_500_000_000
    assert revenue_threshold("revenue over US$ 1,000,000") == ("usd", 1_000_000)
    assert users_threshold(f"more than {MAX_THRESHOLD + 1:,} monthly active users") is None


def test_a_cap_beyond_any_real_threshold_keeps_the_flag_and_says_so():
    from openscope.license import read_text

    written = "700 billion billion billion billion"
    analysis = read_text(f"If your service has more than {written} monthly active users, you must request a "
                         "license from us.", "LICENSE")
    cap = {f.flag: f for f in analysis.flags}["user-cap"]
    assert cap.thresholds == {}
    [warning] = [w for w in analysis.warnings if w.code == "threshold-too-large"]
    assert warning.message.startswith("LICENSE: user-cap:") and written in warning.message


def test_bad_gitignore_patterns_are_skipped(tmp_path):
    spec = compile_gitignore(["[z-a]", "*[!]", "[^]", "ignored/"])
    assert spec.match_file("ignored/x.py")
    (tmp_path / ".gitignore").write_text("[z-a]\n*[!]\n[^]\n", encoding="utf-8")
    (tmp_path / "app.py").write_text('from_pretrained("meta-llama/Llama-3.1-8B")\n', encoding="utf-8")
    report = scan([str(tmp_path)], offline=True)
    assert [m.id for m in report.models] == ["meta-llama/Llama-3.1-8B"]


def test_tilde_of_an_unknown_user_is_no_crash():
    ref = parse_ref("~nosuchuser/x")
    assert ref.raw == "~nosuchuser/x"
    model = audit(["~nosuchuser/x"], offline=True).models[0]
    assert model.error is not None and model.error.code != "internal"


def test_yaml_alias_bomb_card_is_refused_quickly(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]
    card = "---\n" + "\n".join(levels) + "\ntags: *i\nlicense: mit\n---\n# bomb\n"
    assert len(card) < 1000
    started = time.monotonic()
    parsed = parse_card(card)
    assert parsed.front_matter == "invalid-yaml" and "YAML aliases" in parsed.problem
    folder = model_folder(tmp_path, "bomb", card)
    report = audit([str(folder)], offline=True)
    assert time.monotonic() - started < FAST
    assert len(json.dumps(report.to_dict() if hasattr(report, "to_dict") else str(report))) < 100_000


def test_self_referring_yaml_is_refused():
    assert parse_card("---\na: &a [*a]\n---\nbody").front_matter == "invalid-yaml"


def test_fifty_thousand_bases_are_capped(tmp_path):
    bases = "\n".join(f"  - org/base-{i}" for i in range(50_000))
    folder = model_folder(tmp_path, "many", f"---\nlicense: mit\nbase_model:\n{bases}\n---\n# many\n")
    started = time.monotonic()
    model = audit([str(folder)], offline=True).models[0]
    assert time.monotonic() - started < 30  # 50,000 YAML entries to parse; the cap makes the rest quick
    assert len(model.warnings) <= 51


# ---------------------------------------------------------------- 2. one bounded reader

def test_devices_are_refused_unread():
    with pytest.raises(UnreadableError, match="not a regular file"):
        read_bounded("/dev/zero", 1000)
    entry = analyze_license_files(["/dev/zero"]).licenses[0]
    assert entry.error is not None and "not a regular file" in entry.error.message


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "models.txt"
    os.mkfifo(fifo)
    done = []
    worker = threading.Thread(target=lambda: done.append(pytest.raises(UnreadableError, read_bounded, fifo, 10)),
                              daemon=True)
    worker.start()
    worker.join(FAST)
    assert done, "opening a FIFO blocked"
    report = scan([str(tmp_path)], offline=True)
    assert any("not a regular file" in s.reason for s in report.skipped)


def test_endless_stdin_stops_at_the_cap():
    class Endless:
        read_bytes = 0

        def read(self, n):
            self.read_bytes += n
            return b"x" * n

    stream = Endless()
    data, cut = read_stream_bounded(stream, 1000, truncate=True)
    assert cut and len(data) == 1000 and stream.read_bytes <= 1001
    with pytest.raises(InputError):
        read_stream_bounded(Endless(), 1000, error=InputError)


def test_a_sparse_gigabyte_license_is_cut_without_reading_it(tmp_path):
    big = tmp_path / "LICENSE"
    with open(big, "wb") as fh:
        fh.write(b"You may not use the model for commercial purposes. ")
        fh.truncate(1 << 30)
    data, cut = read_bounded(big, 1000, truncate=True)
    assert cut and len(data) == 1000
    with pytest.raises(UnreadableError, match="larger than"):
        read_bounded(big, 1000)


def test_a_big_license_in_a_model_folder_is_no_crash(tmp_path):
    clause = "Licensee may redistribute the software provided that this notice is retained in all copies. "
    folder = model_folder(tmp_path, "big", "---\nlicense: other\n---\n# big\n",
                          LICENSE="Some License\n\n" + "".join(f"{i}. {clause}\n" for i in range(11_000)))
    assert (folder / "LICENSE").stat().st_size > 1_000_000
    model = audit([str(folder)], offline=True).models[0]
    assert model.error is None or model.error.code != "internal"


# ---------------------------------------------------------------- 4. linear time

@pytest.mark.parametrize("run", ["(" * 16_000, '"' * 32_000])
def test_long_punctuation_runs_are_linear(tmp_path, run):
    audit([str(model_folder(tmp_path, "warm", "---\nlicense: mit\n---\n# warm\nhello world.\n"))], offline=True)
    folder = model_folder(tmp_path, "run", f"---\nlicense: mit\n---\n# run\n{run}\n")
    started = time.monotonic()
    model = audit([str(folder)], offline=True).models[0]
    assert model.error is None
    assert time.monotonic() - started < FAST


def test_punctuation_runs_keep_their_length():
    from openscope.text.sentences import break_punctuation_runs

    for text in ["(" * 1000, "a" + '"' * 130 + "b", "plain text", "(" * 64]:
        assert len(break_punctuation_runs(text)) == len(text)
    assert break_punctuation_runs("(" * 64) == "(" * 64 and " " in break_punctuation_runs("(" * 65)


def test_a_repeated_restriction_sentence_grows_linearly():
    from openscope.license import analyze_text

    sentence = ("You may not use the Model for any commercial purpose, and if you have more than 700 million "
                "monthly active users you must request a license from us. ")
    analyze_text(sentence, "LICENSE")

    def timed(size: int) -> float:
        started = time.monotonic()
        analyze_text(sentence * (size // len(sentence)), "LICENSE")
        return time.monotonic() - started

    small, large = timed(40_000), timed(160_000)
    assert large < 8 * small + 1.0, (small, large)  # quadratic would be 16x


# ---------------------------------------------------------------- 5. scan never leaves the root

@pytest.fixture
def hostile_tree(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "token").write_text("hf_TOPSECRETTOKEN0000\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "models.txt").symlink_to("/etc/passwd")
    (repo / "x.models.txt").symlink_to("../secret/token")
    (repo / "zero.models.txt").symlink_to("/dev/zero")
    (repo / "openscope.toml").write_text('models-files = ["/etc/passwd", "../secret/token"]\n', encoding="utf-8")
    (repo / "local.models.txt").write_text("../secret\n/etc\n", encoding="utf-8")
    return repo


def test_scan_never_reads_outside_its_root(hostile_tree):
    started = time.monotonic()
    report = scan([str(hostile_tree)], offline=True)
    assert time.monotonic() - started < FAST * 3
    assert report.models == []
    reasons = [(Path(s.path).name, s.reason) for s in report.skipped]
    for name in ("models.txt", "x.models.txt", "zero.models.txt"):
        assert any(n == name and "outside the scanned folder" in r for n, r in reasons), reasons
    assert sum("models-files" in r and "outside" in r for _, r in reasons) == 2
    assert sum(n == "local.models.txt" and "outside" in r for n, r in reasons) == 2
    from openscope.render.interface import render

    for fmt in ("json", "sarif"):
        assert "TOPSECRET" not in render(report, fmt) and "root:x" not in render(report, fmt)


def test_check_fails_on_an_unreadable_models_list(tmp_path):
    (tmp_path / "models.txt").write_bytes(b"\xff\xfe\x00\xd8")  # UTF-16 that does not decode
    with pytest.raises(InputError, match="models.txt"):
        check([str(tmp_path)], offline=True)


def test_a_utf16_models_list_is_read(tmp_path):
    (tmp_path / "models.txt").write_bytes("meta-llama/Llama-3.1-8B\n".encode("utf-16"))
    report = scan([str(tmp_path)], offline=True)
    assert [m.id for m in report.models] == ["meta-llama/Llama-3.1-8B"]


def test_json_config_with_a_huge_integer_is_still_scanned(tmp_path):
    (tmp_path / "config.json").write_text('{"n": ' + "7" * 5001 + ', "model": "meta-llama/Llama-3.1-8B"}',
                                          encoding="utf-8")
    assert [m.id for m in scan([str(tmp_path)], offline=True).models] == ["meta-llama/Llama-3.1-8B"]


def test_notebook_cells_are_capped(tmp_path):
    from openscope.scan.notebook import MAX_CELLS

    cells = [{"cell_type": "code", "source": ["x = 1\n"]}] * (MAX_CELLS + 5)
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")
    started = time.monotonic()
    report = scan([str(tmp_path)], offline=True)
    assert time.monotonic() - started < FAST * 6
    assert any("only the first" in s.reason for s in report.skipped)


def test_a_notebook_of_millions_of_values_is_refused(tmp_path):
    (tmp_path / "nb.ipynb").write_text('{"cells": [], "x": [' + ",".join(["1"] * 1_100_000) + "]}",
                                       encoding="utf-8")
    started = time.monotonic()
    report = scan([str(tmp_path)], offline=True)
    assert time.monotonic() - started < FAST * 3
    assert any("values" in s.reason for s in report.skipped)


# ---------------------------------------------------------------- 6. mirrors, credentials, outputs

def test_redact_removes_url_credentials():
    text = "cannot reach http://user:pa55@mirror.example/api and https://tok@h.example"
    assert redact(text) == "cannot reach http://***@mirror.example/api and https://***@h.example"
    assert redact("mail me at a@b.org") == "mail me at a@b.org"


def test_endpoint_credentials_never_reach_messages_or_records(fake_hub, tmp_path):
    from openscope.sources.cache import FactCache
    from openscope.sources.hub import HubSource, RetryPolicy, refresh_registry  # noqa: F401
    from openscope.types import ModelRef

    host = fake_hub.url.split("://", 1)[1]
    endpoint = f"http://user:s3cretpass@{host}"
    store = FactCache(tmp_path / "store")
    source = HubSource(endpoint=endpoint, token=False, cache_dir=tmp_path / "hf", store=store,
                       retry=RetryPolicy(sleep=lambda s: None))
    try:
        source.fetch(ModelRef(raw="acme/open-small", kind="hub", id="acme/open-small"))
    except Exception as exc:  # noqa: BLE001 - the fake Hub may refuse basic auth; the message is what counts
        assert "s3cretpass" not in str(exc)
    with pytest.raises(Exception) as missing:
        source.fetch(ModelRef(raw="acme/nope", kind="hub", id="acme/nope"))
    assert "s3cretpass" not in str(missing.value)
    for path in (tmp_path / "store").rglob("*"):
        if path.is_file():
            assert "s3cretpass" not in path.read_text(encoding="utf-8")


def test_an_answer_naming_another_model_never_poisons_its_record(fake_hub, tmp_path):
    from openscope.sources.cache import FactCache
    from openscope.sources.hub import CacheSource, HubSource, RetryPolicy
    from openscope.types import ModelRef

    repo = fake_hub.add_repo("acme/poison", {"README.md": "---\nlicense: mit\n---\n# poison\n"})
    repo.id = "meta-llama/Llama-3.1-8B"
    store = FactCache(tmp_path / "store")
    source = HubSource(endpoint=fake_hub.url, token=False, cache_dir=tmp_path / "hf", store=store,
                       retry=RetryPolicy(sleep=lambda s: None))
    facts = source.fetch(ModelRef(raw="acme/poison", kind="hub", id="acme/poison"))
    assert facts.id == "acme/poison" and "hub-id-mismatch" in [w.code for w in facts.warnings]
    assert store.load("meta-llama/Llama-3.1-8B", None) is None
    cache = CacheSource(store=store, cache_dir=tmp_path / "hf")
    with pytest.raises(Exception, match="not in the local cache"):
        cache.fetch(ModelRef(raw="meta-llama/Llama-3.1-8B", kind="hub", id="meta-llama/Llama-3.1-8B"))


def test_records_of_another_endpoint_are_not_used(fake_hub, tmp_path):
    from openscope.sources.cache import FactCache
    from openscope.sources.hub import CacheSource, HubSource, RetryPolicy
    from openscope.types import ModelRef

    store = FactCache(tmp_path / "store")
    HubSource(endpoint=fake_hub.url, token=False, cache_dir=tmp_path / "hf", store=store,
              retry=RetryPolicy(sleep=lambda s: None)).fetch(
        ModelRef(raw="acme/open-small", kind="hub", id="acme/open-small"))
    ref = ModelRef(raw="acme/open-small", kind="hub", id="acme/open-small")
    assert CacheSource(store=store, cache_dir=tmp_path / "hf", endpoint=fake_hub.url).fetch(ref).id == ref.id
    with pytest.raises(Exception, match="not in the local cache"):
        CacheSource(store=store, cache_dir=tmp_path / "hf", endpoint="https://other-mirror.example").fetch(ref)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_stdout_on_a_full_disk_is_an_error(tmp_path):
    folder = model_folder(tmp_path, "m", "---\nlicense: mit\n---\n# m\n")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "openscope", "audit", str(folder), "--offline", "-f", "json"],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode not in (0, 1)
    lines = [line for line in proc.stderr.splitlines() if "error" in line]
    assert lines and "cannot write the json report to stdout" in lines[0] and "Traceback" not in proc.stderr


def test_a_diff_to_a_full_disk_is_an_error_too(tmp_path):
    report = tmp_path / "r.json"
    report.write_text('{"schema": "openscope.report/1", "models": []}', encoding="utf-8")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "openscope", "diff", str(report), str(report)],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write the diff to stdout" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unwritable_hf_cache_is_not_blamed_on_the_hub(fake_hub, tmp_path):
    from openscope.sources.cache import FactCache
    from openscope.sources.hub import HubSource, RetryPolicy
    from openscope.types import ModelRef

    (tmp_path / "afile").write_text("x", encoding="utf-8")  # a cache folder that cannot be made (root ignores chmod)
    source = HubSource(endpoint=fake_hub.url, token=False, cache_dir=tmp_path / "afile" / "hub",
                       store=FactCache(tmp_path / "store"), retry=RetryPolicy(sleep=lambda s: None))
    with pytest.raises(UnreadableError) as failed:
        source.fetch(ModelRef(raw="acme/open-small", kind="hub", id="acme/open-small"))
    assert "Hugging Face cache" in str(failed.value) and "answer from the Hub" not in str(failed.value)


def test_all_network_reads_of_one_model_share_one_budget(fake_hub, tmp_path, monkeypatch):
    from openscope.errors import NetworkError
    from openscope.sources.cache import FactCache
    from openscope.sources.hub import HubSource, RetryPolicy
    from openscope.types import ModelRef

    monkeypatch.setenv("OPENSCOPE_HUB_MODEL_BUDGET", "1.5")
    fake_hub.set_fault("acme/open-small", latency=0.8)  # each call well inside its own timeout
    source = HubSource(endpoint=fake_hub.url, token=False, cache_dir=tmp_path / "hf",
                       store=FactCache(tmp_path / "store"), retry=RetryPolicy(sleep=lambda s: None))
    started = time.monotonic()
    with pytest.raises(NetworkError, match="in all for this model"):
        source.fetch(ModelRef(raw="acme/open-small", kind="hub", id="acme/open-small"))
    assert time.monotonic() - started < 3


def test_notebook_code_is_capped_like_a_python_file(tmp_path, monkeypatch):
    import openscope.scan.notebook as notebook

    monkeypatch.setattr(notebook, "MAX_CODE_CHARS", 2000)
    early = {"cell_type": "code", "source": ['m = "meta-llama/Llama-3.1-8B"\n', "from_pretrained(m)\n"]}
    filler = {"cell_type": "code", "source": ["x = 1  # " + "y" * 100 + "\n"] * 10}
    late = {"cell_type": "code", "source": ['from_pretrained("mistralai/Mistral-7B-Instruct-v0.2")\n']}
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": [early, filler, filler, late]}), encoding="utf-8")
    report = scan([str(tmp_path)], offline=True)
    assert [m.id for m in report.models] == ["meta-llama/Llama-3.1-8B"]
    assert any("characters of code" in s.reason for s in report.skipped)


def test_one_restriction_sentence_repeated_to_760_kb_is_read_once():
    from openscope.license import analyze_text

    sentence = ("You may not use the Model for any commercial purpose, and if you have more than 700 million "
                "monthly active users you must request a license from us. ")
    analyze_text(sentence, "LICENSE")
    started = time.monotonic()
    analysis = analyze_text(sentence * (760_000 // len(sentence)), "LICENSE")
    assert time.monotonic() - started < FAST
    assert "user-cap" in [f.flag for f in analysis.flags]
    assert "text-repeats" in [w.code for w in analysis.warnings]


@pytest.mark.slow
def test_endless_one_letter_lines_on_stdin_end_quickly():
    proc_started = time.monotonic()
    proc = subprocess.run(f"yes | {sys.executable} -m openscope license - -f json", shell=True,
                          capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - proc_started
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout)["licenses"][0]
    assert {"truncated"} <= {w["code"] for w in entry["warnings"]}
    assert elapsed < FAST * 3  # start-up (spaCy, catalog) included
