"""The audit trail's search at scale: the first page of each kind of filter over N events.

    python benchmarks/audit_search_scale.py [--events 100000] [--database sqlite|postgres://...]

A fresh database (migrations only) gets N events with a valid hash chain, bulk-inserted: 12 kinds
of record (lots, QC results, aliquots, deviations, ...) with ids spread over 5,000 records, 20
users, 30 actions, a reason on one event in ten, times spread over two years. Then each filter
is run as the trail page runs it (`audit.search.search`, the paginator's count, the first 50
events and their records' names) and timed (median of 7 runs after one warm-up), with the number
of queries. Floor: the count and first 50 rows of the whole trail, unfiltered (the cheapest page).
Target: every filter's page within 100 ms at 100,000 events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time

import scale_data as sd

TYPES = (
    "lot",
    "qc_result",
    "aliquot",
    "deviation",
    "administration",
    "adverse_event",
    "hold",
    "recall",
    "product",
    "material_lot",
    "user",
    "document",
)
ACTIONS = [f"{t}.{verb}" for t in TYPES[:10] for verb in ("create", "update", "approve")]
USERS = [f"user{i:02d}" for i in range(20)]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sd.add_database_argument(p, "evqms_bench_audit_search")
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--format", choices=["text", "json"], default="text")
    return p.parse_args(argv)


def load_events(n: int) -> float:
    from django.db import transaction

    from evqms.audit.chain import GENESIS, event_hash
    from evqms.audit.models import AuditEvent
    from evqms.core.canonical import canonical_json

    rnd = random.Random(17)
    cols = list(sd_cols())
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    with transaction.atomic():
        seq, prev = 0, GENESIS

        def rows():
            nonlocal seq, prev
            for k in range(n):
                seq += 1
                object_type = TYPES[k % len(TYPES)]
                fields = dict(
                    seq=seq,
                    occurred_at=base + dt.timedelta(seconds=630 * k, microseconds=k % 1_000_000),
                    actor_id=None,
                    actor_name=USERS[rnd.randrange(len(USERS))],
                    action=ACTIONS[rnd.randrange(len(ACTIONS))],
                    object_type=object_type,
                    object_id=str(rnd.randrange(1, 5001)),
                    before=canonical_json({"status": "qc", "n": k}) if k % 3 else "",
                    after=canonical_json({"status": "released", "n": k, "note": "x" * (k % 40)}),
                    reason=f"correction of entry {k} after review of batch record" if k % 10 == 0 else "",
                    prev_hash=prev,
                )
                digest = event_hash(**fields)
                yield [k + 1] + [fields[c] for c in cols] + [digest]
                prev = digest

        sd.loader().insert(AuditEvent, ["id", *cols, "hash"], rows(), batch=50_000)
        sd.set_chain_head(seq, prev, created=True)
    sd.fix_sequences()
    return time.perf_counter() - t0


def sd_cols():
    return (
        "seq",
        "occurred_at",
        "actor_id",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
        "reason",
        "prev_hash",
    )


FILTERS = {
    "whole trail (floor)": {},
    "a record and its children (lot 4321)": {"object_type": "lot", "object_id": "4321"},
    "a record, no children (aliquot 17)": {"object_type": "aliquot", "object_id": "17", "children": "0"},
    "who acted (user07)": {"actor": "user07"},
    "action prefix (deviation.)": {"action": "deviation."},
    "area (lots)": {"area": "lots"},
    "words in the reason (entry 4242)": {"text": "entry 4242 "},
    "one local day": {"since": "2025-03-03", "until": "2025-03-03"},
    "user + date range (a month)": {"actor": "user03", "since": "2025-02-01", "until": "2025-02-28"},
}


def page_once(params) -> tuple[float, int, int]:
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evqms.audit.eventview import rows_for
    from evqms.audit.search import TrailFilter, search

    with CaptureQueriesContext(connection) as queries:
        t = time.perf_counter()
        found = search(TrailFilter.from_params(params))
        page = Paginator(found.events, 50).get_page(1)  # as the trail page reads it
        rows = rows_for(page.object_list)
        count = page.paginator.count
        elapsed = time.perf_counter() - t
    assert len(rows) <= 50
    return elapsed, len(queries.captured_queries), count


def main(argv=None) -> int:
    args = parse_args(argv)
    home = sd.configure(args.database)
    sd.prepare(with_demo=False)
    load_s = load_events(args.events)
    sd.analyse()
    report = {
        "database": "sqlite" if args.database == "sqlite" else "postgresql",
        "events": args.events,
        "load_s": round(load_s, 1),
        "filters": {},
    }
    for name, params in FILTERS.items():
        page_once(params)  # warm-up
        runs = [page_once(params) for _ in range(args.runs)]
        report["filters"][name] = {
            "median_ms": round(statistics.median(r[0] for r in runs) * 1000, 1),
            "max_ms": round(max(r[0] for r in runs) * 1000, 1),
            "queries": runs[0][1],
            "matching": runs[0][2],
        }
    # The same filters by who acted without the index of migration 0004, in the same run (the
    # machine's load varies from one run to the next): what the index is for.
    from django.db import connection

    with connection.cursor() as c:
        c.execute("DROP INDEX audit_actor_idx")
    sd.analyse()
    for name in ("who acted (user07)", "user + date range (a month)"):
        params = FILTERS[name]
        page_once(params)
        runs = [page_once(params) for _ in range(args.runs)]
        report["filters"][name + " without its index"] = {
            "median_ms": round(statistics.median(r[0] for r in runs) * 1000, 1),
            "max_ms": round(max(r[0] for r in runs) * 1000, 1),
            "queries": runs[0][1],
            "matching": runs[0][2],
        }
    sd.cleanup(home, args.database)
    if args.format == "json":
        print(json.dumps(report))
        return 0
    print(f"{report['database']}: {args.events:,} events (loaded in {report['load_s']} s)")
    floor = report["filters"]["whole trail (floor)"]["median_ms"]
    for name, r in report["filters"].items():
        print(
            f"  {name:56s} {r['median_ms']:8.1f} ms (max {r['max_ms']:.1f}, {r['median_ms'] / floor:4.1f}x floor)"
            f"  {r['queries']} queries, {r['matching']:,} events"
        )
    print("  target: every filter's first page within 100 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
