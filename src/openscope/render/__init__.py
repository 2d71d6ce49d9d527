"""Stage 7: output formats, each a small module with the same two functions.

    render_report(report: Report) -> str
    render_license_report(report: LicenseReport) -> str   (optional)
"""

from __future__ import annotations

import importlib

FORMATS = ("table", "json", "markdown", "sarif", "cyclonedx")


def _module(fmt: str):
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    return importlib.import_module(f"openscope.render.{fmt}")


def render(report, fmt: str) -> str:
    from openscope.types import LicenseReport

    mod = _module(fmt)
    if isinstance(report, LicenseReport):
        fn = getattr(mod, "render_license_report", None)
        if fn is None:
            raise ValueError(f"format {fmt!r} is not available for license reports")
        return fn(report)
    return mod.render_report(report)
