"""A small fake Hugging Face Hub for tests and benchmarks, spoken to by the real client over HTTP.

Routes (the ones huggingface_hub 2.x uses, see /work/shared/notes/huggingface_hub.md):
    GET  /api/models/{org}/{name}[/revision/{rev}]      model_info
    GET  /api/datasets/{org}/{name}[/revision/{rev}]    dataset_info
    HEAD/GET /{org}/{name}/resolve/{rev}/{path}         file metadata / download
    HEAD/GET /datasets/{org}/{name}/resolve/{rev}/{path}    (a Range header gets 206 and those bytes)
    GET  /api/{models|datasets}/{org}/{name}/tree/{rev}[/{path}]   list_repo_tree (HfFileSystem.ls/find)
    POST /api/{models|datasets}/{org}/{name}/paths-info/{rev}      get_paths_info (HfFileSystem.info)

Repos come from tests/fixtures/hub/<org>/<name>/ (files + optional info.json) and
tests/fixtures/hub/datasets/<org>/<name>/, or from `add_repo()`. Per-repo faults (`set_fault`)
reproduce what a real Hub or network does wrong; every request is logged for assertions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures" / "hub"
ALWAYS_PUBLIC = ("README.md", ".gitattributes")  # readable on gated repos, as on the real Hub


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Repo:
    id: str
    repo_type: str  # "model" | "dataset"
    files: dict[str, bytes]
    info: dict = field(default_factory=dict)

    @property
    def sha(self) -> str:
        if "sha" in self.info:
            return self.info["sha"]
        digest = hashlib.sha1(self.id.encode())
        for name in sorted(self.files):
            digest.update(f"{name}:{git_blob_sha1(self.files[name])}".encode())
        return digest.hexdigest()

    def resolve(self, rev: str | None) -> str | None:
        if rev in (None, "main", self.sha) or rev in self.info.get("revisions", []):
            return self.sha
        return None

    def card_data(self) -> dict:
        if "cardData" in self.info:
            return self.info["cardData"]
        text = self.files.get("README.md", b"").decode("utf-8", "replace")
        if text.startswith("---"):
            try:
                data = yaml.safe_load(text.split("---", 2)[1])
                return data if isinstance(data, dict) else {}
            except yaml.YAMLError:
                return {}
        return {}

    def api_json(self) -> dict:
        body = {
            "id": self.id, "sha": self.sha, "private": False, "gated": self.info.get("gated", False),
            "tags": self.info.get("tags", []), "cardData": self.card_data(),
            "siblings": [{"rfilename": n} for n in sorted(self.files)], "lastModified": "2025-01-01T00:00:00.000Z",
        }
        return {k: v for k, v in body.items() if k not in self.info.get("omit", [])}


@dataclass
class Fault:
    """What goes wrong for one repo. Counters (`fail_first`, `rate_limit_first`) are used up per request."""

    not_found: bool = False            # 404 RepoNotFound on every route
    unauthorized: bool = False         # bare 401 on the API route (private repo, no token)
    bad_token: bool = False            # 401 "Invalid credentials" on the API route
    fail_first: int = 0                # that many 500s on the API route, then success
    fail_status: int = 500
    rate_limit_first: int = 0          # that many 429s on the API route, then success
    retry_after: str | None = "1"
    latency: float = 0.0               # seconds before each answer for this repo
    truncate_api: bool = False         # model_info body cut in half (Content-Length says more)
    malformed_api: bool = False        # model_info body is not JSON
    granted_tokens: set = field(default_factory=set)  # tokens that may read a gated repo's files


@dataclass
class Request:
    method: str
    path: str
    repo: str | None
    route: str  # "api" | "file" | "other"
    filename: str | None
    status: int
    authorized: bool  # an Authorization header was sent (its value is never stored)


class FakeHub:
    def __init__(self, root: Path | None = FIXTURES, *, latency: float = 0.0):
        self.repos: dict[tuple[str, str], Repo] = {}
        self.faults: dict[str, Fault] = {}
        self.latency = latency
        self.log: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most requests served at the same time: shows a client's concurrency
        self._lock = threading.RLock()  # _send logs while a fault counter is held
        self._server: ThreadingHTTPServer | None = None
        if root is not None and root.exists():
            self._load(root)

    # -- content -------------------------------------------------------------------------------
    def _load(self, root: Path) -> None:
        for info_dir in sorted(p for p in root.glob("*/*") if p.is_dir()):
            if info_dir.parent.name == "datasets":
                continue
            self._load_repo(info_dir, f"{info_dir.parent.name}/{info_dir.name}", "model")
        for info_dir in sorted(p for p in (root / "datasets").glob("*/*") if p.is_dir()):
            self._load_repo(info_dir, f"{info_dir.parent.name}/{info_dir.name}", "dataset")

    def _load_repo(self, folder: Path, repo_id: str, repo_type: str) -> None:
        info_path = folder / "info.json"
        info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file() and p != info_path}
        self.add_repo(info.pop("id", repo_id), files, info, repo_type=repo_type)

    def add_repo(self, repo_id: str, files: dict[str, bytes | str], info: dict | None = None, *,
                 repo_type: str = "model") -> Repo:
        data = {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in files.items()}
        repo = Repo(repo_id, repo_type, data, dict(info or {}))
        self.repos[(repo_type, repo_id.lower())] = repo
        return repo

    def repo(self, repo_id: str, repo_type: str = "model") -> Repo:
        return self.repos[(repo_type, repo_id.lower())]

    def set_fault(self, repo_id: str, **kwargs) -> Fault:
        fault = self.faults.setdefault(repo_id.lower(), Fault())
        for key, value in kwargs.items():
            if not hasattr(fault, key):
                raise TypeError(f"unknown fault {key!r}")
            setattr(fault, key, value)
        return fault

    # -- request log ---------------------------------------------------------------------------
    def requests(self, repo: str | None = None, *, route: str | None = None, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.log if (repo is None or (r.repo or "").lower() == repo.lower())
                    and (route is None or r.route == route) and (method is None or r.method == method)]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.max_in_flight = 0

    def _record(self, req: Request) -> None:
        with self._lock:
            self.log.append(req)

    # -- server --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "FakeHub not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakehub",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_HEAD(self):
        self._serve("HEAD")

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._form = self.rfile.read(length).decode("utf-8") if length else ""
        self._serve("POST")

    # -- routing -------------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        path = urlsplit(self.path).path
        parts = [unquote(p) for p in path.strip("/").split("/")]
        authorized = self.headers.get("Authorization") is not None
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        route, repo_id, filename, rev, repo_type = "other", None, None, None, "model"
        if parts[:1] == ["api"] and len(parts) >= 4 and parts[1] in ("models", "datasets"):
            route, repo_type = "api", "model" if parts[1] == "models" else "dataset"
            repo_id = f"{parts[2]}/{parts[3]}"
            if len(parts) >= 6 and parts[4] == "revision":
                rev = "/".join(parts[5:])
            elif len(parts) >= 6 and parts[4] in ("tree", "paths-info"):
                route, rev, filename = parts[4], parts[5], "/".join(parts[6:])
        else:
            if parts[:1] == ["datasets"]:
                repo_type, parts = "dataset", parts[1:]
            if len(parts) >= 5 and parts[2] == "resolve":
                route, repo_id, rev, filename = "file", f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:])
        fake = self.fake
        # Logged by _send just before the answer leaves: a client never sees an answer the log lacks.
        self._pending = Request(method, path, repo_id, route, filename, 0, authorized)
        with fake._lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            self._answer(method, route, repo_type, repo_id, rev, filename, token)
        finally:
            with fake._lock:
                fake.in_flight -= 1

    def _answer(self, method, route, repo_type, repo_id, rev, filename, token) -> int:
        fake = self.fake
        fault = fake.faults.get((repo_id or "").lower(), Fault())
        delay = fake.latency + fault.latency
        if delay:
            time.sleep(delay)
        repo = fake.repos.get((repo_type, (repo_id or "").lower()))
        if route == "other":
            return self._send(404, b"not a fake Hub route", {"X-Error-Code": "EntryNotFound"})
        if repo is None or fault.not_found:
            return self._send(404, b'{"error":"Repository not found"}', {"X-Error-Code": "RepoNotFound",
                                                                         "X-Error-Message": "Repository not found"})
        if route == "api":
            with fake._lock:
                if fault.rate_limit_first > 0:
                    fault.rate_limit_first -= 1
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                    return self._send(429, b'{"error":"Too many requests"}', headers)
                if fault.fail_first > 0:
                    fault.fail_first -= 1
                    return self._send(fault.fail_status, b'{"error":"Internal error"}')
            if fault.unauthorized:
                return self._send(401, b'{"error":"Unauthorized"}')
            if fault.bad_token:
                return self._send(401, b'{"error":"Invalid credentials"}',
                                  {"X-Error-Message": "Invalid credentials in Authorization header"})
        sha = repo.resolve(rev)
        if sha is None:
            return self._send(404, b'{"error":"Revision not found"}', {"X-Error-Code": "RevisionNotFound",
                                                                        "X-Error-Message": "Invalid rev id"})
        if route in ("tree", "paths-info"):
            return self._send(200, json.dumps(self._listing(repo, route, filename)).encode(),
                              {"Content-Type": "application/json"})
        if route == "api":
            if fault.malformed_api:
                return self._send(200, b'{"id": "' + repo.id.encode() + b'", "sha": ', {"Content-Type": "application/json"})
            body = json.dumps(repo.api_json()).encode()
            if fault.truncate_api:
                return self._send(200, body, {"Content-Type": "application/json"}, truncate=True)
            return self._send(200, body, {"Content-Type": "application/json"})
        commit = {"X-Repo-Commit": sha}
        if repo.info.get("gated") and filename not in ALWAYS_PUBLIC and token not in fault.granted_tokens:
            return self._send(403, b'{"error":"Access to this model is restricted"}',
                              {**commit, "X-Error-Code": "GatedRepo",
                               "X-Error-Message": "Access to model is restricted. Visit the model page to ask for access."})
        data = repo.files.get(filename)
        if data is None:
            return self._send(404, b'{"error":"Entry not found"}', {**commit, "X-Error-Code": "EntryNotFound"})
        headers = {**commit, "ETag": f'"{git_blob_sha1(data)}"', "Content-Type": "text/plain; charset=utf-8"}
        wanted = self.headers.get("Range")
        if wanted and wanted.startswith("bytes="):
            # Byte ranges, as HfFileSystem reads parquet footers and row groups.
            start_s, _, end_s = wanted[len("bytes="):].partition("-")
            start = int(start_s or 0)
            end = min(int(end_s), len(data) - 1) if end_s else len(data) - 1
            if start >= len(data):
                return self._send(416, b"", {**commit, "Content-Range": f"bytes */{len(data)}"})
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            headers["Accept-Ranges"] = "bytes"
            return self._send(206, data[start:end + 1], headers)
        return self._send(200, data, headers)

    def _listing(self, repo: Repo, route: str, path: str) -> list[dict]:
        """Tree entries (files and the folders implied by their paths), as list_repo_tree / paths-info give them."""
        from urllib.parse import parse_qs

        def file_entry(name):
            data = repo.files[name]
            return {"type": "file", "path": name, "size": len(data), "oid": git_blob_sha1(data)}

        folders = sorted({"/".join(n.split("/")[:i]) for n in repo.files for i in range(1, n.count("/") + 1)})

        def folder_entry(name):
            return {"type": "directory", "path": name, "oid": hashlib.sha1(name.encode()).hexdigest()}

        if route == "paths-info":
            asked = parse_qs(getattr(self, "_form", "")).get("paths", [])
            return [file_entry(p) if p in repo.files else folder_entry(p) for p in asked
                    if p in repo.files or p in folders]
        recursive = "recursive=true" in (urlsplit(self.path).query or "").lower()
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        out = []
        for name in folders:
            if name.startswith(prefix) and (recursive or "/" not in name[len(prefix):]):
                out.append(folder_entry(name))
        for name in sorted(repo.files):
            if name.startswith(prefix) and (recursive or "/" not in name[len(prefix):]):
                out.append(file_entry(name))
        return out

    def _send(self, status: int, body: bytes, headers: dict | None = None, *, truncate: bool = False) -> int:
        self.fake._record(dataclasses.replace(self._pending, status=status))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer announces the length but carries no body
            self.wfile.write(body[: len(body) // 2] if truncate else body)
        return status


@pytest.fixture
def fake_hub():
    """A started FakeHub serving tests/fixtures/hub, fresh faults and request log per test."""
    with FakeHub() as hub:
        yield hub


@pytest.fixture
def hub_env(fake_hub, tmp_path) -> dict:
    """Environment for a CLI subprocess talking to the fake Hub; caches under tmp_path, no user token."""
    dropped = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_OFFLINE", "OPENSCOPE_CACHE", "OPENSCOPE_OFFLINE", "OPENSCOPE_HUB")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(
        HF_ENDPOINT=fake_hub.url, HF_HOME=str(tmp_path / "hf"), HF_HUB_CACHE=str(tmp_path / "hf" / "hub"),
        OPENSCOPE_CACHE=str(tmp_path / "openscope"), HF_HUB_DISABLE_TELEMETRY="1", OPENSCOPE_HUB_MAX_WAIT="2",
    )
    return env


def main() -> None:
    """`python tests/fakehub.py`: serve the fixtures until interrupted (handy for trying the CLI by hand)."""
    with FakeHub() as hub:
        print(f"fake Hub at {hub.url} (HF_ENDPOINT={hub.url}); Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
