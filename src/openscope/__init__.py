"""openscope: how open is an AI model really, and what will its license stop you doing?

The library is the product; the CLI is a thin shell over it.

    >>> import openscope
    >>> report = openscope.audit(["gpt-4o"], offline=True)
    >>> report.models[0].spectrum
    'closed-api'

Heavy dependencies (spaCy, scikit-learn, huggingface_hub, pydantic, rich) are imported only by the
stage that needs them, so importing this package and auditing registry models stays cheap.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "audit", "analyze_license_files"]


def audit(refs, **options):
    """Assess model references (Hub ids, local paths, closed-API names). See pipeline.audit."""
    from openscope.pipeline import audit as _audit

    return _audit(refs, **options)


def analyze_license_files(paths, **options):
    """Identify license texts and flag their restrictions. See pipeline.analyze_license_files."""
    from openscope.pipeline import analyze_license_files as _analyze

    return _analyze(paths, **options)
