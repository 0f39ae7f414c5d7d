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
concentration and size results, audit). Floor: `evqms.analytics.nta.parse_nta` of the same files
(parsing and recomputing alone, no database).

Targets (issue 17): the CSV within 10 s; NTA exports at 200 files/s or more.
"""

from __future__ import annotations

import argparse
import csv
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
    """Passing results: quantitative values inside the limits, the first acceptable qualitative result."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["lot", "attribute", "value", "unit", "text_value", "method", "tested_at"])
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
                    [number, a.code, f"{value:.6g}", a.unit, "", a.method, "2025-03-01T10:00:00+09:00"]
                )
            else:
                w.writerow([number, a.code, "", "", a.acceptable[0], a.method, "2025-03-01T10:00:00+09:00"])
            k += 1
    return out.getvalue().encode()


def qc_floor(data: bytes, lots: dict, attributes: dict, analyst) -> float:
    """csv parse + bulk_create of the same rows in one transaction, rolled back."""
    from django.db import transaction
    from django.utils import timezone

    from evqms.lots.models import QCResult

    class Rollback(Exception):
        pass

    t = time.perf_counter()
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
    return time.perf_counter() - t


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


def main(argv=None) -> int:
    args = parse_args(argv)
    home = sd.configure(args.database)
    sd.prepare()
    from django.contrib.auth import get_user_model

    from evqms.analytics.nta import parse_nta
    from evqms.lots.models import Lot
    from evqms.lots.qc_import import import_qc_results
    from evqms.studies.services import attach_nta_export

    template = Lot.objects.get(number=sd.TEMPLATE_LOT)
    attributes = list(template.specification.attributes.order_by("order", "id"))
    n_lots = -(-args.rows // len(attributes))
    csv_lots = sd.scale_lots(n_lots, results_per_lot=0, aliquots_per_lot=0, prefix="UCEV-26", status="qc")[
        "lots"
    ]
    nta_lots = sd.scale_lots(args.nta, results_per_lot=0, aliquots_per_lot=0, prefix="UCEV-27", status="qc")[
        "lots"
    ]
    analyst = get_user_model().objects.get(username="analyst")
    data = qc_csv(csv_lots, attributes, args.rows)
    lot_ids = dict(Lot.objects.filter(number__in=csv_lots).values_list("number", "id"))
    floor_s = qc_floor(data, lot_ids, {a.code: a for a in attributes}, analyst)
    t = time.perf_counter()
    report = import_qc_results(actor=analyst, filename="qc-results-10000.csv", data=data)
    import_s = time.perf_counter() - t
    written = len(report.created)
    problems = [e.text() for e in report.errors][:3]
    files = nta_files(args.nta)
    parse_runs = []
    for _ in range(2):
        t = time.perf_counter()
        for name, blob in files:
            parse_nta(blob, name)
        parse_runs.append(time.perf_counter() - t)
    lots = {x.number: x for x in Lot.objects.filter(number__in=nta_lots)}
    refused = []
    t = time.perf_counter()
    for (name, blob), number in zip(files, nta_lots, strict=True):
        try:
            attach_nta_export(actor=analyst, lot=lots[number], filename=name, data=blob)
        except Exception as exc:  # shown in the report
            refused.append(f"{name}: {exc}"[:200])
    nta_s = time.perf_counter() - t
    out = {
        "database": "sqlite" if args.database == "sqlite" else "postgresql",
        "qc_csv": {
            "rows": args.rows,
            "lots": n_lots,
            "import_s": round(import_s, 2),
            "floor_s": round(floor_s, 2),
            "ratio": round(import_s / floor_s, 1),
            "written": written,
            "problems": problems,
        },
        "nta": {
            "files": len(files),
            "imported_per_s": round((len(files) - len(refused)) / nta_s, 1),
            "floor_parse_per_s": round(len(files) / min(parse_runs), 1),
            "refused": refused[:3],
        },
    }
    if args.format == "json":
        print(json.dumps(out))
    else:
        q, v = out["qc_csv"], out["nta"]
        print(f"{out['database']}:")
        print(
            f"QC CSV, {q['rows']} rows over {q['lots']} lots: imported in {q['import_s']} s "
            f"(floor: csv + bulk insert {q['floor_s']} s; {q['ratio']}x); problems: {q['problems'] or 'none'}"
        )
        print(
            f"NTA exports: {v['imported_per_s']} imported/s over {v['files']} files "
            f"(floor: parse + recompute alone {v['floor_parse_per_s']}/s); refused: {v['refused'] or 'none'}"
        )
        print("targets: CSV of 10,000 rows within 10 s; NTA 200 files/s or more")
    sd.cleanup(home, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
