"""Page latency under load: the demo scaled up, served by gunicorn as `evqms serve` runs it.

    python benchmarks/pages_load.py [--lots 500 | --full] [--database sqlite|postgres://...]

Builds a fresh database (see `scale_data.py`): the demo, then N copies of its released lot (50 QC
results each, 10 aliquots each, retention sample, administration) and 5 audit events per lot;
then the scaled product is assessed and the assessment stored, as it is in use.
Starts `evqms serve --workers 4` on 127.0.0.1 in production mode (a generated secret key,
EVQMS_ALLOWED_HOSTS=127.0.0.1, collected static files, HTTPS settings): the clients speak plain
HTTP to the loopback but send `X-Forwarded-Proto: https` as the TLS-terminating proxy in front of
a production server does (SECURE_PROXY_SSL_HEADER), and carry the Secure session cookie
themselves. Each client is a thread with its own httpx connection and its own login (the QA
reviewer, who may open every page measured).

For 1, 8 and 32 clients and each page, the clients request the page in a closed loop for
--seconds after a short warm-up; printed: median and p95 latency, requests per second, and the
ratio of the median to the floor's median at the same number of clients. The floor is the
"My tokens" page: authenticated, the full base template and menu, one small query of its own.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time

import scale_data as sd

# The compliance page is measured after all the others at every client count: an assessment stored
# without its overview (compliance.overview) makes its first view in each worker read the findings
# and snapshots, seconds at thousands of lots, and leaves a large heap that must not weigh on the
# next cells.
PAGES = (
    "floor",
    "dashboard",
    "lot list",
    "lot page",
    "aliquot page",
    "trace page",
    "audit trail",
    "compliance page",
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sd.add_database_argument(p, "evqms_bench_pages")
    p.add_argument("--lots", type=int, default=500)
    p.add_argument("--full", action="store_true", help="10,000 lots (500,000 QC results, 100,000 aliquots)")
    p.add_argument("--clients", default="1,8,32")
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per page and client count")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument(
        "--slow-ms",
        type=float,
        default=1000,
        help="a page whose median at 1 client is above this is not measured above 8 clients (it would take minutes)",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    return p.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home, database: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        EVQMS_HOME=str(home),
        EVQMS_MODE="production",
        EVQMS_SECRET_KEY=secrets.token_urlsafe(64),
        EVQMS_ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=str(sd.REPO / "src"),
    )
    if database != "sqlite":
        env["DATABASE_URL"] = database
    log = open(home / "server.log", "wb")  # noqa: SIM115 (kept open for the server's life)
    cmd = [sys.executable, "-c", "import sys; from evqms.cli import main; sys.exit(main())"]
    proc = subprocess.Popen(
        cmd + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: see {home / 'server.log'}")
        try:
            httpx.get(
                f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Forwarded-Proto": "https"}, timeout=2
            )
            return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("server did not answer within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


class Client:
    """One browser: its own connection and session. Cookies are carried by hand: the server's are
    Secure, and an HTTP cookie jar keeps Secure cookies off a plain-HTTP URL."""

    def __init__(self, port: int, username: str, password: str):
        import httpx

        self.origin = f"https://127.0.0.1:{port}"
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"X-Forwarded-Proto": "https", "Accept-Language": "en"},
            timeout=600,  # a slow page under load is measured, not cut off (and left running)
        )
        page = self.http.get("/accounts/login/")
        csrf = page.cookies["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = self.http.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={
                "Cookie": f"csrftoken={csrf}",
                "Referer": self.origin + "/accounts/login/",
                "Origin": self.origin,
            },
        )
        if answer.status_code != 302 or "sessionid" not in answer.cookies:
            raise SystemExit(f"login as {username} failed: {answer.status_code}")
        self.http.headers["Cookie"] = f"csrftoken={csrf}; sessionid={answer.cookies['sessionid']}"
        self.http.cookies.clear()

    def get(self, path: str) -> float:
        t = time.perf_counter()
        answer = self.http.get(path)
        elapsed = time.perf_counter() - t
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")
        return elapsed


def run_cell(clients: list[Client], paths, seconds: float, warmup: float = 0.5, least: int = 1) -> dict:
    """All clients request in a closed loop; latencies of requests started after the warm-up, for
    `seconds` and until each client has `least` of them (a page slower than the window still counts)."""
    start = time.perf_counter() + warmup
    stop = start + seconds
    times: list[list[float]] = [[] for _ in clients]
    errors: list[str] = []
    ends: list[float] = []

    def loop(k: int, client: Client):
        rnd = random.Random(k)
        while True:
            t = time.perf_counter()
            if t >= stop and len(times[k]) >= least:
                ends.append(t)
                return
            try:
                elapsed = client.get(paths(rnd))
            except Exception as exc:  # counted and shown: a page that fails is a finding
                errors.append(str(exc))
                return
            if t >= start:
                times[k].append(elapsed)

    threads = [threading.Thread(target=loop, args=(k, c)) for k, c in enumerate(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    flat = [x for xs in times for x in xs]
    if errors or not flat:
        return {"error": (errors or ["no request completed"])[0], "errors": len(errors)}
    return {**sd.summary_ms(flat), "rps": round(len(flat) / (max(ends) - start), 1)}


def store_assessment(code: str) -> float:
    """Assess the scaled product and store the result, as QA does after the lots are released: the
    dashboard, the compliance list and the product page then carry a stored snapshot and findings
    of every lot (13 MB and 7 MB at 1,000 lots), as they do in use."""
    from evqms.compliance import services
    from evqms.dossier.models import Product

    t = time.perf_counter()
    services.run_assessment(actor=None, product=Product.objects.get(code=code))
    return time.perf_counter() - t


def main(argv=None) -> int:
    args = parse_args(argv)
    n = 10_000 if args.full else args.lots
    levels = [int(x) for x in args.clients.split(",")]
    home = sd.configure(args.database)
    t = time.perf_counter()
    logins = sd.prepare()
    demo_s = time.perf_counter() - t
    data = sd.scale_lots(n)
    audit_s = sd.append_audit_events(5 * n)
    assess_s = store_assessment(data["product"])
    from django.db import connections

    connections.close_all()
    lots, aliquots, product = data["lots"], data["aliquots"], data["product"]
    paths = {
        "floor": lambda r: "/accounts/tokens/",
        "dashboard": lambda r: "/",
        "lot list": lambda r: "/lots/",
        "lot page": lambda r: f"/lots/{r.choice(lots)}/",
        "aliquot page": lambda r: f"/inventory/aliquots/{r.choice(aliquots)}/",
        "trace page": lambda r: f"/trace/lot/{r.choice(lots)}/",
        "compliance page": lambda r: f"/compliance/{product}/",
        "audit trail": lambda r: "/audit/",
    }
    port = free_port()
    server = start_server(home, args.database, port, args.workers)
    results: dict = {}
    try:
        pool = [Client(port, "qa", logins["qa"]) for _ in range(max(levels))]
        for c in pool[:1]:
            for page in PAGES[:-1]:  # each page once per worker before timing: templates and caches warm
                for _ in range(args.workers):
                    c.get(paths[page](random.Random(0)))
        for group in (PAGES[:-1], PAGES[-1:]):
            for level in levels:
                for page in group:
                    first = results.get(page, {}).get(levels[0], {})
                    if level > 8 and first.get("median_ms", 0) > args.slow_ms:
                        results[page][level] = {
                            "error": f"skipped: median at {levels[0]} client above {args.slow_ms:.0f} ms"
                        }
                        continue
                    results.setdefault(page, {})[level] = run_cell(pool[:level], paths[page], args.seconds)
    finally:
        stop_server(server)
    report = {
        "database": "sqlite" if args.database == "sqlite" else "postgresql",
        "lots": n,
        "qc_results": data["counts"]["lots.QCResult"],
        "aliquots": data["counts"]["inventory.Aliquot"],
        "audit_events_added": 5 * n,
        "workers": args.workers,
        "mode": "production (TLS at a proxy: X-Forwarded-Proto https)",
        "generate_s": round(demo_s + data["seconds"] + audit_s, 1),
        "assessment_stored_s": round(assess_s, 1),
        "pages": results,
    }
    if args.format == "json":
        print(json.dumps(report))
    else:
        print(
            f"{report['database']}: {n} lots, {report['qc_results']} QC results, {report['aliquots']} aliquots, "
            f"+{5 * n} audit events; gunicorn {args.workers} workers, production mode; "
            f"demo {demo_s:.0f} s, scale-up {data['seconds'] + audit_s:.1f} s, "
            f"the product assessed and stored in {assess_s:.1f} s"
        )
        print(f"{'page':<17}{'clients':>8}{'median':>9}{'p95':>9}{'req/s':>8}{'x floor':>9}")
        for level in levels:
            floor = results["floor"][level].get("median_ms")
            for page in PAGES:
                r = results[page][level]
                if "error" in r:
                    print(f"{page:<17}{level:>8}  error: {r['error']}")
                    continue
                ratio = r["median_ms"] / floor if floor else float("nan")
                print(
                    f"{page:<17}{level:>8}{r['median_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['rps']:>8.1f}{ratio:>9.2f}"
                )
        print("target: median within 3x the floor, p95 < 100 ms at 8 clients")
    sd.cleanup(home, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
