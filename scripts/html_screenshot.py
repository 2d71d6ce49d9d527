#!/usr/bin/env python3
"""Render a 40-model `--format html` report in headless Chromium and save docs/html-report.png.

    python scripts/html_screenshot.py [--output docs/html-report.png]

The 40 models are well-known Hub ids from the offline registry snapshot and four closed-API names,
assessed offline and judged by the built-in default policy, so the picture needs no network. The helpers
here (the model list, running Chromium, reading its PNG) are the ones tests/test_html_report.py uses.
Needs Debian's `chromium` at /usr/bin/chromium (or $CHROMIUM).
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SHOWCASE = [
    "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.2-1B", "meta-llama/Llama-2-7b-hf",
    "meta-llama/Meta-Llama-3-8B", "google/gemma-2-2b", "google/gemma-2-9b-it", "mistralai/Mistral-7B-v0.1",
    "mistralai/Mixtral-8x7B-Instruct-v0.1", "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-72B-Instruct",
    "allenai/OLMo-7B", "allenai/OLMo-2-1124-7B", "EleutherAI/pythia-160m", "EleutherAI/gpt-neox-20b",
    "HuggingFaceTB/SmolLM2-135M", "microsoft/phi-2", "microsoft/Phi-3-mini-4k-instruct", "tiiuae/falcon-7b",
    "tiiuae/falcon-180B", "bigscience/bloom", "stabilityai/stable-diffusion-xl-base-1.0",
    "stabilityai/stable-diffusion-3-medium", "black-forest-labs/FLUX.1-dev", "black-forest-labs/FLUX.1-schnell",
    "openai/whisper-large-v3", "google-bert/bert-base-uncased", "hfl/chinese-llama-2-7b",
    "TheBloke/Llama-2-7B-GGUF", "HuggingFaceH4/zephyr-7b-beta", "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/deepseek-llm-7b-base", "LLM360/Amber", "mistralai/Mistral-Nemo-Instruct-2407",
    "CohereForAI/c4ai-command-r-plus", "databricks/dbrx-instruct", "01-ai/Yi-34B",
    "gpt-4o", "claude-3-5-sonnet-20241022", "gemini-1.5-pro", "gpt-4o-mini",
]
WINDOW = (1280, 2000)  # docs/html-report.png
CHART_WINDOW = (1280, 900)  # the tests: the verdict, the chart and the top of the matrix


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return path if Path(path).is_file() else None


def showcase_report():
    """The 40 models, assessed offline, judged by the built-in default policy."""
    from openscope.api import audit
    from openscope.data import DATA_DIR
    from openscope.policy import apply_policy, load_policy

    report = audit(SHOWCASE, offline=True)
    report.policy = apply_policy(load_policy(DATA_DIR / "policies" / "default.toml"), report)
    return report


def render_page(html_path: Path, png_path: Path, size=WINDOW) -> list[str]:
    """Screenshot the page; returns the console messages Chromium logged (the page has no script, so any
    message is an error: a failed load, a blocked fetch, a parse problem)."""
    chromium = chromium_path()
    if chromium is None:
        raise FileNotFoundError("chromium not found at /usr/bin/chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", f"--window-size={size[0]},{size[1]}",
             f"--screenshot={png_path}", html_path.resolve().as_uri()],
            capture_output=True, text=True, timeout=120)
    if not png_path.is_file():
        raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-500:]}")
    return [line for line in proc.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def read_png(path: Path):
    """A PNG as a numpy array (height, width, channels): 8-bit RGB or RGBA, as Chromium writes them."""
    import numpy as np

    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1)
        if kind == 0:
            cur = line.copy()
        elif kind == 1:  # Sub: a running sum along each channel
            cur = np.cumsum(line.reshape(width, channels), axis=0, dtype=np.uint64).astype(np.uint8).reshape(-1)
        elif kind == 2:
            cur = line + prev  # uint8 arithmetic wraps, as PNG wants
        elif kind in (3, 4):  # Average and Paeth depend on the pixel just decoded: plain Python is fastest
            cur_b, line_b, prev_b = bytearray(stride), line.tobytes(), prev.tobytes()
            for x in range(stride):
                left = cur_b[x - channels] if x >= channels else 0
                up = prev_b[x]
                if kind == 3:
                    pred = (left + up) >> 1
                else:
                    up_left = prev_b[x - channels] if x >= channels else 0
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                cur_b[x] = (line_b[x] + pred) & 0xFF
            cur = np.frombuffer(bytes(cur_b), dtype=np.uint8)
        else:
            raise ValueError(f"{path}: bad PNG filter {kind} on row {y}")
        out[y] = cur
        prev = cur
    return out.reshape(height, width, channels)[:, :, :3]


def longest_run(image, rgb: tuple[int, int, int]) -> int:
    """The longest horizontal run of pixels of exactly `rgb`: a chart bar, not a pill or a matrix cell."""
    import numpy as np

    hits = np.all(image == np.array(rgb, dtype=np.uint8), axis=2)
    padded = np.zeros((hits.shape[0], hits.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = hits
    edges = np.diff(padded, axis=1)
    starts, ends = np.argwhere(edges == 1), np.argwhere(edges == -1)
    return int((ends[:, 1] - starts[:, 1]).max()) if len(starts) else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", type=Path, default=ROOT / "docs" / "html-report.png")
    args = ap.parse_args(argv)
    from openscope.render.interface import render

    if chromium_path() is None:
        print("html_screenshot: chromium not found at /usr/bin/chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(render(showcase_report(), "html"), encoding="utf-8")
        console = render_page(page, args.output)
    for line in console:
        print(f"html_screenshot: console: {line}", file=sys.stderr)
    print(f"wrote {args.output}", file=sys.stderr)
    return 1 if console else 0


if __name__ == "__main__":
    sys.exit(main())
