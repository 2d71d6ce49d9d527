"""Candidate string -> ModelRef, a reason it cannot be resolved, or None when it is no reference at all."""

from __future__ import annotations

from pathlib import Path

from openscope.errors import InvalidRefError
from openscope.refs import parse_ref
from openscope.scan.candidates import Candidate
from openscope.types import ModelRef

UNKNOWN_NAME = "unknown model name"


class CandidateResolver:
    def __init__(self, not_references: dict, registry=None):
        if registry is None:
            from openscope.registry import load_registry

            registry = load_registry()
        self.registry = registry
        self.mime_types = {m.lower() for m in not_references.get("mime_types", ())}
        self.file_suffixes = tuple(s.lower() for s in not_references.get("file_suffixes", ()))
        self._cache: dict[str, ModelRef | str | None] = {}

    def is_decoy(self, text: str) -> bool:
        """Strings in code and configs that look nothing like a model reference."""
        name = text.split("@", 1)[0]
        return (
            not text
            or any(c.isspace() for c in text)                   # prose
            or "://" in text or text.startswith("www.")         # URLs
            or ("/" in name and name.split("/", 1)[0].lower() in self.mime_types)  # application/json
            or name.lower().endswith(self.file_suffixes)        # weights.bin, config.json
            or name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1  # file paths
        )

    def resolve(self, candidate: Candidate, base_dir: Path) -> ModelRef | str | None:
        text = candidate.text.strip()
        if candidate.explicit:
            return self._resolve_declared(text, base_dir)
        if text not in self._cache:
            self._cache[text] = self._resolve_found(text)
        return self._cache[text]

    def _resolve_found(self, text: str) -> ModelRef | str | None:
        if self.is_decoy(text):
            return None
        try:
            ref = parse_ref(text, self.registry)
        except InvalidRefError as exc:
            return f"{UNKNOWN_NAME}: {exc}"
        return None if ref.kind == "local" else ref  # a folder on disk, not something to audit

    def _resolve_declared(self, text: str, base_dir: Path) -> ModelRef | str:
        """Manifest entries: a local path is relative to the manifest; anything unparseable is reported."""
        if text.startswith((".", "/", "~")) or "\\" in text:
            path = Path(text).expanduser()
            target = path if path.is_absolute() else base_dir / path
            try:
                ref = parse_ref(str(target), self.registry)
            except InvalidRefError as exc:
                return str(exc)
            return ModelRef(raw=text, kind=ref.kind, id=ref.id, revision=ref.revision,
                            provider=ref.provider, path=ref.path)
        try:
            return parse_ref(text, self.registry)
        except InvalidRefError as exc:
            return f"{UNKNOWN_NAME}: {exc}"


def ref_key(ref: ModelRef) -> tuple:
    """References that name the same model (Hub ids are case-insensitive)."""
    model_id = ref.id.lower() if ref.kind == "hub" else ref.id
    return ref.kind, model_id, ref.revision, ref.provider
