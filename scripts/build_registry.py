#!/usr/bin/env python3
"""Build src/openscope/models_registry/hub_models.json and SNAPSHOT from a checkout.

    python scripts/build_registry.py [--corpus DIR] [--output-dir DIR] [--sources-dir DIR] [--refresh FILE]

A thin wrapper: the builder ships in the package (openscope/sources/registry_build.py, also run as
`openscope registry build`). Here the output defaults to this checkout's src/openscope/models_registry and
the corpus to $OPENSCOPE_CORPUS or ../shared/corpus beside the checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openscope.sources.registry_build import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(default_output=ROOT / "src" / "openscope" / "models_registry",
                  corpus_fallback=ROOT.parent / "shared" / "corpus"))
