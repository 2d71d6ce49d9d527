"""`--format json`: the SPEC §5 contract."""

from __future__ import annotations

import json


def render_report(report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


render_license_report = render_report
