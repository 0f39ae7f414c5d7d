"""Production as the README runs it: `EVQMS_MODE=production ... evqms serve --migrate`.

The server is a real subprocess (gunicorn, whitenoise's manifest storage, secure cookies) on a
free loopback port with its own EVQMS_HOME; requests come as the TLS proxy forwards them
(`X-Forwarded-Proto: https`). On the PostgreSQL pass the same runs on a database of its own.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

EVQMS = [sys.executable, "-m", "evqms.cli"]
pytestmark = pytest.mark.django_db  # so the PostgreSQL pass runs it too, on its own database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_url(name: str) -> str:
    db = connection.settings_dict
    auth = quote(db.get("USER") or "postgres") + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


@pytest.fixture
def own_database():
    """None on SQLite (the server keeps its database in its EVQMS_HOME); on PostgreSQL a fresh
    database next to the test database, dropped afterwards."""
    if connection.vendor != "postgresql":
        yield None
        return
    import psycopg

    admin = _pg_url(connection.settings_dict["NAME"])
    name = f"{connection.settings_dict['NAME']}_prod"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(home, database_url=None, **extra) -> dict:
    # As a user's shell has it: none of the test suite's switches (fast hashing, checkpoints off).
    dropped = (
        "DATABASE_URL",
        "DJANGO_SETTINGS_MODULE",
        "EVQMS_TESTING_FAST_INSECURE_HASHER",
        "EVQMS_LANG",
        "EVQMS_AUDIT_CHECKPOINTS",
    )
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update({"EVQMS_HOME": str(home), "EVQMS_LANG": "en", **extra})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _production_env(home, database_url=None) -> dict:
    return _env(
        home,
        database_url,
        EVQMS_MODE="production",
        EVQMS_SECRET_KEY=secrets.token_urlsafe(64),
        EVQMS_ALLOWED_HOSTS="127.0.0.1",
    )


class Browser:
    """Just enough of a browser behind a TLS proxy: keeps cookies (Secure ones too, as the proxy's
    client would over HTTPS) and sends X-Forwarded-Proto."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, referer: str | None = None):
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = referer or f"https://127.0.0.1{path}"
        con.request(method, path, body=data, headers=headers)
        resp = con.getresponse()
        payload = resp.read()
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        con.close()
        return resp, payload


def _wait_until_serving(proc, port: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"evqms serve ended with {proc.returncode}: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("evqms serve did not start listening")


def test_readme_production_command_serves_login_lot_page_and_coa(tmp_path, own_database):
    home = tmp_path / "home"
    env = _production_env(home, own_database)
    # Records to look at: the demo's lots (UCEV-24-001 is released, so it has a certificate).
    demo = subprocess.run(
        [*EVQMS, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=600
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    qa_password = json.loads((home / "demo-logins.json").read_text())["qa"]

    port = _free_port()
    # The README's line, on a loopback port.
    proc = subprocess.Popen(
        [*EVQMS, "serve", "--migrate", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_until_serving(proc, port)
        browser = Browser(port)

        resp, body = browser.request("GET", "/accounts/login/")
        assert resp.status == 200, body[:2000]
        page = body.decode()
        assert "csrftoken" in browser.cookies
        # Static files are the hashed copies from the manifest, and they are served.
        css = re.search(r'href="(/static/web/evqms\.[0-9a-f]{12}\.css)"', page)
        assert css, re.findall(r'/static/[^"]+', page)
        resp, _css = browser.request("GET", css.group(1))
        assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/css")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        resp, body = browser.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": "qa", "password": qa_password},
        )
        assert resp.status == 302, body[:2000]
        assert "sessionid" in browser.cookies

        resp, body = browser.request("GET", "/lots/UCEV-24-001/")
        assert resp.status == 200, body[:2000]
        assert "UCEV-24-001" in body.decode()
        assert "/static/vendor/htmx-2.0.11.min." in body.decode()

        resp, body = browser.request("GET", "/reports/coa/UCEV-24-001.pdf")
        assert resp.status == 200, body[:2000]
        assert resp.getheader("Content-Type") == "application/pdf"
        assert body.startswith(b"%PDF-")

        # Plain HTTP (not through the TLS proxy) is sent to HTTPS.
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        con.request("GET", "/accounts/login/", headers={"Host": "127.0.0.1"})
        plain = con.getresponse()
        assert plain.status == 301 and plain.getheader("Location").startswith("https://")
        con.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    assert (home / "static" / "staticfiles.json").exists()


def test_a_mistyped_mode_is_refused_not_read_as_local(tmp_path):
    for mode in ("prod", "Production", "local "):
        env = _env(tmp_path, EVQMS_MODE=mode, EVQMS_SECRET_KEY=secrets.token_urlsafe(64))
        result = subprocess.run(
            [*EVQMS, "serve", "--port", str(_free_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, (mode, result.stderr)
        assert result.stderr.strip().splitlines() == [
            f"evqms: configuration error: EVQMS_MODE must be 'local' or 'production', not {mode!r}"
        ]
    env = _env(tmp_path, EVQMS_MODE="prod", EVQMS_LANG="ja")
    result = subprocess.run([*EVQMS, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "EVQMS_MODE は 'local' か 'production'" in result.stderr


def test_serve_refuses_with_the_reason_when_static_files_cannot_be_collected(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "static").write_text("a file where the static folder should be")
    result = subprocess.run(
        [*EVQMS, "serve", "--migrate", "--port", str(_free_port())],
        env=_production_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "evqms serve refused: collecting static files into" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_production_without_allowed_hosts(tmp_path):
    env = _production_env(tmp_path)
    env["EVQMS_ALLOWED_HOSTS"] = ""
    result = subprocess.run(
        [*EVQMS, "serve", "--port", str(_free_port())], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2 and "EVQMS_ALLOWED_HOSTS" in result.stderr


def test_demo_runs_on_postgresql_from_database_url_and_is_idempotent(tmp_path, own_database):
    if own_database is None:
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL set), on a database of its own")
    env = _env(tmp_path, own_database)
    runs = [
        subprocess.run([*EVQMS, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=600)
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    assert "postgresql://" in runs[0].stdout and "evqms.sqlite3" not in runs[0].stdout
    assert runs[0].stdout.splitlines()[-9:] == runs[1].stdout.splitlines()[-9:]
    assert not (tmp_path / "evqms.sqlite3").exists()
    import psycopg

    with psycopg.connect(own_database) as con:
        lots = [r[0] for r in con.execute("SELECT number FROM lots_lot ORDER BY number")]
    assert lots[:4] == ["UCEV-24-001", "UCEV-24-002", "UCEV-24-003", "UCEV-24-004"]
    verify = subprocess.run([*EVQMS, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
