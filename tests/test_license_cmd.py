"""`openscope license FILE... [-]` end to end through the real CLI: one entry per file in order,
bad input reported per file without hiding the others, exit 3 when any file could not be analysed."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from openscope.cli import cli
from openscope.text.decode import MAX_LICENSE_BYTES
from openscope.types import json_schema

RESTRICTIVE = ("1. Grant.\n\nYou may use the model only for non-commercial research.\n\n"
               "2. Limits.\n\nYou must not redistribute the weights.\n")


def run(args, stdin=None):
    result = CliRunner().invoke(cli, ["license", *args, "--format", "json"], input=stdin)
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def entries_by_path(report):
    return {e["path"]: e for e in report["licenses"]}


def test_report_follows_the_contract_and_keeps_file_order(tmp_path):
    a = tmp_path / "A.txt"
    a.write_text(RESTRICTIVE, encoding="utf-8")
    b = tmp_path / "B.txt"
    b.write_text("Permission is granted to use this model for any purpose.\n", encoding="utf-8")
    result, report = run([str(b), str(a)])
    assert result.exit_code == 0, result.output
    jsonschema.validate(report, json_schema("license"))
    assert report["schema"] == "openscope.license/1"
    assert [e["path"] for e in report["licenses"]] == [str(b), str(a)]
    flags = {f["flag"]: f for f in report["licenses"][1]["flags"]}
    assert set(flags) == {"non-commercial", "no-redistribution"}
    ev = flags["no-redistribution"]["evidence"][0]
    assert ev == {"file": "A.txt", "section": "2", "quote": "You must not redistribute the weights."}
    assert flags["no-redistribution"]["source"] == "rules"
    assert report["licenses"][0]["flags"] == []


def test_stdin_is_read_as_a_file(tmp_path):
    result, report = run(["-"], stdin=RESTRICTIVE)
    assert result.exit_code == 0
    entry = report["licenses"][0]
    assert entry["path"] == "-"
    assert {f["flag"] for f in entry["flags"]} == {"non-commercial", "no-redistribution"}
    assert entry["flags"][0]["evidence"][0]["file"] == "<stdin>"


def test_bad_files_get_errors_and_never_hide_the_others(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(RESTRICTIVE, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    binary = tmp_path / "weights.bin"
    binary.write_bytes(bytes(range(256)) * 20)
    missing = tmp_path / "missing.txt"
    result, report = run([str(empty), str(binary), str(good), str(missing), str(tmp_path)])
    assert result.exit_code == 3
    entries = entries_by_path(report)
    assert "empty" in entries[str(empty)]["error"]["message"]
    assert "binary" in entries[str(binary)]["error"]["message"]
    assert "cannot read" in entries[str(missing)]["error"]["message"]
    assert "folder" in entries[str(tmp_path)]["error"]["message"]
    for path in (empty, binary, missing, tmp_path):
        assert entries[str(path)]["error"]["code"] == "unreadable"
        assert str(path) in entries[str(path)]["error"]["message"]
    assert entries[str(good)]["error"] is None
    assert {f["flag"] for f in entries[str(good)]["flags"]} == {"non-commercial", "no-redistribution"}
    # one clear line per failing file on stderr
    assert result.stderr.count("openscope: error:") == 4


def test_huge_file_is_cut_and_says_so(tmp_path):
    huge = tmp_path / "HUGE.txt"
    filler = "This paragraph grants broad permissions to use the model. " * 40 + "\n\n"
    huge.write_text(RESTRICTIVE + filler * (MAX_LICENSE_BYTES // len(filler) + 5), encoding="utf-8")
    result, report = run([str(huge)])
    assert result.exit_code == 0
    entry = report["licenses"][0]
    assert "truncated" in {w["code"] for w in entry["warnings"]}
    assert "no-redistribution" in {f["flag"] for f in entry["flags"]}


def test_non_utf8_is_decoded_best_effort_with_a_warning(tmp_path):
    legacy = tmp_path / "LICENSE"
    legacy.write_bytes("Caf\u00e9 Model License.\n\nYou must not redistribute the weights.\n".encode("cp1252"))
    result, report = run([str(legacy)])
    assert result.exit_code == 0
    entry = report["licenses"][0]
    assert [w["code"] for w in entry["warnings"]] == ["encoding"]
    assert "no-redistribution" in {f["flag"] for f in entry["flags"]}


@pytest.mark.parametrize(("name", "text", "kind"), [
    ("LICENSE.html", "<html><body><h2>2. Limits</h2><p>You <b>must not</b> redistribute the weights.</p>"
                     "<ul><li>Use is for non-commercial research only.</li></ul></body></html>", "HTML"),
    ("LICENSE.md", "## 2. Limits\n\nYou **must not** [redistribute](https://example.org) the weights.\n\n"
                   "- Use is for non-commercial research only.\n", "MARKDOWN"),
])
def test_wrapped_license_is_unwrapped_analysed_and_flagged(tmp_path, name, text, kind):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result, report = run([str(path)])
    assert result.exit_code == 0
    entry = report["licenses"][0]
    warnings = {w["code"]: w["message"] for w in entry["warnings"]}
    assert kind in warnings["unwrapped"]
    flags = {f["flag"]: f for f in entry["flags"]}
    assert set(flags) == {"no-redistribution", "non-commercial"}
    quote = flags["no-redistribution"]["evidence"][0]["quote"]
    assert "<" not in quote and "**" not in quote and "must not redistribute" in quote


@pytest.mark.corpus
def test_modified_known_license_is_reported_as_written(corpus, tmp_path):
    original = (corpus / "licenses" / "texts" / "llama-3.1.txt").read_text(encoding="utf-8")
    assert "700 million" in original
    changed = tmp_path / "LICENSE"
    changed.write_text(original.replace("700 million", "900 million"), encoding="utf-8")
    result, report = run([str(changed)])
    assert result.exit_code == 0
    entry = report["licenses"][0]
    assert entry["license"]["id"] == "llama3.1"
    flags = {f["flag"]: f for f in entry["flags"]}
    assert flags["user-cap"]["thresholds"] == {"users": 900_000_000}
    modified = [w for w in entry["warnings"] if w["code"] == "license-modified"]
    assert modified and "llama3.1" in modified[0]["message"]


@pytest.mark.slow
def test_installed_command_runs_in_a_subprocess(tmp_path):
    path = tmp_path / "LICENSE"
    path.write_text(RESTRICTIVE, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "openscope", "license", str(path), "-", "--format", "json"],
                         input=b"", capture_output=True, check=False)
    assert out.returncode == 3  # stdin was empty
    report = json.loads(out.stdout)
    assert [e["path"] for e in report["licenses"]] == [str(path), "-"]
    assert report["licenses"][1]["error"]["code"] == "unreadable"
    assert b"-: empty file" in out.stderr
