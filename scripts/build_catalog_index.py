#!/usr/bin/env python3
"""Regenerate src/openscope/licenses/catalog.index.json from the catalog YAML files.

The index only speeds up loading; the YAML files stay the reviewable source of truth. Run this
after editing any file under src/openscope/licenses/catalog/ (a test fails while it is stale).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openscope.catalog import INDEX_FILE, build_index  # noqa: E402

index = build_index()
INDEX_FILE.write_text(json.dumps(index, indent=1, default=str) + "\n", encoding="utf-8")
print(f"wrote {INDEX_FILE} ({len(index['entries'])} entries)")
