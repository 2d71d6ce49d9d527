"""Stage 1: turn what the user (or `scan`) wrote into typed model references (SPEC §3)."""

from __future__ import annotations

import re
from pathlib import Path

from openscope.errors import InvalidRefError
from openscope.types import ModelRef

MAX_REF_LENGTH = 200
# Hugging Face repo ids: namespace/name, letters, digits, '-', '_', '.'; no '--' or '..'; <= 96 each.
_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
HUB_ID_RE = re.compile(rf"^(?P<repo>{_HUB_PART}/{_HUB_PART})(?:@(?P<rev>[A-Za-z0-9._/-]{{1,255}}))?$")
LEGACY_ID_RE = re.compile(rf"^(?P<repo>{_HUB_PART})(?:@(?P<rev>[A-Za-z0-9._/-]{{1,255}}))?$")
PROVIDER_RE = re.compile(r"^(?P<provider>[a-z][a-z0-9_-]{1,30}):(?P<name>[^/\s:][^\s]*)$")
MODEL_FILES = ("README.md", "LICENSE", "LICENSE.txt", "LICENSE.md", "USE_POLICY.md", "config.json", "NOTICE")


def _looks_like_path(text: str) -> bool:
    # Only the part before '@' counts: Hub revisions such as refs/pr/1 contain slashes.
    head = text.split("@", 1)[0]
    return head.startswith((".", "/", "~")) or "\\" in head or head.endswith((".md", ".txt")) or head.count("/") > 1


def parse_ref(text: str, registry=None) -> ModelRef:
    """Classify one reference. Raises InvalidRefError with a message naming it."""
    raw = text
    text = text.strip()
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    if not text:
        raise InvalidRefError(raw, "empty model reference")
    if len(text) > MAX_REF_LENGTH:
        raise InvalidRefError(raw, f"{shown!r}: reference is {len(text)} characters long (at most {MAX_REF_LENGTH})")
    if any(ord(c) < 32 for c in text):
        raise InvalidRefError(raw, f"{shown!r}: reference contains control characters")

    if registry is None:
        from openscope.registry import load_registry

        registry = load_registry()

    m = PROVIDER_RE.match(text)
    if m and registry.is_provider(m["provider"]):
        api = registry.match_api(m["name"], provider=m["provider"])
        if api is None:
            raise InvalidRefError(raw, f"{shown!r}: not a known {m['provider']} model name")
        return ModelRef(raw=raw, kind="api", id=api.name, provider=api.provider)

    path = Path(text).expanduser()
    if _looks_like_path(text) or (path.exists() and not HUB_ID_RE.match(text)) or (path.is_dir() and "/" in text):
        return ModelRef(raw=raw, kind="local", id=str(path), path=path)

    api = registry.match_api(text)
    if api is not None:
        return ModelRef(raw=raw, kind="api", id=api.name, provider=api.provider)

    m = HUB_ID_RE.match(text)
    if m and "--" not in m["repo"] and ".." not in m["repo"]:
        return ModelRef(raw=raw, kind="hub", id=m["repo"], revision=m["rev"])

    m = LEGACY_ID_RE.match(text)
    if m and registry.hub(m["repo"]) is not None:
        # Canonical ids without a namespace (gpt2, bert-base-uncased) are Hub models too.
        return ModelRef(raw=raw, kind="hub", id=registry.hub(m["repo"]).id, revision=m["rev"])

    raise InvalidRefError(
        raw, f"{shown!r}: not a Hub id (org/name[@revision]), a local model folder or card, or a known API model name"
    )
