"""Stage 1: turn what the user (or `scan`) wrote into typed model references (SPEC §3).

A reference is a Hub id (`org/name[@rev]`, or a pasted Hub URL), a local folder or card, a closed-API
name (`gpt-4o`, `provider:name`), or a local runtime's model name (`ollama:llama3.1:8b`), which is
reported as the Hub repo of its weights. Where a name was written can say what it is: `scan` passes
the provider its call reached (`usage`), so `command-r` in a Cohere client call is Cohere's API model.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from openscope.errors import InvalidRefError
from openscope.text.bounded import expand_user
from openscope.types import ModelRef

MAX_REF_LENGTH = 200
# Hugging Face repo ids: namespace/name, letters, digits, '-', '_', '.'; no '--' or '..'; <= 96 each.
_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
HUB_ID_RE = re.compile(rf"^(?P<repo>{_HUB_PART}/{_HUB_PART})(?:@(?P<rev>[A-Za-z0-9._/-]{{1,255}}))?$")
LEGACY_ID_RE = re.compile(rf"^(?P<repo>{_HUB_PART})(?:@(?P<rev>[A-Za-z0-9._/-]{{1,255}}))?$")
PROVIDER_RE = re.compile(r"^(?P<provider>[a-z][a-z0-9_-]{1,30}):(?P<name>[^/\s:][^\s]*)$")
# https://huggingface.co/org/name[/tree|blob|resolve|commit/REV[/file]], also hf.co and without a scheme.
HUB_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<path>[^?#\s]+?)/?(?:[?#]\S*)?$", re.IGNORECASE)
_NOT_MODEL_PREFIXES = {"datasets": "a dataset", "spaces": "a Space", "collections": "a collection",
                       "papers": "a paper", "docs": "documentation", "blog": "a blog post", "organizations": "an org"}
# Usage marker for a Hub loader (transformers, diffusers, ...): the text is read as a Hub id.
HUB_USAGE = "hub"
MODEL_FILES = ("README.md", "LICENSE", "LICENSE.txt", "LICENSE.md", "USE_POLICY.md", "config.json", "NOTICE")
_INLINE_COMMENT = re.compile(r"\s+#.*$")


def _looks_like_path(text: str) -> bool:
    # Only the part before '@' counts: Hub revisions such as refs/pr/1 contain slashes.
    head = text.split("@", 1)[0]
    return head.startswith((".", "/", "~")) or "\\" in head or head.endswith((".md", ".txt")) or head.count("/") > 1


def is_hub_url(text: str) -> bool:
    return HUB_URL_RE.match(text.strip()) is not None


def parse_hub_url(text: str, raw: str | None = None) -> ModelRef:
    """`https://huggingface.co/org/name/tree/rev` -> the Hub ref; a dataset or Space URL is an InvalidRefError."""
    raw = text if raw is None else raw
    m = HUB_URL_RE.match(text.strip())
    if m is None:
        raise InvalidRefError(raw, f"{raw!r}: not a Hugging Face Hub URL")
    parts = [unquote(p) for p in m["path"].split("/") if p]
    if parts and parts[0].lower() in _NOT_MODEL_PREFIXES:
        raise InvalidRefError(raw, f"{raw!r}: links to {_NOT_MODEL_PREFIXES[parts[0].lower()]} on the Hub, not a model")
    if parts and parts[0].lower() == "models":
        parts = parts[1:]
    if len(parts) < 2:
        raise InvalidRefError(raw, f"{raw!r}: a Hub URL names a model as https://huggingface.co/org/name")
    repo = f"{parts[0]}/{parts[1]}"
    revision = None
    if len(parts) >= 4 and parts[2] in ("tree", "blob", "resolve", "commit", "raw"):
        revision = parts[3]
        if revision == "refs" and len(parts) >= 6 and parts[4] in ("pr", "convert"):
            revision = "/".join(parts[3:6])  # refs/pr/1 written unescaped
    elif len(parts) > 2 and parts[2] not in ("discussions", "commits", "settings"):
        raise InvalidRefError(raw, f"{raw!r}: not a model page "
                                   "(expected /tree/REV, /blob/REV/FILE or /resolve/REV/FILE)")
    m = HUB_ID_RE.match(repo if revision is None else f"{repo}@{revision}")
    if m is None or "--" in repo or ".." in repo:
        raise InvalidRefError(raw, f"{raw!r}: {repo!r} is not a valid Hub id")
    return ModelRef(raw=raw, kind="hub", id=m["repo"], revision=m["rev"])


def _did_you_mean(registry, name: str) -> str:
    close = registry.suggest(name)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _runtime_ref(raw: str, name: str, runtime: str, registry) -> ModelRef:
    """A local runtime's model name -> the Hub repo of those weights (or hf.co/org/repo[:quant] directly)."""
    label = registry.local_runtimes.get(registry.runtime_key(runtime), {}).get("name", runtime)
    direct = re.match(r"^(?:https?://)?(?:hf\.co|huggingface\.co)/([^/\s:]+/[^/\s:]+)(?::\S+)?$", name)
    if direct:
        return ModelRef(raw=raw, kind="hub", id=direct.group(1))
    repo = registry.runtime_repo(runtime, name)
    if repo is None:
        raise InvalidRefError(raw, f"{name!r}: not an {label} library name with a known Hub repository "
                                   f"(models_registry/closed_api.yaml, local_runtimes.{registry.runtime_key(runtime)})")
    entry = registry.hub(repo)
    return ModelRef(raw=raw, kind="hub", id=entry.id if entry else repo)


def parse_ref(text: str, registry=None, *, usage: str | None = None) -> ModelRef:
    """Classify one reference. Raises InvalidRefError with a message naming it.

    `usage` is what the place the text was found says about it: a provider key or alias (a hosted
    API client), a local runtime (`ollama`), or HUB_USAGE / None (read the text on its own).
    """
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

    if usage not in (None, HUB_USAGE):
        if registry.runtime_key(usage):
            return _runtime_ref(raw, text, usage, registry)
        pkey = registry.provider_key(usage)
        if pkey is not None:
            api = registry.match_api(text, provider=pkey)
            if api is None:
                label = registry.providers[pkey].get("name", pkey)
                raise InvalidRefError(raw, f"{shown!r}: not a known {label} model name{_did_you_mean(registry, text)}")
            return ModelRef(raw=raw, kind="api", id=api.name, provider=api.provider)

    if is_hub_url(text):
        return parse_hub_url(text, raw)

    m = PROVIDER_RE.match(text)
    if m and registry.runtime_key(m["provider"]):
        return _runtime_ref(raw, m["name"], m["provider"], registry)
    if m and registry.is_provider(m["provider"]):
        api = registry.match_api(m["name"], provider=m["provider"])
        if api is None:
            raise InvalidRefError(raw, f"{shown!r}: not a known {m['provider']} model name"
                                       f"{_did_you_mean(registry, m['name'])}")
        return ModelRef(raw=raw, kind="api", id=api.name, provider=api.provider)

    path = expand_user(text)
    if _looks_like_path(text) or (path.exists() and not HUB_ID_RE.match(text)) or (path.is_dir() and "/" in text):
        api = registry.match_api(text) if text.count("/") > 1 else None  # accounts/fireworks/models/x
        if api is not None and not path.exists():
            return ModelRef(raw=raw, kind="api", id=api.name, provider=api.provider)
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
    if m and registry.hub(f"sentence-transformers/{m['repo']}") is not None:
        # sentence-transformers resolves a bare name in its own Hub organisation (all-mpnet-base-v2).
        entry = registry.hub(f"sentence-transformers/{m['repo']}")
        return ModelRef(raw=raw, kind="hub", id=entry.id, revision=m["rev"])

    raise InvalidRefError(
        raw, f"{shown!r}: not a Hub id (org/name[@revision]), a local model folder or card, or a known API model name"
        f"{_did_you_mean(registry, text)}"
    )


def ref_lines(text: str) -> list[tuple[int, str]]:
    """A list of references, one a line: (line number, entry). `#` starts a comment (at line start,
    or after whitespace, so `org/x#y` stays whole); blank lines are skipped; a BOM is dropped."""
    out = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        entry = _INLINE_COMMENT.sub("", line).strip()
        if entry and not entry.startswith("#"):
            out.append((number, entry))
    return out
