"""Candidate string -> ModelRef, a reason it cannot be resolved, or None when it is no reference at all.

Order: a Hub URL; a litellm `provider/name` string; the provider the place says (a client, a host,
a `provider:` key) - then the name must be that provider's; decoys (paths, URLs, MIME types, prose);
the slot's own hint (GROQ_MODEL); the text on its own. What an unresolvable string becomes depends
on how sure the place is (candidates.py): the model argument of a known call is always reported, a
model-named slot when the string looks like a model name, a `repo_id` when it is not known as a
model, a loose string never.
"""

from __future__ import annotations

import re
from pathlib import Path

from openscope.errors import InvalidRefError
from openscope.text.bounded import expand_user, inside
from openscope.refs import HUB_USAGE, is_hub_url, parse_hub_url, parse_ref
from openscope.scan.candidates import AMBIGUOUS, CALL, LOOSE, SLOT, Candidate
from openscope.types import ModelRef

UNKNOWN_NAME = "unknown model name"
_MODEL_SHAPE = re.compile(r"[/:\-]|\d")


def looks_like_model_name(text: str) -> bool:
    """`house-model-v1`, `llama3`, `org/x` do; `user`, `default`, `auth.User` do not."""
    return 0 < len(text) <= 200 and not any(c.isspace() for c in text) and _MODEL_SHAPE.search(text) is not None


class CandidateResolver:
    def __init__(self, not_references: dict, registry=None, rules=None):
        if registry is None:
            from openscope.registry import load_registry

            registry = load_registry()
        self.registry = registry
        self.rules = rules
        self.mime_types = {m.lower() for m in not_references.get("mime_types", ())}
        self.path_folders = {f.lower() for f in not_references.get("path_folders", ())}
        self.file_suffixes = tuple(s.lower() for s in not_references.get("file_suffixes", ()))
        self._cache: dict[tuple, ModelRef | str | None] = {}
        self._folders: dict[tuple[str, str], bool] = {}
        self.boundary: str | None = None  # set by the scanner: a listed local path outside it is not read

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
            or ("/" in name and name.split("/", 1)[0].lower() in self.path_folders)  # models/llama-3-8b
        )

    def resolve(self, candidate: Candidate, base_dir: Path) -> ModelRef | str | None:
        text = candidate.text.strip()
        if candidate.explicit:
            return self._resolve_declared(text, base_dir)
        key = (text, candidate.strength, candidate.usage, candidate.hint, candidate.slot_name)
        if key not in self._cache:
            self._cache[key] = self._resolve_found(text, candidate)
        found = self._cache[key]
        if isinstance(found, ModelRef) and found.kind == "hub" and "/" in text and "://" not in text \
                and self._is_local_folder(base_dir, text):
            return None  # `org/name`-shaped, but a folder next to the file: a local path
        return found

    def _is_local_folder(self, base_dir: Path, text: str) -> bool:
        key = (str(base_dir), text)
        if key not in self._folders:
            try:
                self._folders[key] = (base_dir / text.split("@", 1)[0]).is_dir()
            except OSError:
                self._folders[key] = False
        return self._folders[key]

    # -- found in code and configs --------------------------------------------------------------
    def _parse(self, text: str, usage: str | None) -> ModelRef | str:
        try:
            return parse_ref(text, self.registry, usage=usage)
        except InvalidRefError as exc:
            return str(exc)

    def _litellm(self, text: str) -> tuple[str, str | None, bool] | str | None:
        """`groq/llama-3.1-8b-instant` -> (name, usage, fallback to a Hub id?); a reason for runtimes whose
        names say nothing about weights; None when the text is no litellm string."""
        if self.rules is None or "/" not in text or self.registry.has_hub(text.split("@", 1)[0]):
            return None
        prefix, rest = text.split("/", 1)
        if prefix in self.rules.opaque_runtimes:
            return f"litellm provider {prefix!r} serves local models, not a Hub id or API model"
        target = self.rules.litellm.get(prefix)
        if target is None or not rest:
            return None
        return rest, target, prefix in self.rules.litellm_hub_orgs

    def _resolve_found(self, text: str, cand: Candidate) -> ModelRef | str | None:
        if is_hub_url(text):
            try:
                return parse_hub_url(text)
            except InvalidRefError:
                return None  # a link to a dataset, a Space or the docs: not a model
        original = text
        usage = cand.usage
        fallback_to_hub = False
        litellm = self._litellm(text)
        if isinstance(litellm, str):
            return _unless_loose(cand, litellm)
        if litellm is not None:
            text, usage, fallback_to_hub = litellm
            if usage == HUB_USAGE:
                usage = None
        lenient = self.rules is not None and self.registry.provider_key(usage or "") in self.rules.lenient
        if usage not in (None, HUB_USAGE) and not lenient:
            result = self._parse(text, usage)
            if isinstance(result, ModelRef):
                return result
            if not fallback_to_hub:
                return self._failed(cand, text, f"{UNKNOWN_NAME}: {result}")
            text = cand.text.strip()  # openai/clip-vit-base-patch32: a Hub id after all
        if self.is_decoy(text) and not (text.count("/") > 1 and self.registry.match_api(text)):
            return None
        for attempt in ((usage, cand.hint) if lenient else (cand.hint,)):
            if attempt not in (None, HUB_USAGE):
                result = self._parse(text, attempt)
                if isinstance(result, ModelRef):
                    return result
        result = self._parse(text, HUB_USAGE if usage == HUB_USAGE else None)
        if isinstance(result, str) and fallback_to_hub and text != original:
            result = self._parse(original, None)  # openai/clip-vit-base: a Hub id after all
        if isinstance(result, str):
            return self._failed(cand, text, f"{UNKNOWN_NAME}: {result}")
        if result.kind == "local":
            return None  # a folder on disk, not something to audit
        if cand.strength == AMBIGUOUS and not self._known(result):
            return (f"{cand.slot_name or 'repo id'} {text!r} is not known as a model (not in the registry "
                    "snapshot, and nothing around it says it is a model repo); not assessed")
        return result

    def _known(self, ref: ModelRef) -> bool:
        return ref.kind == "api" or self.registry.has_hub(ref.id)

    def _failed(self, cand: Candidate, text: str, reason: str) -> str | None:
        if cand.strength == CALL or (cand.strength in (SLOT, AMBIGUOUS) and looks_like_model_name(text)):
            return reason
        return None

    # -- declared in manifests ----------------------------------------------------------------------
    def _resolve_declared(self, text: str, base_dir: Path) -> ModelRef | str:
        """Manifest entries: a local path is relative to the manifest; anything unparseable is reported."""
        if text.startswith((".", "/", "~")) or "\\" in text:
            path = expand_user(text)
            target = path if path.is_absolute() else base_dir / path
            if self.boundary is not None and not inside(target, self.boundary):
                return "local path resolves outside the scanned folder; not read"
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


def _unless_loose(cand: Candidate, reason: str) -> str | None:
    return None if cand.strength == LOOSE else reason


def ref_key(ref: ModelRef) -> tuple:
    """References that name the same model (Hub ids are case-insensitive)."""
    model_id = ref.id.lower() if ref.kind == "hub" else ref.id
    return ref.kind, model_id, ref.revision, ref.provider
