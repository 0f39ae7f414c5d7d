"""Audit trail at scale: `evqms audit verify` over N events, and what the audit event costs a write.

    python benchmarks/audit_verify_scale.py [--events 100000 | --full] [--database sqlite|postgres://...]

Verification: a fresh database (migrations only) gets N events with a valid hash chain, written in
bulk with the hash function the service uses (`scale_data.append_audit_events`). Timed: `evqms
audit verify` as a user runs it (a child process, start-up included), and `verify_chain()` in
this process (the same work without the start-up). Floor: the same rows read through the DB-API
cursor in sequence order and each one's canonical JSON hashed with SHA-256 in a bare loop (what
verification cannot do without). Target: verify within 1.5x of the floor at 1,000,000 events.

Audited writes: `inventory.services.create_consignee` (a small service: permission, one insert,
its history row, the audit event) called by 8 threads for --seconds, with its audit event and
without it (`record_event` replaced by a no-op for that run), alternated twice. On PostgreSQL the
threads write at once (the chain head row lock serialises only the event); on SQLite every write
transaction is IMMEDIATE and the database serialises all writes, with or without the audit.
Target: the audit costs at most 30 %.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from unittest import mock

import scale_data as sd

EVQMS = [sys.executable, "-c", "import sys; from evqms.cli import main; sys.exit(main())"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sd.add_database_argument(p, "evqms_bench_audit")
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--full", action="store_true", help="1,000,000 events")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument(
        "--clients-as",
        choices=["processes", "threads"],
        default="processes",
        help="writers as forked processes (as the server's workers are) or as threads of this process",
    )
    p.add_argument("--seconds", type=float, default=8.0, help="timed seconds per write run")
    p.add_argument("--part", choices=["all", "verify", "writes"], default="all", help="measure only one part")
    p.add_argument("--format", choices=["text", "json"], default="text")
    return p.parse_args(argv)


def floor_read_and_hash() -> tuple[float, int]:
    """Read every event's hashed fields in sequence order and hash each as canonical JSON."""
    from django.db import connection

    cols = "seq, occurred_at, actor_id, actor_name, action, object_type, object_id, before, after, reason, prev_hash"
    names = [c.strip() for c in cols.split(",")]
    t = time.perf_counter()
    n = 0
    with connection.cursor() as c:
        c.execute(f"SELECT {cols} FROM audit_auditevent ORDER BY seq")
        while rows := c.fetchmany(2000):
            for row in rows:
                payload = dict(
                    zip(
                        names,
                        (str(v) if v is not None and not isinstance(v, int) else v for v in row),
                        strict=True,
                    )
                )
                hashlib.sha256(
                    json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
                ).hexdigest()
                n += 1
    return time.perf_counter() - t, n


def time_cli_verify(env) -> float:
    t = time.perf_counter()
    proc = subprocess.run(EVQMS + ["audit", "verify"], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"evqms audit verify exited {proc.returncode}: {(proc.stdout + proc.stderr)[-400:]}")
    return elapsed


def writes_per_second(actor, clients: int, seconds: float, audited: bool, tag: str, mode: str) -> dict:
    from django.db import connection, connections

    from evqms.inventory import services

    # The no-op replaces record_event where create_consignee looks it up (its own module).
    home_module = sys.modules[services.create_consignee.__module__]

    counts = [0] * clients
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def loop(k: int):
        i = 0
        try:
            while time.perf_counter() < stop:
                i += 1
                services.create_consignee(
                    actor=actor,
                    code=f"C-{tag}-{k}-{i}",
                    name=f"Clinic {k}-{i}",
                    address="1-1 Chiyoda, Tokyo",
                    contact_name="Dr. Bench",
                )
                counts[k] += 1
        except Exception as exc:  # shown in the report: a refused write is a finding
            errors.append(repr(exc)[:200])
        finally:
            connection.close()

    patch = (
        contextlib.nullcontext()
        if audited
        else mock.patch.object(home_module, "record_event", lambda **kw: None)
    )
    from evqms.audit.models import AuditEvent

    def child(k: int, out) -> None:  # a forked process: its own connection, its count sent back
        loop(k)
        out.send((counts[k], errors))
        out.close()

    events_before = AuditEvent.objects.count()
    with patch:
        if mode == "threads":
            t = time.perf_counter()
            threads = [threading.Thread(target=loop, args=(k,)) for k in range(clients)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            elapsed = time.perf_counter() - t
        else:
            connections.close_all()  # never share a connection with a forked child
            fork = multiprocessing.get_context("fork")
            pipes = [fork.Pipe(duplex=False) for _ in range(clients)]
            stop = time.perf_counter() + seconds  # the children read it at fork
            t = time.perf_counter()
            procs = [fork.Process(target=child, args=(k, pipes[k][1])) for k in range(clients)]
            for proc in procs:
                proc.start()
            for k, proc in enumerate(procs):
                counts[k], child_errors = pipes[k][0].recv()
                errors.extend(child_errors)
                proc.join()
            elapsed = time.perf_counter() - t
    events = AuditEvent.objects.count() - events_before
    wrong = events < sum(counts) if audited else events > 0  # the no-op must really replace the audit
    if wrong:
        raise SystemExit(
            f"{sum(counts)} writes ({'with' if audited else 'without'} audit) wrote {events} events"
        )
    return {"writes": sum(counts), "per_s": sum(counts) / elapsed, "errors": errors[:3]}


def main(argv=None) -> int:
    args = parse_args(argv)
    n = 1_000_000 if args.full else args.events
    home = sd.configure(args.database)
    env = dict(os.environ, PYTHONPATH=str(sd.REPO / "src"))
    sd.prepare(with_demo=False)
    from django.db import connection

    from evqms.accounts.services import create_user
    from evqms.audit.selectors import verify_chain

    load_s = sd.append_audit_events(n)
    sd.analyse()
    connection.close()
    report = {
        "database": "sqlite" if args.database == "sqlite" else "postgresql",
        "events": n,
        "load_s": round(load_s, 1),
    }
    floor_runs, inproc_runs, cli_runs = [], [], []
    for _ in range(2 if args.part != "writes" else 0):  # alternate, keep the best of each
        floor_runs.append(floor_read_and_hash()[0])
        t = time.perf_counter()
        result = verify_chain()
        inproc_runs.append(time.perf_counter() - t)
        if not result.ok:
            raise SystemExit(f"the generated chain does not verify: {result.to_dict()['findings'][:3]}")
        cli_runs.append(time_cli_verify(env))
    if floor_runs:
        floor, inproc, cli = min(floor_runs), min(inproc_runs), min(cli_runs)
        report["verify"] = {
            "floor_events_per_s": round(n / floor),
            "verify_chain_events_per_s": round(n / inproc),
            "cli_events_per_s": round(n / cli),
            "cli_s": round(cli, 2),
            "ratio_verify_chain": round(inproc / floor, 2),
            "ratio_cli": round(cli / floor, 2),
        }
    actor = create_user(
        actor=None,
        username="bench-qa",
        password="a-long-bench-password-17",
        role_names=["qa_reviewer"],
        printed_name="Bench QA",
    )
    runs = {"with": [], "without": []}
    for round_ in range(2 if args.part != "verify" else 0):
        for mode in ("with", "without"):
            r = writes_per_second(
                actor, args.clients, args.seconds, mode == "with", f"{mode}{round_}", args.clients_as
            )
            runs[mode].append(r)
    if runs["with"]:
        with_s = sum(r["per_s"] for r in runs["with"]) / 2
        without_s = sum(r["per_s"] for r in runs["without"]) / 2
        report["writes"] = {
            "clients": args.clients,
            "clients_as": args.clients_as,
            "with_audit_per_s": round(with_s, 1),
            "without_audit_per_s": round(without_s, 1),
            "audit_cost_pct": round((without_s / with_s - 1) * 100, 1),
            "errors": [e for m in runs.values() for r in m for e in r["errors"]][:3],
        }
    end = verify_chain()
    report["chain_ok_after_writes"] = end.ok
    if args.format == "json":
        print(json.dumps(report))
    else:
        print(f"{report['database']}: {n} events written in {report['load_s']} s")
        if "verify" in report:
            v = report["verify"]
            print(f"{'what':<44}{'events/s':>12}{'x floor':>9}")
            print(f"{'floor: read rows + SHA-256 of each (bare)':<44}{v['floor_events_per_s']:>12,}{1:>9.2f}")
            print(
                f"{'verify_chain() in process':<44}{v['verify_chain_events_per_s']:>12,}"
                f"{v['ratio_verify_chain']:>9.2f}"
            )
            print(
                f"{'evqms audit verify (child, start-up incl.)':<44}{v['cli_events_per_s']:>12,}{v['ratio_cli']:>9.2f}"
            )
        if "writes" in report:
            w = report["writes"]
            serial = " (SQLite serialises every write transaction)" if report["database"] == "sqlite" else ""
            print(
                f"audited writes, {w['clients']} {w['clients_as']}{serial}: {w['with_audit_per_s']}/s with the audit event, "
                f"{w['without_audit_per_s']}/s without: the audit costs {w['audit_cost_pct']} %"
            )
            if w["errors"]:
                print(f"errors: {w['errors']}")
        print(f"chain verifies after the writes: {end.ok}")
        print("targets: verify within 1.5x the floor (1,000,000 events); the audit costs at most 30 %")
    sd.cleanup(home, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
