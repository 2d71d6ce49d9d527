"""What an output format is, and the one registry of formats.

A format is one module in this package that defines `FORMAT = Format(...)`; the registry finds the
modules by name (the module name is the format name) and imports one only when it is used, so the
command line's choices come from here without loading every renderer at start-up.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openscope.errors import InputError

_NOT_FORMATS = {"interface", "shared", "notice", "diff"}  # the registry, shared helpers; notice and diff render no report


@dataclass(frozen=True)
class Format:
    name: str
    summary: str  # one line for --help and the docs
    render_report: Callable  # Report -> str
    render_license_report: Callable | None = None  # LicenseReport -> str, when the format has one


@functools.cache
def format_names() -> tuple[str, ...]:
    import openscope.render as package

    found = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name not in _NOT_FORMATS)
    # The contract's formats first (SPEC §4), in its order; any other after them.
    contract = ("table", "json", "markdown", "sarif", "cyclonedx")
    return tuple([n for n in contract if n in found] + [n for n in found if n not in contract])


@functools.cache
def get_format(name: str) -> Format:
    if name not in format_names():
        raise InputError(f"unknown format {name!r}; expected one of {', '.join(format_names())}")
    return importlib.import_module(f"openscope.render.{name}").FORMAT


class FormatChoices(Sequence):
    """Format names for a click.Choice, found only when the option is parsed or its help is shown."""

    def __init__(self, licenses: bool = False):
        self.licenses = licenses

    @functools.cached_property
    def _names(self) -> tuple[str, ...]:
        if not self.licenses:
            return format_names()
        return tuple(n for n in format_names() if get_format(n).render_license_report is not None)

    def __getitem__(self, i):
        return self._names[i]

    def __len__(self) -> int:
        return len(self._names)


def render(report, fmt: str) -> str:
    """The report (a Report or a LicenseReport) in format `fmt`."""
    from openscope.types import LicenseReport

    form = get_format(fmt)
    if isinstance(report, LicenseReport):
        if form.render_license_report is None:
            raise InputError(f"format {fmt!r} is not available for license reports")
        return form.render_license_report(report)
    return form.render_report(report)
