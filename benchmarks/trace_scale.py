"""Trace-back and recall latency at scale, on SQLite or PostgreSQL, next to hand-written raw SQL.

    python benchmarks/trace_scale.py --administrations 1000000 [--database sqlite|postgres] [--format json]

Builds a separate database (a temporary SQLite file, or the `evqms_bench` PostgreSQL database at
postgres://postgres@127.0.0.1:5432, dropped and re-created), applies the migrations, fills it with
bulk inserts (executemany in one transaction on SQLite, COPY on PostgreSQL; never the ORM row by
row), then times each trace direction through `evqms.trace.selectors.trace` (the product's code
path: one SQL statement plus assembling the graph), the same statement run bare through the DB-API
cursor (the raw-SQL floor: what the answer costs without evqms around it), and the least ids-only SQL
a person would write (a lower bound that answers less). Also the lot list page's query. Also the lot list
page's query (first page of 50).

Shape for N administrations: N/10 lots (10 aliquots each, N aliquots, each administered once),
N/50 material lots (5 used per lot), N/500 donors with 5 cell banks each on three levels
(MCB > WCB > sub-WCB), N/5 patients, N/1000 adverse events, one retention sample per lot and per
biological material lot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgres://postgres@127.0.0.1:5432/evqms_bench"
DIRECTIONS = ("adverse_event", "administration", "aliquot", "lot", "material_lot", "cell_bank", "donor")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--administrations", type=int, default=1_000_000)
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--samples", type=int, default=300, help="timed traces per direction")
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--keep", action="store_true", help="keep the SQLite file (its path is printed)")
    p.add_argument(
        "--pg-jit",
        choices=["off", "on"],
        default="off",
        help="PostgreSQL JIT for the benchmark database (off, as recommended for evqms: JIT compiles "
        "each costly-looking trace query for ~50-100 ms and gains nothing on OLTP lookups)",
    )
    return p.parse_args(argv)


def configure(database: str, pg_jit: str = "off") -> Path | None:
    """Point Django at the benchmark database before it starts."""
    src = Path(__file__).resolve().parents[1] / "src"
    sys.path.insert(0, str(src))
    home = Path(tempfile.mkdtemp(prefix="evqms-bench-"))
    os.environ["EVQMS_HOME"] = str(home)
    os.environ["DJANGO_SETTINGS_MODULE"] = "evqms.settings"
    if database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS evqms_bench")
            conn.execute("CREATE DATABASE evqms_bench")
            conn.execute(f"ALTER DATABASE evqms_bench SET jit = {'on' if pg_jit == 'on' else 'off'}")
        os.environ["DATABASE_URL"] = PG_BENCH_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    return home


# --- bulk loading -------------------------------------------------------------------------------


class Loader:
    """Insert rows into a model's table; NOT NULL columns the caller does not give get one constant."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"
        self.now = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)

    def value(self, v):
        if self.pg:
            return v
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, dt.datetime):
            return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    def filler(self, field):
        from django.db import models

        default = field.get_default() if field.has_default() else None
        if isinstance(field, models.JSONField):
            return json.dumps(default if default is not None else {})
        if default not in (None, ""):
            return default
        if isinstance(field, models.BooleanField):
            return False
        if isinstance(field, models.DateTimeField):
            return self.now
        if isinstance(field, models.DateField):
            return self.now.date()
        if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
            return 0
        return ""

    def insert(self, model, columns: list[str], rows, batch: int = 50_000) -> int:
        given = set(columns)
        extra = [
            f
            for f in model._meta.concrete_fields
            if f.column not in given and not f.null and not f.primary_key
        ]
        fill = tuple(self.value(self.filler(f)) for f in extra)
        cols = list(columns) + [f.column for f in extra]
        table = model._meta.db_table
        qn = self.connection.ops.quote_name
        count = 0
        with self.connection.cursor() as cursor:
            if self.pg:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {qn(table)} ({', '.join(qn(c) for c in cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(tuple(row) + fill)
                        count += 1
            else:
                sql = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
                it = iter(rows)
                while True:
                    chunk = [tuple(self.value(v) for v in r) + fill for r in islice(it, batch)]
                    if not chunk:
                        break
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
        return count


def generate(n: int, seed: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from evqms.clinical.models import AdministeredAliquot, Administration, AdverseEvent, Patient
    from evqms.dossier.models import (
        CellBank,
        Donor,
        Material,
        MaterialLot,
        ProcessDefinition,
        Product,
        Specification,
    )
    from evqms.inventory.models import Aliquot, RetentionSample
    from evqms.lots.models import Lot, MaterialUsage

    rnd = random.Random(seed)
    n_lots = max(n // 10, 4)
    n_aliquots = n_lots * 10
    n_adm = min(n, n_aliquots)
    n_mlots = max(n // 50, 10)
    n_donors = max(n // 500, 2)
    n_patients = max(n // 5, 2)
    n_ae = max(n // 1000, 1)
    load = Loader(connection)
    User = get_user_model()
    t0 = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous=OFF")  # a throw-away database: no need to survive a power cut
    with transaction.atomic():
        load.insert(
            User,
            ["id", "username", "printed_name", "password", "is_active", "date_joined"],
            [(i, f"user{i}", f"Dr. Bench {i}", "!", True, load.now) for i in range(1, 22)],
        )
        physicians = list(range(2, 22))
        load.insert(
            Product,
            ["id", "code", "name", "source_cell_type", "origin", "indications", "routes"],
            [
                (i, f"bench-{i}", f"Bench product {i}", "uc_msc", "allogeneic", "OA", '["intra_articular"]')
                for i in range(1, 6)
            ],
        )
        load.insert(
            ProcessDefinition,
            ["id", "product_id", "version", "status", "created_at"],
            [(i, i, 1, "approved", load.now) for i in range(1, 6)],
        )
        load.insert(
            Specification,
            ["id", "product_id", "version", "status", "created_at"],
            [(i, i, 1, "approved", load.now) for i in range(1, 6)],
        )
        load.insert(
            Donor,
            ["id", "code", "eligibility", "created_at"],
            [(i, f"DN-{i:05d}", "eligible", load.now) for i in range(1, n_donors + 1)],
        )
        # Banks per donor d: MCB (5d-4), WCB-1..3 (children of the MCB), WCB-1-X (child of WCB-1).
        banks, lot_banks = [], []
        for d in range(1, n_donors + 1):
            base = 5 * d - 4
            banks.append((base, f"MCB-{d:05d}", "MCB", d, None, 3))
            for k in (1, 2, 3):
                banks.append((base + k, f"WCB-{d:05d}-{k}", "WCB", None, base, 5))
            banks.append((base + 4, f"WCB-{d:05d}-1X", "WCB", None, base + 1, 7))
            lot_banks.extend([base + 2, base + 3, base + 4])
        load.insert(
            CellBank,
            ["id", "code", "kind", "donor_id", "parent_id", "passage", "status", "vials"],
            [b + ("available", 10) for b in banks],
        )
        load.insert(
            Material,
            ["id", "name", "supplier", "catalogue_number", "kind", "used_in_culture"],
            [(i, f"Material {i}", "Bench Bio", f"CAT-{i:04d}", "reagent", True) for i in range(1, 201)],
        )
        biological = {i for i in range(1, n_mlots + 1) if i % 5 == 0}
        load.insert(
            MaterialLot,
            [
                "id",
                "material_id",
                "lot_number",
                "expiry",
                "received_on",
                "animal_species",
                "grade",
                "is_biological",
                "acceptance_status",
            ],
            [
                (
                    i,
                    1 + i % 200,
                    f"ML-{i:06d}",
                    dt.date(2027, 1, 1),
                    dt.date(2024, 1, 1),
                    "bovine" if i % 50 == 0 else "",
                    "gmp",
                    i in biological,
                    "accepted",
                )
                for i in range(1, n_mlots + 1)
            ],
        )
        day0 = dt.date(2020, 1, 1)
        lot_rows = []
        for i in range(1, n_lots + 1):
            p = 1 + i % 5
            status = "recalled" if i % 997 == 0 else "released"
            made = day0 + dt.timedelta(days=(i * 1826) // n_lots)
            lot_rows.append(
                (
                    i,
                    f"B{i:07d}",
                    p,
                    p,
                    p,
                    lot_banks[rnd.randrange(len(lot_banks))],
                    status,
                    made,
                    made + dt.timedelta(days=365),
                    1,
                    load.now,
                )
            )
        load.insert(
            Lot,
            [
                "id",
                "number",
                "product_id",
                "process_id",
                "specification_id",
                "cell_bank_id",
                "status",
                "manufactured_on",
                "expiry",
                "created_by_id",
                "created_at",
            ],
            lot_rows,
        )
        usage_id = iter(range(1, 10 * n_lots))

        def usages():
            for lot in range(1, n_lots + 1):
                for m in rnd.sample(range(1, n_mlots + 1), 5):
                    yield (next(usage_id), lot, m, 1, "L", 1, load.now)

        load.insert(
            MaterialUsage,
            ["id", "lot_id", "material_lot_id", "quantity", "unit", "recorded_by_id", "recorded_at"],
            usages(),
        )
        load.insert(
            Aliquot,
            [
                "id",
                "container_id",
                "lot_id",
                "volume_ml",
                "particle_count",
                "status",
                "created_by_id",
                "created_at",
            ],
            (
                (
                    i,
                    f"B{(i - 1) // 10 + 1:07d}-A{(i - 1) % 10 + 1:03d}",
                    (i - 1) // 10 + 1,
                    1,
                    20_000_000_000,
                    "administered" if i <= n_adm else "available",
                    1,
                    load.now,
                )
                for i in range(1, n_aliquots + 1)
            ),
        )
        load.insert(
            Patient,
            ["id", "code", "identity_hash", "registered_by_id", "registered_at"],
            ((i, f"PT-{i:07d}", f"{i:064x}", 2, load.now) for i in range(1, n_patients + 1)),
        )
        # Administration i uses aliquot order[i]: aliquots of one lot go to different patients and days.
        order = list(range(1, n_aliquots + 1))
        rnd.shuffle(order)
        start = dt.datetime(2020, 2, 1, tzinfo=dt.UTC)
        load.insert(
            Administration,
            [
                "id",
                "number",
                "patient_id",
                "physician_id",
                "administered_at",
                "route",
                "site",
                "dose_particles",
                "recorded_by_id",
                "recorded_at",
            ],
            (
                (
                    i,
                    f"ADM-{i:07d}",
                    rnd.randrange(1, n_patients + 1),
                    physicians[i % 20],
                    start + dt.timedelta(minutes=(i * 2_600_000) // n_adm),
                    "intra_articular",
                    "knee",
                    20_000_000_000,
                    physicians[i % 20],
                    load.now,
                )
                for i in range(1, n_adm + 1)
            ),
        )
        load.insert(
            AdministeredAliquot,
            ["id", "administration_id", "aliquot_id"],
            ((i, i, order[i - 1]) for i in range(1, n_adm + 1)),
        )
        # Patient of each AE must be its administration's: read them back from the rows just written.
        ae_adms = rnd.sample(range(1, n_adm + 1), n_ae)
        with connection.cursor() as c:
            placeholders = ", ".join(["%s"] * len(ae_adms))
            c.execute(
                f"SELECT id, patient_id, administered_at FROM {Administration._meta.db_table}"
                f" WHERE id IN ({placeholders})",
                ae_adms,
            )
            adm_rows = c.fetchall()
        load.insert(
            AdverseEvent,
            [
                "id",
                "number",
                "patient_id",
                "administration_id",
                "onset",
                "description",
                "ctcae_grade",
                "serious",
                "causality",
                "outcome",
                "reported_by_id",
                "reported_at",
            ],
            (
                (
                    k,
                    f"AE-{k:06d}",
                    pid,
                    aid,
                    load.now,
                    "Injection-site swelling",
                    1 + k % 3,
                    False,
                    "possible",
                    "recovered",
                    2,
                    load.now,
                )
                for k, (aid, pid, _at) in enumerate(adm_rows, start=1)
            ),
        )
        samples = [
            (i, i, None, "1 vial", dt.date(2030, 1, 1), "in_stock", 1, load.now) for i in range(1, n_lots + 1)
        ]
        samples += [
            (n_lots + k, None, m, "5 mL", dt.date(2030, 1, 1), "in_stock", 1, load.now)
            for k, m in enumerate(sorted(biological), start=1)
        ]
        load.insert(
            RetentionSample,
            [
                "id",
                "lot_id",
                "material_lot_id",
                "quantity",
                "retain_until",
                "status",
                "recorded_by_id",
                "recorded_at",
            ],
            samples,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            for model in (
                User,
                Product,
                ProcessDefinition,
                Specification,
                Donor,
                CellBank,
                Material,
                MaterialLot,
                Lot,
                MaterialUsage,
                Aliquot,
                Patient,
                Administration,
                AdministeredAliquot,
                AdverseEvent,
                RetentionSample,
            ):
                table = model._meta.db_table
                c.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}"
                )
    with connection.cursor() as c:
        # A database that has been in use is vacuumed by autovacuum; right after a bulk load it is
        # not, so index-only scans would still visit the heap and autovacuum would run during the
        # timing. VACUUM brings the fresh database to that steady state (PostgreSQL; SQLite: ANALYZE).
        c.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "generate_s": round(time.perf_counter() - t0, 1),
        "counts": dict(
            administrations=n_adm,
            aliquots=n_aliquots,
            lots=n_lots,
            material_lots=n_mlots,
            donors=n_donors,
            cell_banks=len(banks),
            patients=n_patients,
            adverse_events=len(adm_rows),
            material_usages=5 * n_lots,
        ),
        "targets": {
            "adverse_event": [f"AE-{k:06d}" for k in range(1, len(adm_rows) + 1)],
            "administration": [f"ADM-{i:07d}" for i in range(1, n_adm + 1)],
            "aliquot": [
                f"B{(i - 1) // 10 + 1:07d}-A{(i - 1) % 10 + 1:03d}" for i in range(1, n_aliquots + 1, 7)
            ],
            "lot": [f"B{i:07d}" for i in range(1, n_lots + 1)],
            "material_lot": [f"ML-{i:06d}" for i in range(1, n_mlots + 1)],
            "cell_bank": [b[1] for b in banks],
            "donor": [f"DN-{i:05d}" for i in range(1, n_donors + 1)],
        },
    }


# --- timing -------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def measure(targets: dict, samples: int, seed: int) -> dict:
    """Per direction: our trace() (one statement + graph assembly), the same statement run bare through
    the DB-API cursor (the raw-SQL floor of this answer), and the least ids-only SQL (a lower bound)."""
    from django.db import connection

    from evqms.trace.queries import floor_sql, sql_for
    from evqms.trace.selectors import trace

    # Time as a warmed server worker does: evqms.wsgi freezes the objects alive after start-up, so a
    # full collection does not walk them (here: the generator's leftovers) in the middle of a trace.
    gc.collect()
    gc.freeze()
    rnd = random.Random(seed + 1)
    out = {}
    for direction in DIRECTIONS:
        pool = targets[direction]
        picks = [pool[rnd.randrange(len(pool))] for _ in range(samples)]
        same, ids_only = sql_for(direction), floor_sql(direction, connection.vendor)
        for code in picks[:20]:  # warm the caches and the statement cache
            trace(direction, code)
        ours, raw, floor = [], [], []
        with connection.cursor() as cursor:

            def ours_(code, direction=direction):
                trace(direction, code)

            def raw_(code, sql=same):
                cursor.execute(sql, [code] * sql.count("%s"))
                cursor.fetchall()

            def floor_(code, sql=ids_only):
                raw_(code, sql)

            runs = [(ours_, ours), (raw_, raw), (floor_, floor)]
            for i, code in enumerate(picks):
                # The first query on an identifier finds its pages outside the database's buffers and
                # the next two inside: rotate who goes first so each sees the same mix of cold and warm.
                for fn, into in runs[i % 3 :] + runs[: i % 3]:
                    t = time.perf_counter()
                    fn(code)
                    into.append((time.perf_counter() - t) * 1000)
        result = trace(direction, picks[-1])
        out[direction] = {
            "p50_ms": round(statistics.median(ours), 3),
            "p95_ms": round(percentile(ours, 0.95), 3),
            "raw_sql_p50_ms": round(statistics.median(raw), 3),
            "raw_sql_p95_ms": round(percentile(raw, 0.95), 3),
            "ids_only_p95_ms": round(percentile(floor, 0.95), 3),
            "nodes_last": len(result.nodes),
        }
    return out


def measure_lot_list(samples: int) -> dict:
    from django.db import connection

    from evqms.lots.models import Lot

    try:
        from evqms.lots.selectors import lot_list

        def page():
            return list(lot_list()[:50])
    except ImportError:  # the lots area's selector not there yet: the same query by hand in the ORM

        def page():
            return list(
                Lot.objects.select_related(
                    "product", "process", "specification", "cell_bank", "created_by"
                ).order_by("-manufactured_on", "-id")[:50]
            )

    raw_sql = (
        f"SELECT l.id, l.number, l.status, l.manufactured_on, p.code FROM {Lot._meta.db_table} l"
        f" JOIN dossier_product p ON p.id = l.product_id ORDER BY l.manufactured_on DESC, l.id DESC LIMIT 50"
    )
    for _ in range(5):
        page()
    ours, raw = [], []
    with connection.cursor() as cursor:
        for _ in range(min(max(samples // 3, 20), 40)):
            t = time.perf_counter()
            page()
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            cursor.execute(raw_sql)
            cursor.fetchall()
            raw.append((time.perf_counter() - t) * 1000)
    return {
        "p50_ms": round(statistics.median(ours), 3),
        "p95_ms": round(percentile(ours, 0.95), 3),
        "raw_sql_p95_ms": round(percentile(raw, 0.95), 3),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    home = configure(args.database, args.pg_jit)
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_s = time.perf_counter() - t
    data = generate(args.administrations, args.seed)
    directions = measure(data["targets"], args.samples, args.seed)
    lot_list = measure_lot_list(args.samples)
    report = {
        "database": args.database,
        "n_administrations": data["counts"]["administrations"],
        "directions": {
            k: {
                "p50_ms": v["p50_ms"],
                "p95_ms": v["p95_ms"],
                "raw_sql_p95_ms": v["raw_sql_p95_ms"],
                "ids_only_p95_ms": v["ids_only_p95_ms"],
            }
            for k, v in directions.items()
        },
        "lot_list_p95_ms": lot_list["p95_ms"],
        "generate_s": data["generate_s"],
    }
    if args.database == "postgres":
        report["pg_jit"] = args.pg_jit
    if args.format == "json":
        print(json.dumps(report))
    else:
        print(
            f"{args.database}: {data['counts']}  generated in {data['generate_s']} s (migrate {migrate_s:.1f} s)"
        )
        print(
            f"{'direction':<16}{'p50 ms':>9}{'p95 ms':>9}{'raw p50':>9}{'raw p95':>9}{'ratio95':>9}"
            f"{'ids p95':>9}{'nodes':>7}"
        )
        for k, v in directions.items():
            ratio = v["p95_ms"] / v["raw_sql_p95_ms"] if v["raw_sql_p95_ms"] else float("nan")
            print(
                f"{k:<16}{v['p50_ms']:>9.2f}{v['p95_ms']:>9.2f}{v['raw_sql_p50_ms']:>9.2f}"
                f"{v['raw_sql_p95_ms']:>9.2f}{ratio:>9.2f}{v['ids_only_p95_ms']:>9.2f}{v['nodes_last']:>7}"
            )
        print(
            f"{'lot list (50)':<16}{lot_list['p50_ms']:>9.2f}{lot_list['p95_ms']:>9.2f}{'':>9}"
            f"{lot_list['raw_sql_p95_ms']:>9.2f}"
        )
    connection.close()
    if args.database == "sqlite" and home is not None:
        if args.keep:
            print(f"kept {home}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
