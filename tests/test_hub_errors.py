"""Every Hub fault a user can meet, mapped to one clear typed error (SPEC error.code), over real HTTP."""

from __future__ import annotations

import socket

import pytest

from openscope.api import fetch_all
from openscope.errors import (
    GatedModelError,
    ModelNotFoundError,
    NetworkError,
    UnreadableError,
)
from openscope.sources import FactResolver
from openscope.sources.cache import FactCache
from openscope.sources.hub import CacheSource, HubSource, RetryPolicy
from openscope.types import ModelRef

SECRET = "hf_fakeTokenForTests0123456789abcdef"


def hub_ref(text: str) -> ModelRef:
    repo, _, rev = text.partition("@")
    return ModelRef(raw=text, kind="hub", id=repo, revision=rev or None)


class Sleeps(list):
    """Records the waits the retry policy asks for instead of sleeping (no timing in unit tests)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def make_source(fake_hub, tmp_path, sleeps):
    def make(**kwargs) -> HubSource:
        kwargs.setdefault("endpoint", fake_hub.url)
        kwargs.setdefault("token", False)
        kwargs.setdefault("retry", RetryPolicy(sleep=sleeps, budget=30))
        return HubSource(cache_dir=tmp_path / "hf", store=FactCache(tmp_path / "openscope"), **kwargs)

    return make


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more: connection refused


def test_unknown_repo_is_not_found(make_source):
    with pytest.raises(ModelNotFoundError) as info:
        make_source().fetch(hub_ref("acme/does-not-exist"))
    assert info.value.code == "not-found"
    assert str(info.value).startswith("acme/does-not-exist: no such model on the Hub")


def test_gated_files_name_the_repo_and_where_to_ask(make_source, fake_hub):
    with pytest.raises(GatedModelError) as info:
        make_source().fetch(hub_ref("acme/gated-model"))
    message = str(info.value)
    assert info.value.code == "gated"
    assert message.startswith("acme/gated-model: gated model")
    assert f"{fake_hub.url}/acme/gated-model" in message and "request access" in message
    assert "\n" not in message
    # Asking is the user's job: openscope only ever reads.
    assert {r.method for r in fake_hub.log} <= {"GET", "HEAD"}


def test_bare_401_means_a_token_is_needed(make_source, fake_hub):
    fake_hub.set_fault("acme/open-small", unauthorized=True)
    with pytest.raises(ModelNotFoundError) as info:
        make_source().fetch(hub_ref("acme/open-small"))
    assert "token" in str(info.value) and "HF_TOKEN" in str(info.value)


def test_rejected_token_is_reported_as_an_access_problem(make_source, fake_hub):
    fake_hub.set_fault("acme/open-small", bad_token=True)
    with pytest.raises(GatedModelError) as info:
        make_source(token=SECRET).fetch(hub_ref("acme/open-small"))
    assert "token" in str(info.value) and "401" in str(info.value)
    assert all(r.authorized for r in fake_hub.log)  # the token was really sent ...
    assert SECRET not in str(info.value)  # ... and never shown


def test_unknown_revision_is_named(make_source):
    with pytest.raises(ModelNotFoundError) as info:
        make_source().fetch(hub_ref("acme/open-small@v9.9"))
    assert "revision 'v9.9'" in str(info.value)


def test_connection_refused_after_backoff_is_a_network_error(make_source, sleeps):
    source = make_source(endpoint=closed_port_url(), retry=RetryPolicy(attempts=4, base_wait=0.5, sleep=sleeps))
    with pytest.raises(NetworkError) as info:
        source.fetch(hub_ref("acme/open-small"))
    assert info.value.code == "network"
    assert "gave up after 4 attempt(s)" in str(info.value)
    assert sleeps == [0.5, 1.0, 2.0]  # exponential backoff between the attempts


def test_slow_hub_times_out_as_a_network_error(make_source, fake_hub):
    fake_hub.set_fault("acme/open-small", latency=1.0)
    source = make_source(timeout=0.2, retry=RetryPolicy(attempts=2, sleep=lambda s: None))
    with pytest.raises(NetworkError, match="timed out"):
        source.fetch(hub_ref("acme/open-small"))


def test_rate_limit_waits_as_long_as_retry_after_says(make_source, fake_hub, sleeps):
    fake_hub.set_fault("acme/open-small", rate_limit_first=1, retry_after="3")
    facts = make_source().fetch(hub_ref("acme/open-small"))
    assert facts.id == "acme/open-small"
    assert sleeps == [3.0]
    assert [r.status for r in fake_hub.requests("acme/open-small", route="api")] == [429, 200]


def test_rate_limit_beyond_the_time_budget_gives_up_at_once(make_source, fake_hub, sleeps):
    fake_hub.set_fault("acme/open-small", rate_limit_first=5, retry_after="600")
    with pytest.raises(NetworkError, match="rate limited"):
        make_source(retry=RetryPolicy(budget=10, sleep=sleeps)).fetch(hub_ref("acme/open-small"))
    assert sleeps == []
    assert len(fake_hub.requests("acme/open-small", route="api")) == 1


def test_server_errors_are_retried_until_success(make_source, fake_hub, sleeps):
    fake_hub.set_fault("acme/open-small", fail_first=2, fail_status=503)
    facts = make_source().fetch(hub_ref("acme/open-small"))
    assert facts.documents
    assert sleeps == [0.5, 1.0]
    assert [r.status for r in fake_hub.requests("acme/open-small", route="api")][:3] == [503, 503, 200]


def test_truncated_answer_is_a_network_error(make_source, fake_hub):
    fake_hub.set_fault("acme/open-small", truncate_api=True)
    with pytest.raises(NetworkError) as info:
        make_source().fetch(hub_ref("acme/open-small"))
    assert "acme/open-small" in str(info.value) and "model info" in str(info.value)


def test_malformed_json_is_unreadable(make_source, fake_hub):
    fake_hub.set_fault("acme/open-small", malformed_api=True)
    with pytest.raises(UnreadableError) as info:
        make_source().fetch(hub_ref("acme/open-small"))
    assert info.value.code == "unreadable"
    assert "malformed JSON" in str(info.value)


@pytest.mark.parametrize("fault", [dict(not_found=True), dict(unauthorized=True), dict(bad_token=True),
                                   dict(fail_first=9), dict(malformed_api=True), dict(truncate_api=True)])
def test_token_never_appears_in_messages(make_source, fake_hub, fault):
    fake_hub.set_fault("acme/open-small", **fault)
    with pytest.raises(Exception) as info:
        make_source(token=SECRET, retry=RetryPolicy(attempts=2, sleep=lambda s: None)).fetch(hub_ref("acme/open-small"))
    assert fake_hub.log and all(r.authorized for r in fake_hub.log)
    assert SECRET not in str(info.value)


def test_one_failure_never_stops_the_batch_and_order_is_kept(make_source, fake_hub, tmp_path):
    fake_hub.set_fault("acme/open-small", latency=0.3)  # the first answer arrives last
    resolver = FactResolver(hub_sources=[make_source()])
    refs = [hub_ref(r) for r in ("acme/open-small", "acme/nope", "acme/gated-model", "acme/custom-rl")]
    results = fetch_all(resolver, refs, workers=4)
    assert [getattr(r, "id", None) for r in results] == ["acme/open-small", None, None, "acme/custom-rl"]
    assert [getattr(r, "code", None) for r in results] == [None, "not-found", "gated", None]


def test_unreachable_hub_falls_back_to_the_cache_with_a_warning(make_source, fake_hub, tmp_path):
    live = make_source()
    live.fetch(hub_ref("acme/open-small"))
    fake_hub.set_fault("acme/open-small", fail_first=99)
    resolver = FactResolver(hub_sources=[make_source(retry=RetryPolicy(attempts=2, sleep=lambda s: None)),
                                         CacheSource(store=live.store, cache_dir=live.cache_dir)])
    facts = resolver.fetch(hub_ref("acme/open-small"))
    assert facts.provenance == "cache"
    assert [w.code for w in facts.warnings] == ["hub-unreachable"]
    assert "local cache" in facts.warnings[0].message


def test_hub_not_found_is_final_even_when_cached(make_source, fake_hub):
    live = make_source()
    live.fetch(hub_ref("acme/open-small"))
    fake_hub.set_fault("acme/open-small", not_found=True)
    resolver = FactResolver(hub_sources=[live, CacheSource(store=live.store, cache_dir=live.cache_dir)])
    with pytest.raises(ModelNotFoundError, match="no such model"):
        resolver.fetch(hub_ref("acme/open-small"))


def test_unreachable_and_uncached_reports_the_network_error(make_source, tmp_path):
    source = make_source(endpoint=closed_port_url(), retry=RetryPolicy(attempts=1))
    resolver = FactResolver(hub_sources=[source, CacheSource(store=source.store, cache_dir=source.cache_dir)])
    with pytest.raises(NetworkError):
        resolver.fetch(hub_ref("acme/not-in-any-registry"))


def test_unresolvable_hub_host_fails_fast_and_falls_back_to_the_registry(tmp_path):
    """No network (the host name does not resolve): one attempt, then the registry answers, with a warning."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HF_ENDPOINT": "http://openscope-test.invalid", "HF_HUB_CACHE": str(tmp_path / "hub"),
           "OPENSCOPE_CACHE": str(tmp_path / "os"), "HF_HUB_OFFLINE": "0"}
    env.pop("HF_TOKEN", None)
    out = subprocess.run([sys.executable, "-m", "openscope", "audit", "meta-llama/Llama-3.1-8B-Instruct", "-f", "json"],
                         capture_output=True, text=True, env=env, timeout=120)
    import json

    model = json.loads(out.stdout)["models"][0]
    assert out.returncode == 0, out.stderr
    assert model["provenance"] == "registry" and model["error"] is None
    warning = next(w for w in model["warnings"] if w["code"] == "hub-unreachable")
    # One attempt only: the retry loop would say "gave up after N attempt(s)".
    assert "does not resolve" in warning["message"] and "attempt" not in warning["message"]
