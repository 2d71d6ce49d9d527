#!/usr/bin/env python3
"""openscope benchmarks: one command, one table (README "Performance").

    python bench/run.py [--runs 5] [--corpus DIR] [--with-scancode] [--json FILE]

Every figure is the median of --runs whole-process runs (a new interpreter each time, after one
untimed run so bytecode caches exist, as after `pip install`) unless it says "in-process". Peak
memory is the child's own max RSS: each command is started by a small launcher process, because
Linux carries the parent's peak into a child across fork and exec (this script grows to ~150 MB
once the in-process rows have loaded spaCy). In-process rows import the installed package.
openscope runs cold (OPENSCOPE_NO_CACHE=1) unless a row says "warm" (its reading cache filled by
the untimed run). Targets come from the performance issue.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import openscope  # noqa: F401  (the installed package, byte-compiled as users run it)
except ImportError:
    sys.path.insert(0, str(ROOT / "src"))


def default_corpus() -> Path:
    return Path(os.environ.get("OPENSCOPE_CORPUS", ROOT.parent / "shared" / "corpus"))


# Measure what an installed openscope does: `pip install` byte-compiles the package, so drop a
# PYTHONDONTWRITEBYTECODE inherited from the shell (it would recompile every module on every run)
# and run each command once, untimed, before measuring, so its bytecode cache exists.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["OPENSCOPE_NO_CACHE"] = "1"  # cold: every text read; warm rows pass their own environment
# The corpus texts are read at build time, so their readings are stored (license/known.py): cold rows
# turn that off to read them; the "known text" row leaves it on.
CHILD_ENV["OPENSCOPE_NO_KNOWN_READINGS"] = "1"

# Started with `python -S`: a launcher of ~10 MB whose own peak is all its child can inherit.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps([time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status),
                  usage.ru_utime + usage.ru_stime]))
"""


def timed(cmd: list[str], *, env=None, cwd=None, stdin=None) -> tuple[float, int, int]:
    """Run a whole process; return (seconds, peak RSS in MB, exit code)."""
    env = CHILD_ENV if env is None else env
    out = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *cmd], env=env, cwd=cwd,
                         stdin=subprocess.DEVNULL if stdin is None else stdin, capture_output=True, text=True,
                         check=True).stdout
    seconds, maxrss_kb, code, _cpu = json.loads(out)
    return seconds, maxrss_kb // 1024, code


def median_run(cmd, runs, **kw) -> tuple[float, int, int]:
    timed(cmd, **kw)  # warm-up: writes bytecode caches, fills the OS file cache
    results = [timed(cmd, **kw) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), max(r[1] for r in results), results[-1][2])


def openscope_cmd(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("openscope")
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "openscope", *args]


GENERIC_MODULE = '''"""Module {i}: request handling helpers."""
import json
import logging
from dataclasses import dataclass

LOG = logging.getLogger(__name__)
ROUTE = "/api/v1/items/{i}"
HEADERS = {{"Content-Type": "application/json", "X-Service": "items-{i}"}}


@dataclass
class Item{i}:
    name: str
    price: float = 0.0
    tags: tuple = ()

    def to_json(self) -> str:
        return json.dumps({{"name": self.name, "price": self.price, "tags": list(self.tags)}})


def handle_{i}(payload: dict) -> dict:
    items = [Item{i}(**row) for row in payload.get("rows", [])]
    total = sum(item.price for item in items)
    if total > 1000:
        LOG.warning("large order %s", total)
    return {{"count": len(items), "total": total, "route": ROUTE}}
'''

# Modules that use models, in the shapes teams write: a Hub loader with a model-named constant, an
# API client in a settings-driven service, a registry of models with a function default.
MODEL_MODULES = [
    '''"""Inference {i}."""
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL_ID = "{hub}"


def load_{i}(revision=None):
    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID, revision=revision)
    model = AutoModelForCausalLM.from_pretrained(MODEL_ID, torch_dtype="auto")
    return tokenizer, model
''',
    '''"""Answers {i}."""
import os

from openai import OpenAI

CHAT_MODEL = os.getenv("CHAT_MODEL", "{api}")
client = OpenAI()


def answer_{i}(question: str, model: str = CHAT_MODEL) -> str:
    reply = client.chat.completions.create(model=model, messages=[{{"role": "user", "content": question}}])
    return reply.choices[0].message.content
''',
    '''"""Registry {i}."""
MODELS = {{"chat": "{hub}", "embed": "BAAI/bge-small-en-v1.5"}}


def pick_model(task: str = "chat", embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2") -> str:
    return MODELS.get(task, embedding_model)
''',
]


def make_scan_tree(root: Path, n_files: int) -> None:
    """A code base of `n_files` Python modules: 3 in 10 use models (and so are parsed), the rest are
    ordinary application code with strings, dicts and dataclasses, as most of a real repository is."""
    hub_ids = ["meta-llama/Llama-3.1-8B-Instruct", "google/gemma-2-2b-it", "mistralai/Mistral-7B-Instruct-v0.2",
               "allenai/OLMo-7B", "Qwen/Qwen2.5-7B-Instruct"]
    api_names = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-20241022"]
    for i in range(n_files):
        d = root / f"pkg{i // 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        kind = i % 10
        template = MODEL_MODULES[kind] if kind < len(MODEL_MODULES) else GENERIC_MODULE
        body = template.format(i=i, hub=hub_ids[i % len(hub_ids)], api=api_names[i % len(api_names)])
        (d / f"mod{i}.py").write_text(body)


def bench_license_inprocess(texts: list[Path], rounds: int = 3) -> tuple[float, float]:
    """In-process throughput after start-up: texts/second, and the one-off warm-up seconds (no cache)."""
    os.environ["OPENSCOPE_NO_CACHE"] = "1"
    os.environ["OPENSCOPE_NO_KNOWN_READINGS"] = "1"
    from openscope.license import analyze_text

    contents = [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in texts]
    t0 = time.perf_counter()
    analyze_text(contents[0][1], contents[0][0])
    warmup = time.perf_counter() - t0
    from openscope.license import restrictions

    rates = []
    for _ in range(rounds):
        restrictions._analyse.cache_clear()  # measure analysis, not the per-process repeat cache
        t0 = time.perf_counter()
        for name, text in contents:
            analyze_text(text, name)
        rates.append(len(contents) / (time.perf_counter() - t0))
    return statistics.median(rates), warmup


def scancode(texts: list[Path], runs: int, labels: dict, processes: int = 1) -> dict | None:
    """Install scancode-toolkit-mini in its own venv (cached under bench/) and time it on the same texts."""
    venv = ROOT / "bench" / ".venv-scancode"
    exe = venv / "bin" / "scancode"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "scancode-toolkit-mini", "pluggy<1.7"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "texts"
        src.mkdir()
        for p in texts:
            (src / p.name).write_bytes(p.read_bytes())
        out = Path(tmp) / "sc.json"
        cmd = [str(exe), "--license", "--json-pp", str(out), "--processes", str(processes), "--quiet", str(src)]
        seconds, rss, code = median_run(cmd, runs)
        data = json.loads(out.read_text()) if out.exists() else {"files": []}
    correct = total = 0
    for f in data.get("files", []):
        if f.get("type") != "file":
            continue
        stem = Path(f["path"]).stem
        gold = labels.get(stem, {}).get("scancode_key")
        if not gold:
            continue
        total += 1
        found = {m.get("license_expression") or m.get("key") for m in f.get("license_detections", []) or []}
        keys = set()
        for expr in found:
            keys.update(str(expr).replace("(", " ").replace(")", " ").split())
        correct += gold in keys
    return {"seconds": seconds, "rss": rss, "exit": code, "accuracy": correct / total if total else None,
            "scored": total}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--models", type=int, default=1000, help="models for the bulk offline audit")
    ap.add_argument("--files", type=int, default=10000, help="Python files in the generated scan tree")
    ap.add_argument("--with-scancode", action="store_true", help="also time scancode-toolkit-mini (installs it)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = ap.parse_args()

    from openscope.registry import load_registry

    rows: list[tuple[str, str, str, str]] = []  # (what, figure, peak RSS, target)
    figures: dict[str, float] = {}

    base, _, _ = median_run([sys.executable, "-c", "pass"], args.runs)
    figures["python_pass_s"] = base
    rows.append(("python3 -c pass (baseline)", f"{base * 1000:.0f} ms", "-", "-"))

    t, rss, _ = median_run(openscope_cmd("--version"), args.runs)
    figures["version_s"] = t
    rows.append(("openscope --version (cold)", f"{t * 1000:.0f} ms ({t / base:.1f}x)", f"{rss} MB", "-"))

    t, rss, code = median_run(openscope_cmd("audit", "meta-llama/Llama-3.1-8B-Instruct", "--offline", "-f", "json"), args.runs)
    figures["audit_one_s"] = t
    rows.append(("audit 1 registry model --offline (cold)", f"{t * 1000:.0f} ms ({t / base:.1f}x)", f"{rss} MB",
                 f"<= 10x baseline{'' if code == 0 else f'  [exit {code}]'}"))

    registry = load_registry()
    ids = registry.hub_ids()
    if ids:
        refs = [ids[i % len(ids)] for i in range(args.models)]
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("\n".join(refs))
        t, rss, code = median_run(openscope_cmd("audit", "--offline", "-f", "json", *refs), max(1, args.runs // 2))
        figures["audit_bulk_s"] = t
        rows.append((f"audit {args.models} models --offline ({len(ids)} distinct)", f"{t:.2f} s", f"{rss} MB",
                     f"< 5 s{'' if code == 0 else f'  [exit {code}]'}"))

    texts = sorted((args.corpus / "licenses" / "texts").glob("*.txt"))
    labels = {}
    if texts:
        labels_path = args.corpus / "licenses" / "labels.jsonl"
        labels = {json.loads(line)["id"]: json.loads(line) for line in labels_path.read_text().splitlines() if line.strip()}
        rate, warm = bench_license_inprocess(texts)
        figures["license_texts_per_s"] = rate
        rows.append((f"license, in-process after start-up ({len(texts)} texts)", f"{rate:.0f} texts/s",
                     "-", ">= 50 texts/s"))
        rows.append(("license, first-text warm-up (spaCy + rules + model)", f"{warm * 1000:.0f} ms", "-", "-"))
        known_env = {k: v for k, v in CHILD_ENV.items() if k != "OPENSCOPE_NO_KNOWN_READINGS"}
        t, rss, code = median_run(openscope_cmd("license", "-f", "json", str(texts[0])), args.runs, env=known_env)
        figures["license_1_known_s"] = t
        rows.append(("license 1 known text (stored reading), cold", f"{t * 1000:.0f} ms", f"{rss} MB",
                     "-" if code == 0 else f"[exit {code}]"))
        for n in sorted({1, min(10, len(texts)), len(texts)}):
            cmd = openscope_cmd("license", "-f", "json", *map(str, texts[:n]))
            t, rss, code = median_run(cmd, args.runs)
            figures[f"license_{n}_s"] = t
            rows.append((f"license {n} text(s), whole process, cold", f"{t * 1000:.0f} ms", f"{rss} MB",
                         "-" if code == 0 else f"[exit {code}]"))
            if n == len(texts):
                figures["license_process_s"] = t
                one_core = {**CHILD_ENV, "OPENSCOPE_WORKERS": "1"}
                t1, rss1, _ = median_run(cmd, args.runs, env=one_core)
                figures[f"license_{n}_one_core_s"] = t1
                rows.append((f"license {n} texts, cold, one core (OPENSCOPE_WORKERS=1)", f"{t1 * 1000:.0f} ms",
                             f"{rss1} MB", f"pool {t1 / t:.2f}x faster"))
            with tempfile.TemporaryDirectory() as cache:
                warm_env = {k: v for k, v in CHILD_ENV.items() if k != "OPENSCOPE_NO_CACHE"}
                warm_env["OPENSCOPE_CACHE"] = cache
                t, rss, _ = median_run(cmd, args.runs, env=warm_env)  # the untimed run fills the cache
            figures[f"license_{n}_warm_s"] = t
            rows.append((f"license {n} text(s), whole process, warm cache", f"{t * 1000:.0f} ms", f"{rss} MB", "-"))
    else:
        rows.append(("license throughput", "skipped: corpus not found", "-", "-"))

    with tempfile.TemporaryDirectory() as tmp:
        make_scan_tree(Path(tmp), args.files)
        t, rss, code = median_run(openscope_cmd("scan", "--offline", "-f", "json", tmp), max(1, args.runs // 2))
        figures["scan_s"] = t
        rows.append((f"scan {args.files} Python files --offline (3 in 10 use models)", f"{t:.2f} s", f"{rss} MB",
                     f"< 2 s{'' if code in (0, 3) else f'  [exit {code}]'}"))

    if args.with_scancode and texts:
        for n in sorted({1, min(10, len(texts)), len(texts)}):
            for procs in ((1, 2) if n == len(texts) else (1,)):
                sc = scancode(texts[:n], max(1, args.runs // 2), labels, procs)
                ours = figures.get(f"license_{n}_s")
                figures[f"scancode_{n}_n{procs}_s"] = sc["seconds"]
                rows.append((f"scancode --license -n {procs}, {n} text(s), whole process", f"{sc['seconds']:.2f} s",
                             f"{sc['rss']} MB", f"openscope {sc['seconds'] / ours:.1f}x faster" if ours else "-"))
                if n == len(texts) and procs == 1:
                    rows.append(("scancode identification accuracy", f"{sc['accuracy']:.2f} of {sc['scored']}",
                                 "-", "-"))
                    figures["scancode_s"] = sc["seconds"]

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    print(f"openscope benchmarks — {time.strftime('%Y-%m-%d')} — {machine} — median of {args.runs} runs\n")
    widths = [max(len(r[i]) for r in rows + [("what", "figure", "peak RSS", "target")]) for i in range(4)]
    header = ("what", "figure", "peak RSS", "target")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
