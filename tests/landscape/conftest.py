"""Fixtures of the landscape tests: a local HTTP server that replays recorded responses (never a
real host) for the online clients, where each path has a queue of (status, headers, body) answers
and the last one repeats; an empty file store; the web tests' users and demo data."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest


class Replay:
    def __init__(self):
        self.routes: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.url = ""

    def add(self, path: str, body: bytes | str, status: int = 200, headers: dict[str, str] | None = None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes.setdefault(path, []).append((status, headers or {}, data))

    def hits(self, path: str) -> list[dict[str, list[str]]]:
        return [q for p, q in self.requests if p == path]


@pytest.fixture
def replay():
    state = Replay()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            state.requests.append((parts.path, parse_qs(parts.query)))
            queue = state.routes.get(parts.path)
            if not queue:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            else:
                status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def store_home(tmp_path, monkeypatch):
    """An empty $EVQMS_HOME and tiny waits for the online clients."""
    monkeypatch.setenv("EVQMS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EVQMS_HTTP_MIN_INTERVAL", "0")
    monkeypatch.setenv("EVQMS_HTTP_BACKOFF_BASE", "0.001")
    monkeypatch.setenv("EVQMS_LANG", "en")
    return tmp_path / "home"


@pytest.fixture
def english_messages(monkeypatch):
    """Messages are asserted in English (also when Django's active language is Japanese);
    the Japanese catalogue is checked separately. Used by the tests of the pure core and the CLI."""
    from evqms.i18n import use_language

    monkeypatch.setenv("EVQMS_LANG", "en")
    with use_language("en"):
        yield


@pytest.fixture
def ctgov(fixtures_dir) -> Path:
    return fixtures_dir / "landscape" / "ctgov"


@pytest.fixture
def file_home(tmp_path, monkeypatch):
    """An empty $EVQMS_HOME for the file store (the database is pytest-django's)."""
    monkeypatch.setenv("EVQMS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EVQMS_LANG", "en")
    return tmp_path / "home"


@pytest.fixture
def english():
    from django.utils import translation

    from evqms.i18n import use_language

    with use_language("en"), translation.override("en"):
        yield


@pytest.fixture
def demo_users(make_user):
    return {
        "qa": make_user("qa", "qa_reviewer"),
        "admin": make_user("admin", "administrator"),
        "operator": make_user("operator", "operator"),
        "auditor": make_user("auditor", "auditor"),
    }


@pytest.fixture
def demo(demo_users):
    from evqms.landscape import demo as landscape_demo

    landscape_demo.load(demo_users)
    return demo_users
