"""patterns.yaml, compiled once per scan: call rules, API clients and hosts, slot names, commands, and
the registry names that count wherever they are written."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from openscope.refs import is_hub_url
from openscope.scan.keys import SlotNames

# A quoted string that could be a model name (for the prefilter's registry check).
_QUOTED = re.compile(rb"""["']([A-Za-z0-9][A-Za-z0-9._:/@+-]{3,198})["']""")


@dataclass(frozen=True)
class CallRule:
    callee: tuple[str, ...]
    receiver: re.Pattern | None
    qualified: re.Pattern | None
    via: frozenset[str]
    args: tuple[int, ...]
    keywords: tuple[str, ...]
    revision: str | None
    usage: str | None
    base_url: tuple[str, ...]
    not_if: tuple[tuple[str, frozenset], ...]
    prefixes: tuple[tuple[str, str], ...]


class CallRules:
    """The `calls:` section of patterns.yaml, indexed by the last name of the callee."""

    def __init__(self, raw_rules: list[dict]):
        self.by_tail: dict[str, list[CallRule]] = {}
        for raw in raw_rules:
            receiver, qualified = raw.get("receiver"), raw.get("qualified")
            rule = CallRule(
                callee=tuple(raw["callee"].split(".")),
                receiver=re.compile(receiver) if receiver else None,
                qualified=re.compile(qualified) if qualified else None,
                via=frozenset(raw.get("via", ())),
                args=tuple(raw.get("args", ())),
                keywords=tuple(raw.get("keywords", ())),
                revision=raw.get("revision"),
                usage=raw.get("usage"),
                base_url=tuple(raw.get("base_url", ())),
                not_if=tuple((k, frozenset(v)) for k, v in (raw.get("not_if") or {}).items()),
                prefixes=tuple((raw.get("prefixes") or {}).items()),
            )
            self.by_tail.setdefault(rule.callee[-1], []).append(rule)

    def match(self, parts: list[str], qualified: str, client: str | None) -> CallRule | None:
        """`parts` is the dotted callee as written, outermost first (`client.chat.completions.create`);
        `qualified` the same with imports resolved; `client` the provider of the receiving client."""
        for rule in self.by_tail.get(parts[-1], ()):
            n = len(rule.callee)
            if len(parts) < n or tuple(parts[-n:]) != rule.callee:
                continue
            if rule.receiver is not None:
                if len(parts) <= n or not rule.receiver.fullmatch(parts[-n - 1]):
                    continue
            if rule.qualified is not None and not rule.qualified.fullmatch(qualified):
                continue
            if rule.via and client not in rule.via:
                continue
            return rule
        return None


@dataclass(frozen=True)
class ClientRule:
    constructor: re.Pattern | None
    module: str | None
    provider: str
    base_url: tuple[str, ...]
    service: re.Pattern | None
    flag: tuple[tuple[str, str], ...]


class ScanRules:
    """The rules of every kind of file. Those of one kind (Python calls and clients, shell commands, the
    Python prefilter) are compiled when a file of that kind is first read: a repository holding only a
    models list compiles none of them."""

    def __init__(self, patterns: dict, registry):
        self.registry = registry
        self._patterns = patterns
        self.hosts = sorted(patterns["provider_hosts"].items(), key=lambda kv: -len(kv[0]))
        http = patterns["http_calls"]
        self.http_callees = frozenset(http["callees"])
        self.http_url_keywords = tuple(http.get("url_keywords", ()))
        self.http_method_first = frozenset(http.get("method_first", ()))
        self.http_payload_keywords = frozenset(http.get("payload_keywords", ()))
        self.non_model_calls = frozenset(patterns["non_model_calls"])
        self.non_model_repo_types = frozenset(patterns["non_model_repo_types"])
        self.slots = SlotNames(patterns["keys"], registry)
        self.litellm = dict(patterns["litellm_providers"])
        self.litellm_hub_orgs = frozenset(patterns.get("litellm_hub_orgs", ()))
        self.lenient = frozenset(patterns.get("lenient_usage", ()))
        self.opaque_runtimes = frozenset(patterns.get("opaque_runtimes", ()))
        self._loose: frozenset[str] | None = None
        self._loose_bytes: frozenset[bytes] | None = None

    @functools.cached_property
    def calls(self) -> CallRules:
        return CallRules(self._patterns["calls"])

    @functools.cached_property
    def call_tails(self) -> frozenset[str]:
        return frozenset(self.calls.by_tail)

    @functools.cached_property
    def clients(self) -> list[ClientRule]:
        return [ClientRule(
            constructor=re.compile(c["constructor"]) if c.get("constructor") else None,
            module=c.get("module"), provider=c["provider"], base_url=tuple(c.get("base_url", ())),
            service=re.compile(c["service"]) if c.get("service") else None,
            flag=tuple((c.get("flag") or {}).items()),
        ) for c in self._patterns["clients"]]

    @functools.cached_property
    def client_modules(self) -> dict[str, str]:
        return {c.module: c.provider for c in self.clients if c.module}

    @functools.cached_property
    def any_constructor(self) -> re.Pattern:
        return re.compile("|".join(f"(?:{c.constructor.pattern})" for c in self.clients
                                   if c.constructor is not None) or "(?!)")

    @functools.cached_property
    def commands(self):
        from openscope.scan.commands import CommandScanner

        return CommandScanner(self._patterns["commands"], self._patterns["command_flags"], self.slots)

    @functools.cached_property
    def _trigger(self) -> tuple[bytes, ...]:
        """Words without which a Python file can hold no reference but a quoted registry name: model
        words and slot names, Hub URLs, the calls whose model argument is positional (or the module
        or client such a call needs), and model keywords without a model word (`engine=`)."""
        patterns = self._patterns
        keys = patterns["keys"]
        found = {*keys["model_words"], *keys["names"], *keys.get("conditional_words", {}), "huggingface.co", "hf.co"}
        found.update(name.replace("_", "") for name in keys["names"])  # adapterNameOrPath, lower-cased
        for rule in patterns["calls"]:
            found.update(k for k in rule.get("keywords", ()) if not any(w in k.lower() for w in keys["model_words"]))
            if rule.get("args"):
                if rule.get("via"):
                    found.update(rule["via"])  # ollama.chat(...): the file imports ollama
                elif rule.get("qualified"):
                    found.add(re.split(r"[^A-Za-z0-9_]", rule["qualified"])[0])  # dspy, pydantic_ai, vertexai
                else:
                    found.add(rule["callee"].split(".")[-1])
        words = sorted({w.lower() for w in found}, key=len)
        # A word that contains another adds nothing (`model_name_or_path` holds `model`); the most
        # common first, since most files that have any have `model`.
        words = [w for i, w in enumerate(words) if not any(v in w for v in words[:i])]
        words.sort(key=lambda w: (w != "model", len(w)))
        return tuple(w.encode() for w in words)

    def python_may_hold(self, source: str | bytes) -> bool:
        """False only when a Python file cannot hold a reference: then it need not be parsed."""
        data = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
        lowered = data.lower()
        # Plain substring tests: Python's regex engine tries every alternative at every position, which
        # made one alternation of these words the slowest part of a scan.
        if any(word in lowered for word in self._trigger):
            return True
        return not self.loose_bytes.isdisjoint(_QUOTED.findall(lowered))

    # -- names that count wherever they are written -------------------------------------------
    @property
    def loose_names(self) -> frozenset[str]:
        """Exact strings that are models wherever they appear: Hub ids in the registry snapshot and
        closed-API names, lower-cased. Names that are also ordinary words (`command`, `o1`) are left
        out: only a slot makes them a reference."""
        if self._loose is None:
            names = {i.lower() for i in self.registry.hub_ids() if "/" in i}
            for prov in self.registry.providers.values():
                names.update(n.lower() for n in prov.get("names", ()) if "-" in n and len(n) >= 5)
            self._loose = frozenset(names)
        return self._loose

    @property
    def loose_bytes(self) -> frozenset[bytes]:
        if self._loose_bytes is None:
            self._loose_bytes = frozenset(n.encode() for n in self.loose_names)
        return self._loose_bytes

    def is_loose_reference(self, text: str) -> bool:
        if len(text) > 200 or not text:
            return False
        if text.lower() in self.loose_names:
            return True
        return text.startswith(("https://", "http://", "hf.co/", "huggingface.co/")) and is_hub_url(text)

    # -- hosts ------------------------------------------------------------------------------------
    def provider_of_url(self, url: str | None) -> str | None:
        """`https://api.groq.com/openai/v1` -> groq; None for an unknown host or no URL."""
        if not url:
            return None
        if "://" not in url:
            url = "http://" + url
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            netloc = f"{host}:{parts.port}" if parts.port else host
        except ValueError:
            return None
        for suffix, provider in self.hosts:
            target = netloc if ":" in suffix else host
            if target == suffix or target.endswith("." + suffix):
                return provider
        return None
