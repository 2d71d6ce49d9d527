"""Facts from the Hugging Face Hub (live) and from openscope's cache of earlier Hub answers.

`HubSource` asks `model_info` for card data, gating, tags, files and the commit sha, then downloads
README.md and every license-bearing file at that exact commit (so a warm cache needs no file
request at all). `CacheSource` rebuilds the same facts from openscope's JSON record and the
Hugging Face file cache without touching the network. Both assemble facts with `build_facts`, so
an offline answer equals the online one apart from provenance.

huggingface_hub is imported only inside functions: it is slow to import and `--help` must stay fast.
Environment honoured (by huggingface_hub itself): HF_ENDPOINT, HF_TOKEN and the token saved by
`hf auth login`, HF_HUB_CACHE/HF_HOME, HF_HUB_OFFLINE, HF_HUB_ETAG_TIMEOUT.
"""

from __future__ import annotations

import functools
import json
import errno
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from openscope.card.parse import checked_card_data, named_datasets, parse_card
from openscope.errors import (
    GatedModelError,
    InvalidRefError,
    ModelError,
    ModelNotFoundError,
    NetworkError,
    UnreadableError,
    redact,
)
from openscope.sources.cache import FactCache
from openscope.sources.interface import LICENSE_FILE_NAMES
from openscope.types import DATASET_SOURCE_KEY, Document, ModelFacts, ModelRef, ReportWarning

README = "README.md"
PUBLIC_HUB = "https://huggingface.co"
MODEL_EXPAND = ["cardData", "gated", "siblings", "tags", "sha", "lastModified"]
DATASET_EXPAND = ["cardData", "gated", "tags", "sha"]
MAX_DATASETS = 8  # a card listing dozens of datasets must not turn one audit into dozens of requests
# Root-level files whose names start like these carry terms (LICENSE-MODEL, NOTICE.rst ...).
LICENSE_PREFIXES = ("LICENSE", "LICENCE", "NOTICE", "USE_POLICY", "ACCEPTABLE_USE")
TEXT_SUFFIXES = ("", ".md", ".txt", ".rst")
RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
OFFLINE_VALUES = ("1", "on", "yes", "true")


def hub_offline_from_env() -> bool:
    """HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set: behave as --offline."""
    return any(os.environ.get(v, "").strip().lower() in OFFLINE_VALUES for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_sources(offline: bool = False) -> list:
    """The Hub-side sources in resolver order: live Hub (unless offline), then the cache."""
    # The endpoint the records must come from (huggingface_hub's default, without importing it at start-up).
    cache = CacheSource(endpoint=(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/"))
    if offline or hub_offline_from_env():
        return [cache]
    return [HubSource(store=cache.store), cache]


@dataclass
class RetryPolicy:
    """Exponential backoff for 429/5xx/timeouts; Retry-After wins; total waiting is bounded."""

    attempts: int = 4
    base_wait: float = 0.5
    max_wait: float = 8.0
    budget: float = field(default_factory=lambda: float(os.environ.get("OPENSCOPE_HUB_MAX_WAIT", "30")))
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(self.max_wait, self.base_wait * (2 ** (attempt - 1)))


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _root_cause(exc: BaseException) -> BaseException:
    """huggingface_hub wraps connection failures of file downloads in LocalEntryNotFoundError."""
    from huggingface_hub.errors import LocalEntryNotFoundError

    while isinstance(exc, LocalEntryNotFoundError) and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _name_unresolved(exc: BaseException) -> bool:
    """The Hub's host name does not resolve: no network here, and waiting will not bring it back."""
    import socket

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, socket.gaierror):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _is_transient(exc: BaseException) -> bool:
    import httpx2

    exc = _root_cause(exc)
    if _name_unresolved(exc):
        return False  # fail fast (and fall back to cache/registry) on machines without network
    if isinstance(exc, (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)):
        return True
    return _status(exc) in RETRY_STATUSES


def _transient_reason(exc: BaseException) -> str:
    import httpx2

    exc = _root_cause(exc)
    status = _status(exc)
    if status == 429:
        return "rate limited (HTTP 429)"
    if status is not None:
        return f"the Hub answered HTTP {status}"
    if isinstance(exc, httpx2.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx2.RemoteProtocolError):
        return f"the connection broke mid-answer ({exc})"
    return str(exc) or type(exc).__name__


@functools.cache
def _quiet_hub():
    """A silent progress-bar class for downloads: openscope draws its own progress, on stderr."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class QuietTqdm(hf_tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return QuietTqdm


def license_files(siblings: list[str], card_data: dict, repo_id: str | None = None) -> list[str]:
    """License-bearing files present in the repo, known names first, then the card's license_link."""
    present = set(siblings)
    names = [n for n in LICENSE_FILE_NAMES if n in present]
    for name in sorted(present):
        stem, dot, suffix = name.partition(".")
        if "/" not in name and stem.upper().startswith(LICENSE_PREFIXES) and (dot + suffix).lower() in TEXT_SUFFIXES:
            if name not in names:
                names.append(name)
    linked = _repo_path_of_link(card_data.get("license_link"), repo_id)
    if linked and linked in present and linked not in names and linked != README:
        names.append(linked)
    return names


def _repo_path_of_link(link, repo_id: str | None = None) -> str | None:
    """`license_link` as a path inside the repo: 'LICENSE.md', './docs/TERMS.md' or a URL to this repo's file."""
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    parsed = urlparse(link)
    if parsed.scheme or parsed.netloc:
        m = re.match(r"^/([^/]+/[^/]+)/(?:blob|resolve|raw)/[^/]+/(.+)$", parsed.path)
        if not m or (repo_id and m.group(1).lower() != repo_id.lower()):
            return None  # another site, or another repo's file (a base model's license, say)
        return unquote(m.group(2))
    path = link.split("#", 1)[0].split("?", 1)[0]
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/") or None


def _card_dict(card_data) -> dict:
    if card_data is None:
        return {}
    if isinstance(card_data, dict):
        return dict(card_data)
    return dict(card_data.to_dict())


def build_facts(ref: ModelRef, record: dict, texts: dict[str, str], provenance: str,
                warnings: list[ReportWarning] | None = None) -> ModelFacts:
    """One assembly for live and cached answers: README front matter first, model_info card data second."""
    warnings = list(warnings or [])
    card_text = texts.get(README)
    card = parse_card(card_text) if card_text is not None else None
    info_card = record.get("card_data") or {}
    if card is not None and card.front_matter == "valid-yaml" and card.data:
        card_data, front_matter = card.data, card.front_matter
        warnings.extend(ReportWarning("card-invalid", f"{ref.raw}: README.md {p}") for p in card.warnings)
    elif info_card:
        card_data, front_matter = info_card, "valid-yaml"
        if isinstance(card_data, dict):  # the mirror's card data crosses the same type boundary
            card_data, problems = checked_card_data(card_data)
            warnings.extend(ReportWarning("card-invalid", f"{ref.raw}: card data {p}") for p in problems)
        else:
            card_data = {}
        if card is not None and card.problem:
            warnings.append(ReportWarning("card-invalid", f"{ref.raw}: README.md {card.problem}; used the Hub's card data"))
    else:
        card_data, front_matter = (card.data, card.front_matter) if card is not None else ({}, "none")
        if card is not None and card.problem:
            warnings.append(ReportWarning("card-invalid", f"{ref.raw}: README.md {card.problem}"))
    if card is None:
        warnings.append(ReportWarning("card-missing", f"{ref.raw}: no README.md model card on the Hub"))
    gated = record.get("gated")
    return ModelFacts(
        ref=ref, id=record.get("id") or ref.id, kind="hub", provenance=provenance,
        card_data=card_data, card_body=card.body if card is not None else None, front_matter=front_matter,
        documents=[Document(n, texts[n]) for n in record.get("files", []) if n != README and n in texts],
        gated=None if gated is None else bool(gated), tags=list(record.get("tags") or []),
        siblings=list(record.get("siblings") or []), sha=record.get("sha"),
        datasets=dict(record.get("datasets") or {}), warnings=warnings,
    )


_LOCAL_WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR}


class HubSource:
    """Live answers from a Hub endpoint (huggingface.co, a mirror, or the test suite's fake Hub)."""

    name = "hub"
    kinds = frozenset({"hub"})
    authoritative = True
    label = "live Hub"
    enriched_by_registry = True

    def __init__(self, *, endpoint: str | None = None, token: str | bool | None = None, cache_dir: str | Path | None = None,
                 store: FactCache | None = None, timeout: float | None = None, retry: RetryPolicy | None = None,
                 fetch_datasets: bool = True):
        self._endpoint = endpoint
        self._token = token  # None: huggingface_hub finds HF_TOKEN or the saved login itself
        self.cache_dir = str(cache_dir) if cache_dir is not None else None
        self.store = store if store is not None else FactCache()
        self.timeout = timeout if timeout is not None else float(os.environ.get("HF_HUB_ETAG_TIMEOUT", "10"))
        self.retry = retry or RetryPolicy()
        self.fetch_datasets = fetch_datasets
        # All the network reads of one model together (info, card, license files, datasets): a server that
        # drips one byte every 2 s never trips a read timeout, so the total is bounded too.
        self.model_budget = float(os.environ.get("OPENSCOPE_HUB_MODEL_BUDGET") or max(30.0, 4 * self.retry.budget))
        self._api = None
        self._secret: str | None = None

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        if self._endpoint is None:
            from huggingface_hub import constants

            self._endpoint = constants.ENDPOINT
        return self._endpoint.rstrip("/")

    @property
    def api(self):
        if self._api is None:
            from huggingface_hub import HfApi, get_token

            self._api = HfApi(endpoint=self.endpoint, token=self._token)
            # Known only to scrub it from messages; False means "send no token".
            self._secret = self._token if isinstance(self._token, str) else None if self._token is False else get_token()
        return self._api

    @property
    def shown_endpoint(self) -> str:
        """The endpoint as messages, reports and records show it: credentials in its URL redacted."""
        return redact(self.endpoint)

    def page(self, repo_id: str) -> str:
        return f"{self.shown_endpoint}/{repo_id}"

    def _scrub(self, text: str) -> str:
        """Whatever a server or library says, neither the token nor the endpoint's credentials reach a message."""
        return redact(text.replace(self._secret, "***") if self._secret else text)

    def _call(self, ref: ModelRef, what: str, fn, noun: str = "model"):
        """Run one Hub call with retries on 429/5xx/timeouts; map failures to openscope errors."""
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - every failure is mapped to a typed ModelError below
                if not _is_transient(exc):
                    raise self._error(ref, what, exc, noun) from None
                wait = self.retry.delay(attempt, _retry_after(_root_cause(exc)))
                spent = time.monotonic() - started
                if attempt >= self.retry.attempts or spent + wait > self.retry.budget:
                    reason = self._scrub(_transient_reason(exc))
                    raise NetworkError(ref.raw, f"{ref.raw}: cannot get {what} from the Hub at {self.shown_endpoint}: "
                                                f"{reason} (gave up after {attempt} attempt(s))") from None
                self.retry.sleep(wait)

    def _error(self, ref: ModelRef, what: str, exc: BaseException, noun: str = "model") -> ModelError:
        from huggingface_hub.errors import (
            DisabledRepoError,
            GatedRepoError,
            HfHubHTTPError,
            LocalEntryNotFoundError,
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        raw = ref.raw
        if isinstance(exc, ModelError):
            return exc
        if isinstance(exc, GatedRepoError):
            return GatedModelError(raw, (
                f"{raw}: gated {noun}: request access on "
                f"{self.page(ref.id if noun == 'model' else f'datasets/{ref.id}')} (openscope never accepts terms for you), "
                + ("then retry; your token has no access yet" if self._secret else
                   "then log in with `hf auth login` or set HF_TOKEN")))
        if isinstance(exc, RevisionNotFoundError):
            return ModelNotFoundError(raw, f"{raw}: revision {ref.revision or 'main'!r} not found in {ref.id} on the Hub")
        if isinstance(exc, HfHubHTTPError) and _status(exc) == 401:
            if "Invalid credentials" in (exc.response.headers.get("X-Error-Message") or ""):
                return GatedModelError(raw, f"{raw}: the Hub rejected the token (HTTP 401): check HF_TOKEN "
                                            "or run `hf auth login` again")
            # The Hub answers 401 alike for private, gated-without-login and missing repos.
            return ModelNotFoundError(raw, f"{raw}: not found on the Hub at {self.shown_endpoint}, or private: "
                                           "a token with access is needed (set HF_TOKEN or run `hf auth login`)")
        if isinstance(exc, RepositoryNotFoundError):
            return ModelNotFoundError(raw, f"{raw}: no such {noun} on the Hub at {self.shown_endpoint}")
        if isinstance(exc, DisabledRepoError):
            return ModelNotFoundError(raw, f"{raw}: the repository is disabled on the Hub")
        if isinstance(exc, OfflineModeIsEnabled):
            return NetworkError(raw, f"{raw}: HF_HUB_OFFLINE is set, the Hub was not asked")
        if isinstance(exc, HfHubHTTPError) and _status(exc) == 403:
            return GatedModelError(raw, f"{raw}: the Hub refused access (HTTP 403); request access on {self.page(ref.id)}")
        if isinstance(exc, HfHubHTTPError):
            return NetworkError(raw, f"{raw}: the Hub answered HTTP {_status(exc)} for {what}")
        if isinstance(exc, LocalEntryNotFoundError):
            return NetworkError(raw, f"{raw}: cannot get {what} from {self.shown_endpoint}: "
                                     + self._scrub(str(exc).splitlines()[0] if str(exc) else "no usable answer"))
        if _name_unresolved(exc):
            return NetworkError(raw, f"{raw}: cannot reach the Hub at {self.shown_endpoint}: its host name does not "
                                     "resolve (no network?)")
        if isinstance(exc, json.JSONDecodeError):
            return UnreadableError(raw, f"{raw}: the Hub at {self.shown_endpoint} sent malformed JSON for {what} "
                                        f"(line {exc.lineno}, column {exc.colno})")
        if isinstance(exc, OSError) and "Consistency check failed" in str(exc):
            return NetworkError(raw, f"{raw}: {what} arrived truncated from {self.shown_endpoint}")
        if isinstance(exc, OSError) and exc.errno in _LOCAL_WRITE_ERRNOS:
            # The local Hugging Face cache is read-only or full: the Hub is not at fault.
            return UnreadableError(raw, f"{raw}: cannot write {what} to the Hugging Face cache "
                                        f"({self._scrub(exc.strerror or str(exc))}); free space, or point "
                                        "HF_HUB_CACHE at a writable folder")
        detail = self._scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return UnreadableError(raw, f"{raw}: unexpected answer from the Hub for {what}: {detail}")

    # -- fetching -----------------------------------------------------------------------------
    def _download(self, ref: ModelRef, repo_id: str, filename: str, sha: str | None, repo_type: str | None = None):
        """Local path of the file in the Hugging Face cache, or None when the repo has no such file."""
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import RemoteEntryNotFoundError

        def get():
            try:
                return hf_hub_download(
                    repo_id, filename, repo_type=repo_type, revision=sha, endpoint=self.endpoint,
                    cache_dir=self.cache_dir, token=self._token, etag_timeout=self.timeout, tqdm_class=_quiet_hub(),
                )
            except RemoteEntryNotFoundError:
                return None

        return self._call(ref, filename, get)

    def _read_downloaded(self, ref: ModelRef, repo_id: str, name: str, sha: str | None,
                         warnings: list[ReportWarning]) -> str | None:
        from openscope.text.decode import read_text_file

        path = self._download(ref, repo_id, name, sha)
        if path is None:
            return None
        try:
            return read_text_file(Path(path), label=f"{repo_id}/{name}", warnings=warnings)
        except UnreadableError as exc:
            warnings.append(ReportWarning("document-unreadable", str(exc)))
            return None

    def fetch_record(self, ref: ModelRef, *, documents: bool = True) -> tuple[dict, dict[str, str], list[ReportWarning]]:
        """model_info + README (+ license files, + datasets' card data): the record, the texts, warnings."""
        api = self.api
        info = self._call(ref, "model info", lambda: api.model_info(
            ref.id, revision=ref.revision, expand=MODEL_EXPAND, timeout=self.timeout))
        try:
            siblings = None if info.siblings is None else [s.rfilename for s in info.siblings]
            answered = info.id or ref.id
            if answered.lower() != ref.id.lower():
                # A renamed repo, or a mirror claiming another model's facts: either way the answer is
                # kept under the name asked for, never stored as (or poisoning) the id it claims.
                answer_warnings = [ReportWarning("hub-id-mismatch", f"{ref.raw}: the Hub at {self.shown_endpoint} "
                                                                    f"answered with the id {answered!r}; kept as {ref.id}")]
            else:
                answer_warnings = []
            record = {
                "id": answered if not answer_warnings else ref.id, "sha": info.sha, "revision": ref.revision, "gated": info.gated,
                "tags": list(info.tags or []), "siblings": siblings or [], "card_data": _card_dict(info.card_data),
                "endpoint": self.shown_endpoint,
            }
        except (AttributeError, TypeError, ValueError) as exc:
            raise UnreadableError(ref.raw, f"{ref.raw}: the Hub sent model info openscope cannot read ({exc})") from None
        repo_id, sha = record["id"], record["sha"]
        warnings: list[ReportWarning] = answer_warnings
        texts: dict[str, str] = {}
        # Without a file list, try the usual names and skip the ones that are not there.
        candidates = [README] if siblings is None or README in siblings else []
        for name in candidates:
            text = self._read_downloaded(ref, repo_id, name, sha, warnings)
            if text is not None:
                texts[name] = text
        readme_card = parse_card(texts[README]).data if README in texts else {}
        card_for_links = readme_card or record["card_data"]
        if documents:
            names = license_files(siblings, card_for_links, repo_id) if siblings is not None else list(LICENSE_FILE_NAMES)
            for name in names:
                text = self._read_downloaded(ref, repo_id, name, sha, warnings)
                if text is not None:
                    texts[name] = text
        record["files"] = [n for n in texts]
        if documents and self.fetch_datasets:
            body = parse_card(texts[README]).body if README in texts else None
            record["datasets"] = self._datasets(ref, readme_card or record["card_data"], warnings, body)
        return record, texts, warnings

    def _datasets(self, ref: ModelRef, card_data: dict, warnings: list[ReportWarning], body: str | None = None) -> dict:
        """Card data of the datasets a card names (`datasets:` and Hub dataset links in its body); a failure is
        a warning, never an error."""

        api = self.api
        out: dict[str, dict] = {}
        names = [d for d in named_datasets(card_data, body) if "/" in d or d.isidentifier()]
        for name in names[:MAX_DATASETS]:
            dataset_ref = ModelRef(raw=name, kind="hub", id=name)
            try:
                info = self._call(dataset_ref, "dataset info", lambda n=name: api.dataset_info(
                    n, expand=DATASET_EXPAND, timeout=self.timeout), noun="dataset")
                data = _card_dict(info.card_data)
                license_tags = [t.split(":", 1)[1] for t in (info.tags or []) if t.startswith("license:")]
                if "license" not in data and license_tags:
                    data["license"] = license_tags[0] if len(license_tags) == 1 else license_tags
                # Stored with the record, so an offline answer from the cache still says the Hub card said it.
                data[DATASET_SOURCE_KEY] = "hub"
                out[info.id or name] = data
            except ModelError as exc:
                warnings.append(ReportWarning("dataset-unavailable", f"{ref.raw}: card names dataset {name}, "
                                                                     f"but the Hub could not give it: {exc}"))
        if len(names) > MAX_DATASETS:
            warnings.append(ReportWarning("datasets-truncated",
                                          f"{ref.raw}: card names {len(names)} datasets; read the first {MAX_DATASETS}"))
        return out

    def fetch(self, ref: ModelRef) -> ModelFacts:
        if self.model_budget <= 0:
            return self._fetch(ref)
        import threading

        box: dict = {}

        def work():
            try:
                box["facts"] = self._fetch(ref)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread as it is
                box["error"] = exc

        # A daemon thread: one the budget gives up on never holds the process open at exit.
        worker = threading.Thread(target=work, name="openscope-hub-model", daemon=True)
        worker.start()
        worker.join(self.model_budget)
        if worker.is_alive():
            raise NetworkError(ref.raw, f"{ref.raw}: the Hub at {self.shown_endpoint} took more than "
                                        f"{self.model_budget:g} s in all for this model; gave up "
                                        "(OPENSCOPE_HUB_MODEL_BUDGET sets the limit)")
        if "error" in box:
            raise box["error"]
        return box["facts"]

    def _fetch(self, ref: ModelRef) -> ModelFacts:
        record, texts, warnings = self.fetch_record(ref)
        try:
            self.store.store(ref.id, ref.revision, record)
        except OSError as exc:
            warnings.append(ReportWarning("cache-unwritable", f"cannot write the openscope cache ({exc.strerror or exc})"))
        return build_facts(ref, record, texts, "hub", warnings)


class CacheSource:
    """Answers from openscope's record and the Hugging Face file cache; never touches the network."""

    name = "cache"
    kinds = frozenset({"hub"})
    authoritative = False
    label = "local cache"
    enriched_by_registry = True

    def __init__(self, *, store: FactCache | None = None, cache_dir: str | Path | None = None,
                 endpoint: str | None = None):
        self.store = store if store is not None else FactCache()
        self.cache_dir = str(cache_dir) if cache_dir is not None else None
        self.endpoint = redact(endpoint) if endpoint else None  # None: records of any endpoint are used

    def fetch(self, ref: ModelRef) -> ModelFacts:
        record = self.store.load(ref.id, ref.revision)
        # A record another host answered (a mirror) never stands in for this endpoint's facts, nor one
        # that names another repository than the one asked for.
        if record is not None and ((self.endpoint and record.get("endpoint") not in (None, self.endpoint))
                                   or str(record.get("id", "")).lower() != ref.id.lower()):
            record = None
        if record is None:
            at = f" at {ref.revision}" if ref.revision else ""
            raise ModelNotFoundError(ref.raw, f"{ref.raw}: not in the local cache{at} (run once online to fill it)")
        # Imported only on a cache hit: a miss (most offline registry audits) stays cheap.
        from huggingface_hub import try_to_load_from_cache

        from openscope.text.decode import read_text_file

        texts: dict[str, str] = {}
        warnings: list[ReportWarning] = []
        for name in record.get("files", []):
            path = try_to_load_from_cache(record["id"], name, cache_dir=self.cache_dir, revision=record["sha"])
            if isinstance(path, str):
                texts[name] = read_text_file(Path(path), label=f"{record['id']}/{name}", warnings=warnings)
            else:
                warnings.append(ReportWarning("cache-incomplete", f"{ref.raw}: {name} is no longer in the Hugging Face "
                                                                  "cache; run online to fetch it again"))
        return build_facts(ref, record, texts, "cache", warnings)


# -- `openscope registry refresh` --------------------------------------------------------------
REFRESH_FILE = Path("sources") / "hub_refresh.json"
REFRESH_SCHEMA = "openscope.hub-refresh/1"
MAX_CARD_TEXT = 200  # longer strings are prose (gating prompts, descriptions), not facts
MAX_CARD_VALUE_JSON = 2000  # bulky structures (model-index, widget) are not registry facts


@dataclass
class RefreshResult:
    path: Path
    written: list[str] = field(default_factory=list)
    failures: list[ModelError] = field(default_factory=list)


def _short_facts(card_data: dict) -> dict:
    """Front-matter facts without long text fields, JSON-safe."""
    out = {}
    for key, value in card_data.items():
        if isinstance(value, str) and len(value) > MAX_CARD_TEXT:
            continue
        encoded = json.dumps(value, default=str)
        if len(encoded) > MAX_CARD_VALUE_JSON:
            continue
        out[key] = json.loads(encoded)
    return out


def registry_entry(record: dict, texts: dict[str, str]) -> dict:
    """A registry.HubEntry-shaped dict: id, card_data, gated, tags, siblings, sha, links."""
    readme = parse_card(texts[README]) if README in texts else None
    card_data = readme.data if readme is not None and readme.data else (record.get("card_data") or {})
    link = card_data.get("license_link")
    links = {"license": link} if isinstance(link, str) and urlparse(link).scheme in ("http", "https") else {}
    return {
        "id": record["id"], "card_data": _short_facts(card_data), "gated": record.get("gated"),
        "tags": list(record.get("tags") or []), "siblings": list(record.get("siblings") or []),
        "sha": record.get("sha"), "links": links,
    }


def read_id_file(path: Path) -> list[str]:
    """Ids one per line; blank lines and '#' comments are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def default_refresh_path() -> Path:
    """Where `registry refresh` keeps Hub answers: the user's openscope cache, never the installed package."""
    from openscope.sources.cache import default_cache_dir

    return default_cache_dir() / "registry" / "hub_refresh.json"


def refresh_registry(ids: list[str], registry_dir: Path | None = None, *, path: Path | None = None,
                     source: HubSource | None = None, workers: int = 8) -> RefreshResult:
    """Fetch each id from the Hub and merge the facts into a hub_refresh.json: `path`, else
    <registry_dir>/sources/hub_refresh.json, else the one in the user's cache (default_refresh_path)."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import datetime, timezone

    from openscope.refs import HUB_ID_RE
    from openscope.sources.cache import _atomic_write

    path = Path(path) if path else Path(registry_dir) / REFRESH_FILE if registry_dir else default_refresh_path()
    source = source or HubSource()
    result = RefreshResult(path=path)

    def one(raw: str):
        m = HUB_ID_RE.match(raw.strip())
        if not m:
            return InvalidRefError(raw, f"{raw!r}: not a Hub id (org/name[@revision])")
        ref = ModelRef(raw=raw, kind="hub", id=m["repo"], revision=m["rev"])
        try:
            record, texts, _ = source.fetch_record(ref, documents=False)
        except ModelError as exc:
            return exc
        return registry_entry(record, texts)

    unique = list(dict.fromkeys(ids))
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique)))) as pool:
        answers = list(pool.map(one, unique))
    entries = {}
    for answer in answers:
        if isinstance(answer, ModelError):
            result.failures.append(answer)
        else:
            entries[answer["id"].lower()] = answer
            result.written.append(answer["id"])
    if not entries:
        return result
    try:
        existing = json.loads(path.read_text(encoding="utf-8")).get("models", []) if path.exists() else []
    except (OSError, ValueError, AttributeError):
        existing = []  # a damaged refresh file is rebuilt from this run's answers
    merged = {m["id"].lower(): m for m in existing if isinstance(m, dict) and "id" in m}
    merged.update(entries)
    body = {"schema": REFRESH_SCHEMA, "endpoint": source.shown_endpoint,
            "fetched_at": datetime.now(timezone.utc).date().isoformat(),  # registry build cites it
            "models": [merged[k] for k in sorted(merged)]}
    _atomic_write(path, json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    return result
