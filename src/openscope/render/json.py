"""`--format json`: the SPEC §5 contract."""

from __future__ import annotations

import json

from openscope.render.interface import Format


def render_report(report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


render_license_report = render_report  # the license report is JSON the same way


FORMAT = Format("json", "The SPEC §5 JSON report.", render_report, render_license_report)
