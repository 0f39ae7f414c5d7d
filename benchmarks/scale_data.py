"""Shared set-up of the scale benchmarks: a throw-away database, the demo, and the demo scaled up.

- `configure(database, name)`: "sqlite" (a temporary EVQMS_HOME) or a PostgreSQL URL (that database
  dropped and re-created; the server's `postgres` database is used to do it), then Django set-up.
- `prepare(with_demo=True)`: migrations (and the compiled Japanese catalogue), then the demo.
- `scale_lots(n, ...)`: copies of the demo's released lot UCEV-24-004 with everything that hangs
  off it (materials used, step records and their parameters, the deviation, QC results, aliquots,
  the retention sample, the administration of its first aliquot), bulk-inserted; QC results are
  brought to `results_per_lot` by repeats marked invalidated, so each lot keeps exactly the
  template's valid results and stays releasable; `aliquots_per_lot` units per lot.
- `append_audit_events(n)`: events with a valid hash chain (`evqms.audit.chain.event_hash`, the
  function the service uses) continuing the stored chain, bulk-inserted, and the chain head moved
  to the last one (the head's guard trigger allows one step at a time, so the owner sets it
  aside for that one statement, as a restore would).

Rows are written with the bulk loader of `trace_scale.py` (executemany on SQLite, COPY on
PostgreSQL), never the ORM row by row.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
TEMPLATE_LOT = "UCEV-24-004"


def add_database_argument(parser, default_name: str) -> None:
    parser.add_argument(
        "--database",
        default="sqlite",
        help="'sqlite' (a temporary file) or a PostgreSQL URL whose database is dropped and re-created, "
        f"e.g. postgres://postgres@127.0.0.1:5432/{default_name}",
    )


def configure(database: str, pg_jit: str = "off") -> Path:
    """Point Django at a fresh benchmark database and set it up; returns the EVQMS_HOME used."""
    sys.path.insert(0, str(REPO / "src"))
    home = Path(tempfile.mkdtemp(prefix="evqms-bench-"))
    os.environ["EVQMS_HOME"] = str(home)
    os.environ["DJANGO_SETTINGS_MODULE"] = "evqms.settings"
    os.environ.pop("EVQMS_MODE", None)
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        reset_postgres(database, pg_jit)
        os.environ["DATABASE_URL"] = database
    import django

    django.setup()
    return home


def reset_postgres(url: str, pg_jit: str = "off") -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"benchmark database name must be letters, digits and _: {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
        conn.execute(f"ALTER DATABASE {name} SET jit = {'on' if pg_jit == 'on' else 'off'}")


def prepare(with_demo: bool = True) -> dict[str, str]:
    """Migrate (as `evqms serve --migrate` does) and load the demo; returns the demo logins."""
    from evqms import localebuild
    from evqms.audit.dbroles import migrate

    localebuild.build("ja")
    migrate(verbosity=0)
    if not with_demo:
        return {}
    from evqms.web import demo

    return {d["username"]: d["password"] for d in demo.load_demo()}


def loader():
    from django.db import connection
    from trace_scale import Loader

    return Loader(connection)


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _rows(model, **filters) -> list[dict]:
    from django.db import models

    fields = model._meta.concrete_fields
    out = []
    for row in model.objects.filter(**filters).order_by("id").values(*[f.attname for f in fields]):
        for f in fields:
            if isinstance(f, models.JSONField):
                row[f.attname] = json.dumps(row[f.attname])
        out.append(row)
    return out


def _insert(load, model, rows) -> int:
    if not rows:
        return 0
    cols = [f.attname for f in model._meta.concrete_fields]
    return load.insert(
        model, [model._meta.get_field(c).column for c in cols], ([r[c] for c in cols] for r in rows)
    )


def scale_lots(
    n: int,
    *,
    results_per_lot: int = 50,
    aliquots_per_lot: int = 10,
    prefix: str = "UCEV-25",
    status: str | None = None,
    seed: int = 17,
) -> dict:
    """n copies of the demo's released lot; returns counts and sample identifiers.

    `status` (e.g. "qc") with `results_per_lot=0` and `aliquots_per_lot=0` gives lots awaiting
    their QC results (no results, deviations, aliquots or administrations)."""
    from django.db import connection, transaction

    from evqms.clinical.models import AdministeredAliquot, Administration
    from evqms.inventory.models import Aliquot, RetentionSample
    from evqms.lots.models import Deviation, Lot, MaterialUsage, ParameterValue, QCResult, StepRecord

    rnd = random.Random(seed)
    t0 = time.perf_counter()
    template = Lot.objects.get(number=TEMPLATE_LOT)
    lot_row = _rows(Lot, pk=template.pk)[0]
    usages = _rows(MaterialUsage, lot=template)
    steps = _rows(StepRecord, lot=template)
    params = _rows(ParameterValue, step_record__lot=template)
    deviations = _rows(Deviation, lot=template)
    results = _rows(QCResult, lot=template)
    aliquots = _rows(Aliquot, lot=template)
    retention = _rows(RetentionSample, lot=template)
    links = _rows(AdministeredAliquot, aliquot__lot=template)
    adms = _rows(Administration, pk__in=[x["administration_id"] for x in links])
    administered = {x["aliquot_id"]: x["administration_id"] for x in links}
    if not (results and aliquots and adms):
        raise SystemExit(f"the demo lot {TEMPLATE_LOT} has no QC results, aliquots or administration")
    ids = {m: _next_id(m) for m in (Lot, MaterialUsage, StepRecord, ParameterValue, Deviation, QCResult)}
    ids.update({m: _next_id(m) for m in (Aliquot, RetentionSample, AdministeredAliquot, Administration)})

    def take(model):
        value = ids[model]
        ids[model] += 1
        return value

    load = loader()
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous=OFF")  # a throw-away database
    out = {m: [] for m in ids}
    deviation_lots = []  # (deviation id, lot id): each copied deviation names its own lot
    numbers = []
    day0 = dt.date(2021, 1, 4)
    with transaction.atomic():
        for i in range(1, n + 1):
            lot_id = take(Lot)
            number = f"{prefix}-{i:05d}"
            numbers.append(number)
            made = day0 + dt.timedelta(days=(i * 1400) // max(n, 1))
            out[Lot].append(
                {
                    **lot_row,
                    "id": lot_id,
                    "number": number,
                    "status": status or lot_row["status"],
                    **(
                        {"released_at": None, "release_signature_id": None}
                        if status not in (None, "released")
                        else {}
                    ),
                    "manufactured_on": made,
                    "expiry": made + dt.timedelta(days=365),
                }
            )
            out[MaterialUsage] += [{**u, "id": take(MaterialUsage), "lot_id": lot_id} for u in usages]
            step_map = {}
            for s in steps:
                step_map[s["id"]] = take(StepRecord)
                out[StepRecord].append({**s, "id": step_map[s["id"]], "lot_id": lot_id})
            result_map = {}
            for k in range(max(results_per_lot, len(results)) if results_per_lot else 0):
                r = results[k % len(results)]
                new = take(QCResult)
                repeat = k >= len(results)
                if not repeat:
                    result_map[r["id"]] = new
                out[QCResult].append(
                    {
                        **r,
                        "id": new,
                        "lot_id": lot_id,
                        "retest_of_id": None if repeat else r["retest_of_id"],
                        "status": "invalidated" if repeat else r["status"],
                        "invalidation_reason": "repeat kept for the record"
                        if repeat
                        else r["invalidation_reason"],
                    }
                )
            for r in out[QCResult][-results_per_lot:] if results_per_lot else []:
                if r["retest_of_id"] is not None:
                    r["retest_of_id"] = result_map.get(r["retest_of_id"])
            dev_map = {}
            for k, d in enumerate(deviations if results_per_lot else [], start=1):
                dev_map[d["id"]] = take(Deviation)
                out[Deviation].append(
                    {
                        **d,
                        "id": dev_map[d["id"]],
                        "lot_id": lot_id,
                        "number": f"DEV-{number}-{k:02d}",
                        "qc_result_id": result_map.get(d["qc_result_id"]),
                    }
                )
                deviation_lots.append((dev_map[d["id"]], lot_id))
            out[ParameterValue] += [
                {
                    **p,
                    "id": take(ParameterValue),
                    "step_record_id": step_map[p["step_record_id"]],
                    "deviation_id": dev_map.get(p["deviation_id"]),
                }
                for p in params
            ]
            for k in range(aliquots_per_lot):
                a = aliquots[k % len(aliquots)]
                new = take(Aliquot)
                out[Aliquot].append(
                    {**a, "id": new, "lot_id": lot_id, "container_id": f"{number}-A{k + 1:03d}"}
                )
                if a["id"] in administered and k < len(aliquots):
                    adm = next(x for x in adms if x["id"] == administered[a["id"]])
                    adm_id = take(Administration)
                    out[Administration].append(
                        {
                            **adm,
                            "id": adm_id,
                            "number": f"ADM-{adm_id:07d}",
                            "administered_at": dt.datetime.combine(made, dt.time(10), dt.UTC)
                            + dt.timedelta(days=30 + rnd.randrange(200)),
                        }
                    )
                    out[AdministeredAliquot].append(
                        {"id": take(AdministeredAliquot), "administration_id": adm_id, "aliquot_id": new}
                    )
            out[RetentionSample] += [{**s, "id": take(RetentionSample), "lot_id": lot_id} for s in retention]
        counts = {}
        for model in (
            Lot,
            MaterialUsage,
            StepRecord,
            QCResult,
            Deviation,
            ParameterValue,
            Aliquot,
            RetentionSample,
            Administration,
            AdministeredAliquot,
        ):
            counts[model._meta.label] = _insert(load, model, out[model])
        named = Deviation.affected_lots.through
        named.objects.bulk_create(
            (named(deviation_id=d, lot_id=lot) for d, lot in deviation_lots), batch_size=5000
        )
    fix_sequences()
    analyse()
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "counts": counts,
        "lots": numbers,
        "aliquots": [a["container_id"] for a in out[Aliquot]],
        "product": template.product.code,
    }


def append_audit_events(n: int, *, batch: int = 50_000) -> float:
    """n audit events continuing the stored chain (valid hashes), in one transaction; seconds taken."""
    from django.db import transaction

    from evqms.audit.chain import GENESIS, event_hash
    from evqms.audit.models import AuditEvent, ChainHead
    from evqms.core.canonical import canonical_json

    t0 = time.perf_counter()
    load = loader()
    cols = [
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
    ]
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with transaction.atomic():
        head = ChainHead.objects.filter(pk=1).values_list("seq", "hash").first() or (0, GENESIS)
        seq, prev = head
        next_id = _next_id(AuditEvent)
        actions = ("lot.create", "qc.result", "qc.verify", "lot.release", "aliquot.move")

        def rows():
            nonlocal seq, prev
            for k in range(n):
                seq += 1
                fields = dict(
                    seq=seq,
                    occurred_at=base + dt.timedelta(seconds=30 * k, microseconds=k % 1_000_000),
                    actor_id=None,
                    actor_name="system",
                    action=actions[k % len(actions)],
                    object_type="lot",
                    object_id=f"UCEV-25-{k // 5 + 1:05d}",
                    before="",
                    after=canonical_json({"status": "released", "n": k}),
                    reason="",
                    prev_hash=prev,
                )
                digest = event_hash(**fields)
                yield [next_id + k] + [fields[c] for c in cols] + [digest]
                prev = digest

        load.insert(AuditEvent, ["id"] + cols + ["hash"], rows(), batch=batch)
        set_chain_head(seq, prev, created=head == (0, GENESIS) and not ChainHead.objects.exists())
    fix_sequences()
    return time.perf_counter() - t0


def set_chain_head(seq: int, digest: str, created: bool = False) -> None:
    """Move the stored head past bulk-loaded events: the guard allows one step at a time, so the
    owner of the throw-away database sets the trigger aside for this one statement."""
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("ALTER TABLE audit_chainhead DISABLE TRIGGER audit_chainhead_guard")
            if created:
                c.execute("INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, %s, %s)", [seq, digest])
            else:
                c.execute("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, digest])
            c.execute("ALTER TABLE audit_chainhead ENABLE TRIGGER audit_chainhead_guard")
        else:
            import importlib

            guard = importlib.import_module("evqms.audit.migrations.0003_guard_chain_head_and_purge")
            c.execute("DROP TRIGGER audit_chainhead_genesis_only")
            c.execute("DROP TRIGGER audit_chainhead_advance_only")
            if created:
                c.execute("INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, %s, %s)", [seq, digest])
            else:
                c.execute("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, digest])
            c.execute(guard.SQLITE_HEAD_TRIGGERS[0])
            c.execute(guard.SQLITE_HEAD_TRIGGERS[1])


def fix_sequences() -> None:
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as c:
        for model in apps.get_models():
            pk = model._meta.pk
            if pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            table = model._meta.db_table
            c.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{pk.column}'), COALESCE(MAX({pk.column}), 1)) FROM {table}"
            )


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as c:
        # A database in use is kept analysed (and vacuumed) by autovacuum; right after a bulk load it is not.
        c.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "n": len(ms),
    }


def cleanup(home: Path, database: str) -> None:
    import shutil

    from django.db import connections

    connections.close_all()
    shutil.rmtree(home, ignore_errors=True)
