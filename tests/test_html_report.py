"""`--format html`: a self-contained page, checked as text and rendered in real headless Chromium.

The browser tests need Debian's chromium at /usr/bin/chromium (`apt-get install chromium`) and skip with that
reason when it is absent. They share their helpers (the 40-model showcase, running Chromium, reading its PNG)
with scripts/html_screenshot.py, which makes docs/html-report.png.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from openscope.render.html import SPECTRUM_COLOR
from openscope.render.interface import render
from openscope.types import Evidence, FlagFinding, LicenseInfo, ModelReport, Report
from openscope.vocabulary import flag_names

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import html_screenshot as shot  # noqa: E402

needs_chromium = pytest.mark.skipif(
    shot.chromium_path() is None,
    reason="headless browser test: /usr/bin/chromium is absent (apt-get install chromium)")


@pytest.fixture(scope="module")
def showcase():
    report = shot.showcase_report()
    assert len(report.models) == 40
    return report


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def tune_report() -> Report:
    flag = FlagFinding(flag="user-cap", thresholds={"users": 700000000}, source="catalog",
                       inherited_from="meta/base",
                       evidence=[Evidence(file="catalog:llama3.1", section="2", quote="caps at <700M> users & more")])
    tune = ModelReport(ref="acme/<b>tune</b>", id="acme/<b>tune</b>", kind="hub", provenance="local",
                       spectrum="open-weights", flags=[flag], base_models=["meta/base"],
                       license=LicenseInfo("mit", "MIT License", "declared", 1.0),
                       effective_license=LicenseInfo("llama3.1", "Llama 3.1 Community License Agreement", "lineage",
                                                     1.0, "https://example.org/llama"),
                       effective_license_from="meta/base")
    return Report(models=[tune, ModelReport(ref="x/open", id="x/open", kind="hub", provenance="registry",
                                            spectrum="fully-open")])


def test_page_is_self_contained_and_escapes_report_text():
    page = render(tune_report(), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r'\bsrc\s*=', page) and "url(http" not in page  # nothing is fetched at view time
    assert "<b>tune</b>" not in page and "acme/&lt;b&gt;tune&lt;/b&gt;" in page
    assert "caps at &lt;700M&gt; users &amp; more" in page  # the evidence quote, escaped


def test_page_has_chart_matrix_evidence_lineage_and_governing_license():
    page = render(tune_report(), "html")
    assert '<svg id="spectrum-chart"' in page and page.count('class="bar"') == 2  # two spectrum values in use
    matrix = page[page.index('id="restriction-matrix"'):page.index("</table>", page.index('id="restriction-matrix"'))]
    assert all(f">{flag}</th>" in matrix for flag in flag_names())
    assert 'class="lineage"' in page and "meta/base (terms govern)" in page
    assert "Llama 3.1 Community License Agreement" in page and "declared license" in page
    assert render(tune_report(), "html") == page  # deterministic: no timestamp, sorted models


def test_page_shows_the_policy_verdict(showcase):
    page = render(showcase, "html")
    verdict = re.search(r'<div class="verdict (pass|fail)" id="verdict">([^<]+)', page)
    assert verdict and ("failed" if not showcase.policy.passed else "passed") in verdict.group(2)
    errors = [v for v in showcase.policy.violations if v.severity == "error"]
    assert all(v.message in page for v in errors)


@needs_chromium
def test_40_model_page_renders_in_chromium_without_console_errors_and_shows_the_chart(showcase, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(showcase, "html"), encoding="utf-8")
    png = tmp_path / "report.png"
    console = shot.render_page(page, png, shot.CHART_WINDOW)
    assert console == []
    image = shot.read_png(png)
    assert image.shape[:2] == (shot.CHART_WINDOW[1], shot.CHART_WINDOW[0])
    counts = {s: sum(m.spectrum == s for m in showcase.models) for s in SPECTRUM_COLOR}
    biggest = max(counts, key=counts.get)
    # The chart's bars are long runs of one exact colour; pills and matrix cells are far shorter.
    assert shot.longest_run(image, hex_rgb(SPECTRUM_COLOR[biggest])) >= 400
    for spectrum, n in counts.items():
        if n:
            assert shot.longest_run(image, hex_rgb(SPECTRUM_COLOR[spectrum])) >= 2


@needs_chromium
def test_browser_checks_can_fail(showcase, tmp_path):
    # A console error is caught ...
    noisy = tmp_path / "noisy.html"
    noisy.write_text("<!DOCTYPE html><html><body><script>console.error('broken page')</script></body></html>",
                     encoding="utf-8")
    assert any("broken page" in line for line in shot.render_page(noisy, tmp_path / "noisy.png", (400, 300)))
    # ... and a page without the chart has no bar-length run of the bar colour.
    page = render(showcase, "html")
    start = page.index('<svg id="spectrum-chart"')
    no_chart = tmp_path / "no-chart.html"
    no_chart.write_text(page[:start] + page[page.index("</svg>", start) + 6:], encoding="utf-8")
    shot.render_page(no_chart, tmp_path / "no-chart.png", shot.CHART_WINDOW)
    image = shot.read_png(tmp_path / "no-chart.png")
    assert shot.longest_run(image, hex_rgb(SPECTRUM_COLOR["open-weights"])) < 100
