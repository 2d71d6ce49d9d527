"""openscope: how open is an AI model really, and what will its license stop you doing?

The library is the product; the CLI is a thin shell over it.

    >>> import openscope
    >>> report = openscope.audit(["gpt-4o"], offline=True)
    >>> report.models[0].spectrum
    'closed-api'

Heavy dependencies (spaCy, scikit-learn, huggingface_hub, pydantic, rich) are imported only by the
stage that needs them, so importing this package and auditing registry models stays cheap.
"""

from openscope._version import __version__

__all__ = ["__version__", "audit", "analyze_license_files"]


def audit(refs, **options):
    """Assess model references (Hub ids, local paths, closed-API names). See api.audit."""
    from openscope.api import audit as _audit

    return _audit(refs, **options)


def analyze_license_files(paths, **options):
    """Identify license texts and flag their restrictions. See api.analyze_license_files."""
    from openscope.api import analyze_license_files as _analyze

    return _analyze(paths, **options)
