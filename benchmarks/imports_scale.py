"""Imports at scale: a 10,000-row QC results CSV (all or nothing) and NTA exports per second.

    python benchmarks/imports_scale.py [--rows 10000] [--nta 100] [--database sqlite|postgres://...]

A fresh database with the demo, then lots awaiting QC (copies of the demo's released lot with
status "qc" and no results; see `scale_data.py`).

QC CSV: one row per lot and specification attribute (the demo's 18 attributes: values within
limits, qualitative results acceptable), --rows rows over as many lots as that needs, imported by
`evqms.lots.qc_import.import_qc_results` (what `evqms lots import-qc` and the web upload call: all
rows checked, then all written in one transaction with the audit event, the original file kept).
Floor: the same file read with the csv module and the same number of QCResult rows written with
bulk_create in one transaction (rolled back): what the write costs without the checks.

NTA: --nta synthetic exports in the instrument formats of tests/fixtures/nta (NanoSight NTA
3.2-3.4 and ZetaView 8.x, every file with its capture time and dilution), each attached to its own
lot by `evqms.studies.services.attach_nta_export` (parse, recompute, keep the file, write the
concentration and size results through the lots QC rules, audit). Floors: `evqms.analytics.nta.parse_nta`
of the same files (parsing and recomputing alone, no database), and parse + the minimal writes (the
kept original, the import row, its QC result rows in one bulk insert, their links; committed per file;
no rules, history or audit events). The import is also run with the audit event replaced by a no-op
(`record_event` where the services look it up; the run checks that no event was written): what the
hash-chained audit trail costs. The three database runs take turns file by file, each on lots of its
own, so that a slow minute on a shared machine falls on all three alike. Timed as a server worker
runs: the objects alive before the run are frozen out of the garbage collector (`gc.freeze()`, as
`evqms.wsgi` does at start-up).

Targets (issue 17): the CSV within 10 s; NTA exports at 200 files/s or more.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import importlib.util
import io
import json
import random
import sys
import time

import scale_data as sd


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sd.add_database_argument(p, "evqms_bench_imports")
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--nta", type=int, default=100, help="NTA exports imported")
    p.add_argument("--format", choices=["text", "json"], default="text")
    return p.parse_args(argv)


def qc_csv(lots: list[str], attributes, rows: int) -> bytes:
    """Passing results: quantitative values inside the limits, the first acceptable qualitative result;
    a sterility, endotoxin or mycoplasma result with valid run controls, as the service requires.
    Tested yesterday: the demo's analyst is trained on the methods from 400 days before today."""
    import datetime as dt

    from evqms.lots.qc_columns import CONTROL_COLUMNS
    from evqms.testing.world import passing_controls

    tested_at = (
        (dt.datetime.now().astimezone() - dt.timedelta(days=1))
        .replace(hour=10, minute=0, second=0, microsecond=0)
        .isoformat()
    )

    def controls(attribute) -> list[str]:
        given = passing_controls(attribute) or {}
        return [given.get(column, "") for column in CONTROL_COLUMNS]

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["lot", "attribute", "value", "unit", "text_value", "method", "tested_at", *CONTROL_COLUMNS])
    k = 0
    for number in lots:
        for a in attributes:
            if k == rows:
                return out.getvalue().encode()
            if a.kind == "quantitative":
                low = float(a.lower) if a.lower is not None else None
                high = float(a.upper) if a.upper is not None else None
                if low is not None and high is not None:
                    value = (low + high) / 2
                elif low is not None:
                    value = low * 1.5
                elif high is not None:
                    value = high / 2
                else:
                    value = 1.0
                w.writerow(
                    [
                        number,
                        a.code,
                        f"{value:.6g}",
                        a.unit,
                        "",
                        a.method,
                        tested_at,
                        *controls(a),
                    ]
                )
            else:
                w.writerow([number, a.code, "", "", a.acceptable[0], a.method, tested_at, *controls(a)])
            k += 1
    return out.getvalue().encode()


def qc_floor(data: bytes, lots: dict, attributes: dict, analyst) -> tuple[float, float]:
    """csv parse + bulk_create of the same rows in one transaction, rolled back: (wall s, CPU s)."""
    from django.db import transaction
    from django.utils import timezone

    from evqms.lots.models import QCResult

    class Rollback(Exception):
        pass

    t, c = time.perf_counter(), time.process_time()
    now = timezone.now()
    try:
        with transaction.atomic():
            objs = []
            for row in csv.DictReader(io.StringIO(data.decode())):
                objs.append(
                    QCResult(
                        lot_id=lots[row["lot"]],
                        attribute=attributes[row["attribute"]],
                        value=row["value"] or None,
                        unit=row["unit"],
                        text_value=row["text_value"],
                        method=row["method"],
                        limits={},
                        verdict="pass",
                        analyst=analyst,
                        tested_at=now,
                        recorded_at=now,
                    )
                )
            QCResult.objects.bulk_create(objs, batch_size=2000)
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - t, time.process_time() - c


def nta_files(n: int, seed: int = 1) -> list[tuple[str, bytes]]:
    spec = importlib.util.spec_from_file_location(
        "nta_synth", sd.REPO / "tests" / "fixtures" / "nta" / "nta_synth.py"
    )
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    rng = random.Random(seed)
    files = []
    for i in range(n):
        if i % 2 == 0:
            videos = [
                synth.lognormal_histogram(
                    synth.NS_BINS,
                    median=rng.uniform(70, 140),
                    gsd=rng.uniform(1.25, 1.6),
                    total=10 ** rng.uniform(8, 12),
                    rng=rng,
                    noise=0.05,
                )
                for _ in range(rng.randint(3, 12))
            ]
            data = synth.nanosight_csv(
                videos, version=("3.2", "3.3", "3.4")[i // 2 % 3], dilution=rng.choice([100.0, 1e4])
            )
            files.append((f"ns_{i:04d}_ExperimentSummary.csv", data))
        else:
            counts = synth.lognormal_histogram(
                synth.ZV_BINS,
                median=rng.uniform(90, 160),
                gsd=rng.uniform(1.3, 1.7),
                total=rng.randint(300, 3000),
                rng=rng,
                noise=0.2,
                integer=True,
            )
            files.append(
                (f"zv_{i:04d}_size_488.txt", synth.zetaview_txt(counts, dilution=rng.choice([100.0, 500.0])))
            )
    return files


def nta_floor_write(analyst, lot, name: str, blob: bytes) -> None:
    """Parse + the minimal writes of one export: the kept original, the import row, its QC result
    rows (one bulk insert, the figures the service would record) and their links, committed."""
    from django.db import transaction
    from django.utils import timezone

    from evqms.analytics.nta import parse_nta
    from evqms.core import keptfiles
    from evqms.dossier.models import SpecAttribute
    from evqms.lots.models import QCResult
    from evqms.studies.models import NTAImport
    from evqms.studies.services.common import decimal_from_float
    from evqms.studies.services.nta import _nta_figure, nta_attribute_plan, nta_captured_at

    with transaction.atomic():
        parsed = parse_nta(blob, name).to_dict()
        attributes = {a.code: a for a in SpecAttribute.objects.filter(specification_id=lot.specification_id)}
        plan = nta_attribute_plan(lot)
        at = timezone.now()
        nta = NTAImport(
            lot=lot,
            instrument=parsed["instrument"],
            software=parsed["software"],
            parsed=parsed,
            warnings=parsed["warnings"],
            filled=plan,
            tested_at=nta_captured_at(parsed),
            dilution=parsed["dilution"],
            imported_by=analyst,
            imported_at=at,
        )
        kept = keptfiles.keep(nta.file, name, blob)
        nta.original_name, nta.sha256 = kept.original_name, kept.sha256
        nta.save()
        results = []
        for code, statistic in plan.items():
            figure, unit = _nta_figure(parsed, code, statistic, 1.0, name)
            results.append(
                QCResult(
                    lot=lot,
                    attribute=attributes[code],
                    value=decimal_from_float(figure, code),
                    unit=unit,
                    method="NTA",
                    limits={},
                    verdict="pass",
                    analyst=analyst,
                    tested_at=nta.tested_at,
                    recorded_at=at,
                    raw_file_name=nta.file.name,
                    raw_file_sha256=nta.sha256,
                    derived={"source": "nta", "statistic": statistic, "recomputed": figure},
                )
            )
        QCResult.objects.bulk_create(results)
        NTAImport.qc_results.through.objects.bulk_create(
            [NTAImport.qc_results.through(ntaimport_id=nta.pk, qcresult_id=r.pk) for r in results]
        )


@contextlib.contextmanager
def audit_off():
    """`record_event` (and `record_events`) replaced by a no-op where the services the NTA import
    calls look them up."""
    from unittest import mock

    import evqms.lots.services._common
    import evqms.lots.services.deviations
    import evqms.lots.services.qc
    import evqms.studies.services.nta

    modules = (
        evqms.studies.services.nta,
        evqms.lots.services.qc,
        evqms.lots.services.deviations,
        evqms.lots.services._common,
    )
    with contextlib.ExitStack() as stack:
        for module in modules:
            for name in ("record_event", "record_events"):
                if hasattr(module, name):
                    stack.enter_context(mock.patch.object(module, name, lambda **kw: None))
        yield


def measure_nta(files, lots: list, analyst) -> dict:
    """The import, the import without its audit events and parse + minimal writes, file by file in
    turn (each on lots of its own: `lots` holds three per file), with parse alone twice after."""
    from evqms.analytics.nta import parse_nta
    from evqms.audit.models import AuditEvent
    from evqms.studies.services import attach_nta_export

    gc.collect()
    gc.freeze()  # as evqms.wsgi does for a server worker
    seconds = {"import": 0.0, "no_audit": 0.0, "floor_writes": 0.0}
    # CPU time of this process too: on a shared machine the wall clock also counts the waits for a
    # core (and, on SQLite, the database's own work is in this process)
    cpu = dict.fromkeys(seconds, 0.0)
    refused: dict[str, list] = {"import": [], "no_audit": []}
    events_without_audit = 0
    for k, (name, blob) in enumerate(files):
        t, c = time.perf_counter(), time.process_time()
        try:
            attach_nta_export(actor=analyst, lot=lots[3 * k], filename=name, data=blob)
        except Exception as exc:  # shown in the report
            refused["import"].append(f"{name}: {exc}"[:200])
        seconds["import"] += time.perf_counter() - t
        cpu["import"] += time.process_time() - c
        before = AuditEvent.objects.count()
        with audit_off():
            t, c = time.perf_counter(), time.process_time()
            try:
                attach_nta_export(actor=analyst, lot=lots[3 * k + 1], filename=name, data=blob)
            except Exception as exc:
                refused["no_audit"].append(f"{name}: {exc}"[:200])
            seconds["no_audit"] += time.perf_counter() - t
            cpu["no_audit"] += time.process_time() - c
        events_without_audit += AuditEvent.objects.count() - before
        t, c = time.perf_counter(), time.process_time()
        nta_floor_write(analyst, lots[3 * k + 2], name, blob)
        seconds["floor_writes"] += time.perf_counter() - t
        cpu["floor_writes"] += time.process_time() - c
    parse_runs, parse_cpu = [], []
    for _ in range(2):
        t, c = time.perf_counter(), time.process_time()
        for name, blob in files:
            parse_nta(blob, name)
        parse_runs.append(time.perf_counter() - t)
        parse_cpu.append(time.process_time() - c)
    gc.unfreeze()
    n = len(files)
    return {
        "files": n,
        "imported_per_s": round((n - len(refused["import"])) / seconds["import"], 1),
        "no_audit_per_s": round((n - len(refused["no_audit"])) / seconds["no_audit"], 1),
        "floor_writes_per_s": round(n / seconds["floor_writes"], 1),
        "floor_parse_per_s": round(n / min(parse_runs), 1),
        "ms_per_file": {
            "import": round(seconds["import"] / n * 1000, 2),
            "no_audit": round(seconds["no_audit"] / n * 1000, 2),
            "floor_writes": round(seconds["floor_writes"] / n * 1000, 2),
            "parse": round(min(parse_runs) / n * 1000, 2),
        },
        "cpu_ms_per_file": {
            **{k: round(v / n * 1000, 2) for k, v in cpu.items()},
            "parse": round(min(parse_cpu) / n * 1000, 2),
        },
        "events_written_without_audit": events_without_audit,  # must be 0
        "refused": refused["import"][:3],
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    home = sd.configure(args.database)
    sd.prepare()
    from django.contrib.auth import get_user_model

    from evqms.lots.models import Lot
    from evqms.lots.qc_import import import_qc_results

    template = Lot.objects.get(number=sd.TEMPLATE_LOT)
    attributes = list(template.specification.attributes.order_by("order", "id"))
    n_lots = -(-args.rows // len(attributes))
    csv_lots = sd.scale_lots(n_lots, results_per_lot=0, aliquots_per_lot=0, prefix="UCEV-26", status="qc")[
        "lots"
    ]
    nta_lots = sd.scale_lots(
        3 * args.nta, results_per_lot=0, aliquots_per_lot=0, prefix="UCEV-27", status="qc"
    )["lots"]
    analyst = get_user_model().objects.get(username="analyst")
    data = qc_csv(csv_lots, attributes, args.rows)
    lot_ids = dict(Lot.objects.filter(number__in=csv_lots).values_list("number", "id"))
    floor_s, floor_cpu_s = qc_floor(data, lot_ids, {a.code: a for a in attributes}, analyst)
    t, c = time.perf_counter(), time.process_time()
    report = import_qc_results(actor=analyst, filename="qc-results-10000.csv", data=data)
    import_s, import_cpu_s = time.perf_counter() - t, time.process_time() - c
    written = len(report.created)
    problems = [e.text() for e in report.errors][:3]
    if problems or written != args.rows:
        # a refused import is not the import being measured: the generated file no longer meets the rules
        raise SystemExit(f"the generated QC CSV was refused ({written} of {args.rows} written): {problems}")
    files = nta_files(args.nta)
    lots = {x.number: x for x in Lot.objects.filter(number__in=nta_lots)}
    nta = measure_nta(files, [lots[number] for number in nta_lots], analyst)
    out = {
        "database": "sqlite" if args.database == "sqlite" else "postgresql",
        "qc_csv": {
            "rows": args.rows,
            "lots": n_lots,
            "import_s": round(import_s, 2),
            "floor_s": round(floor_s, 2),
            "ratio": round(import_s / floor_s, 1),
            # this process's CPU: all of SQLite's work, none of the PostgreSQL server's
            "import_cpu_s": round(import_cpu_s, 2),
            "floor_cpu_s": round(floor_cpu_s, 2),
            "written": written,
            "problems": problems,
        },
        "nta": nta,
    }
    if args.format == "json":
        print(json.dumps(out))
    else:
        q, v = out["qc_csv"], out["nta"]
        print(f"{out['database']}:")
        print(
            f"QC CSV, {q['rows']} rows over {q['lots']} lots: imported in {q['import_s']} s "
            f"(floor: csv + bulk insert {q['floor_s']} s; {q['ratio']}x); CPU of this process: "
            f"{q['import_cpu_s']} s, floor {q['floor_cpu_s']} s; problems: {q['problems'] or 'none'}"
        )
        print(
            f"NTA exports: {v['imported_per_s']} imported/s over {v['files']} files; without the audit "
            f"events {v['no_audit_per_s']}/s (events written: {v['events_written_without_audit']}); floors: "
            f"parse + minimal writes {v['floor_writes_per_s']}/s, parse + recompute alone "
            f"{v['floor_parse_per_s']}/s; ms per file {v['ms_per_file']}; CPU ms per file "
            f"{v['cpu_ms_per_file']}; refused: {v['refused'] or 'none'}"
        )
        print("targets: CSV of 10,000 rows within 10 s; NTA 200 files/s or more")
    sd.cleanup(home, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
