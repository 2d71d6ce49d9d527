"""openscope's own cache of Hub answers, so that `--offline` can repeat an online audit.

huggingface_hub caches downloaded files but not `model_info`. We keep a small JSON record of the
facts `model_info` gave (card data, gated, tags, files, the datasets' card data) per repo and commit,
plus a pointer from each revision asked (`main`, a tag, a branch) to the commit it resolved to:

    <root>/models/<org>--<name>/<sha>.json
    <root>/models/<org>--<name>/refs/<url-quoted revision>      (text: the 40-hex sha)

Records are immutable per commit and written atomically, so concurrent runs never see half a file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

RECORD_SCHEMA = "openscope.hubcache/1"
DEFAULT_REVISION = "main"
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


def default_cache_dir() -> Path:
    """$OPENSCOPE_CACHE, else `openscope/` under the Hugging Face home (~/.cache/huggingface)."""
    from openscope.data import cache_root

    return cache_root()


def _repo_folder(repo_id: str) -> str:
    return repo_id.lower().replace("/", "--")


def _atomic_write(path: Path, text: str) -> None:
    from openscope.data import write_atomically

    write_atomically(path, text)


class FactCache:
    """JSON records of model_info facts keyed by repo and commit sha (no network, ever)."""

    def __init__(self, root: Path | str | None = None):
        self._root = Path(root) if root is not None else None

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = default_cache_dir()
        return self._root

    def _dir(self, repo_id: str) -> Path:
        return self.root / "models" / _repo_folder(repo_id)

    def store(self, repo_id: str, revision: str | None, record: dict) -> None:
        """Save a record under its sha and point `revision` at it, for the id that was asked only: an answer
        naming another id (a rename, or a mirror claiming another model) never writes that id's record."""
        sha = record.get("sha")
        if not sha or not COMMIT_RE.match(sha):
            return  # without a commit there is nothing stable to key on
        body = json.dumps({"schema": RECORD_SCHEMA, **record}, indent=1, sort_keys=True, default=str)
        folder = self._dir(repo_id.lower())
        _atomic_write(folder / f"{sha}.json", body)
        _atomic_write(folder / "refs" / quote(revision or DEFAULT_REVISION, safe=""), sha)

    def has_records(self, repo_id: str) -> bool:
        """Whether any record of `repo_id` is kept (at any revision): an offline fetch of it may be answered here."""
        return self._dir(repo_id).exists()

    def load(self, repo_id: str, revision: str | None) -> dict | None:
        """The record for `repo_id` at `revision` (branch, tag or sha), or None when not cached."""
        folder = self._dir(repo_id)
        rev = revision or DEFAULT_REVISION
        if COMMIT_RE.match(rev):
            sha = rev
        else:
            try:
                sha = (folder / "refs" / quote(rev, safe="")).read_text(encoding="utf-8").strip()
            except OSError:
                return None
        try:
            record = json.loads((folder / f"{sha}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged record is a cache miss, never a crash
        if not isinstance(record, dict) or record.get("schema") != RECORD_SCHEMA:
            return None
        return record
