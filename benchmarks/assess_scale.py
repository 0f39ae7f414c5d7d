"""Compliance assessment at scale: `evqms assess --product` on the database and `evqms assess FILE`.

    python benchmarks/assess_scale.py [--lots 1000 | --full] [--database sqlite|postgres://...]

Database path: a fresh database with the demo, then N copies of the demo's released lot, each with
its full QC, retention sample, materials used, step records, aliquots and an administration (see
`scale_data.py`); the demo's studies, risk register and attestations stay. `evqms assess --product
CODE --no-store` runs in a child process, as a user runs it; printed: wall time and peak RSS
(os.wait4's ru_maxrss of that child). Floor: the same child start-up with Django and the database
reading the product's stored assessments (`evqms compliance history`). Then, in the benchmark's own
process, where that time goes: the snapshot, its hash, the rule set's checks.

File path: dossier files written from examples/full-compliance.yaml with its lot (and the lot's
retention sample and administration) repeated to 10 and N lots; `evqms assess FILE` timed the
same way; floor: the example itself (one lot).

Targets (issue 17): 1,000 lots within 1 s, 10,000 within 5 s, memory under 500 MB; the file
path within 3 s for 1,000 lots.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import scale_data as sd

EVQMS = [sys.executable, "-c", "import sys; from evqms.cli import main; sys.exit(main())"]
EXAMPLE = sd.REPO / "examples" / "full-compliance.yaml"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sd.add_database_argument(p, "evqms_bench_assess")
    p.add_argument("--lots", type=int, default=1000)
    p.add_argument("--full", action="store_true", help="10,000 lots in the database")
    p.add_argument("--file-lots", default="10,1000", help="lots in the dossier files")
    p.add_argument("--repeat", type=int, default=1, help="runs of each command (the fastest is printed)")
    p.add_argument("--file-only", action="store_true", help="only the file path (no database, no demo)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    return p.parse_args(argv)


# The command is started from this small launcher, not from the benchmark: a forked child starts
# with its parent's resident pages and Linux keeps that peak across exec, so a child forked from
# the benchmark (Django, the generated data) would report the benchmark's memory as its own.
LAUNCH = """
import json, os, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = proc.stderr.read()
_pid, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"s": time.perf_counter() - t, "kb": usage.ru_maxrss,
                  "exit": os.waitstatus_to_exitcode(status), "err": err.decode(errors="replace")[-500:]}))
"""


def run_child(args: list[str], env: dict) -> dict:
    """Wall time and peak RSS of one `evqms` child process; exit 0 (all met) and 1 (gaps) are both fine."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *EVQMS, *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"launcher failed: {done.stderr[-500:]}")
    r = json.loads(done.stdout)
    if r["exit"] not in (0, 1):
        raise SystemExit(f"evqms {' '.join(args)} exited {r['exit']}: {r['err']}")
    return {"s": round(r["s"], 2), "rss_mb": round(r["kb"] / 1024, 1), "exit": r["exit"]}


def best(args: list[str], env: dict, repeat: int) -> dict:
    runs = [run_child(args, env) for _ in range(repeat)]
    top = min(runs, key=lambda r: r["s"])
    return {**top, "rss_mb": max(r["rss_mb"] for r in runs)}


def split(code: str) -> dict:
    """Where the time of `assess --product` goes, measured in this process: the evidence snapshot
    (the database reads), its hash (canonical JSON, SHA-256) and the rule set's checks (the engine
    hashes the snapshot as well; that is not counted twice)."""
    from evqms.compliance.snapshot import build_snapshot
    from evqms.dossier.models import Product
    from evqms.guidance import ruleset
    from evqms.guidance.engine import assess

    product = Product.objects.get(code=code)
    rules = ruleset.load(ruleset.DEFAULT)
    t0 = time.perf_counter()
    snapshot = build_snapshot(product)
    t1 = time.perf_counter()
    snapshot.sha256()
    t2 = time.perf_counter()
    assess(snapshot, rules)
    t3 = time.perf_counter()
    return {
        "snapshot_s": round(t1 - t0, 2),
        "sha256_s": round(t2 - t1, 2),
        "checks_s": round((t3 - t2) - (t2 - t1), 2),
    }


def dossier_with_lots(n: int, out: Path) -> Path:
    """The full-compliance example with its one lot repeated n times (and its retention sample and
    administration), written as YAML."""
    import yaml

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    lot0 = data["lots"][0]
    keep_rs = [r for r in data["retention_samples"] if r.get("lot") != lot0["id"]]
    rs0 = next(r for r in data["retention_samples"] if r.get("lot") == lot0["id"])
    adm0 = data["administrations"][0]
    lots, samples, adms = [], [], []
    for i in range(1, n + 1):
        lot_id = f"L-{i:05d}"
        lot = copy.deepcopy(lot0)
        lot["id"] = lot_id
        if isinstance(lot.get("release"), dict) and "signature" in lot["release"]:
            lot["release"]["signature"] = f"SIG-{i:05d}"
        lots.append(lot)
        samples.append({**rs0, "id": f"RS-{lot_id}", "lot": lot_id})
        adms.append(
            {**adm0, "id": f"ADM-{i:05d}", "lot": lot_id, "aliquot": f"{lot_id}-V05", "patient": f"P-{i:05d}"}
        )
    data["lots"], data["retention_samples"], data["administrations"] = lots, keep_rs + samples, adms
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    n = 10_000 if args.full else args.lots
    if args.file_only:
        import tempfile

        home = Path(tempfile.mkdtemp(prefix="evqms-bench-"))
        env = dict(os.environ, PYTHONPATH=str(sd.REPO / "src"), EVQMS_HOME=str(home))
        results: dict = {"database": "none"}
    else:
        home = sd.configure(args.database)
        env = dict(os.environ, PYTHONPATH=str(sd.REPO / "src"))
        t = time.perf_counter()
        sd.prepare()
        demo_s = time.perf_counter() - t
        base = sd.scale_lots(0)
        product = base["product"]
        from django.db import connections

        connections.close_all()
        results = {"database": "sqlite" if args.database == "sqlite" else "postgresql"}
        product_args = ["assess", "--product", product, "--no-store", "--format", "json"]
        results["floor_history"] = best(["compliance", "history", product], env, args.repeat)
        results["demo_product"] = best(product_args, env, args.repeat)
        data = sd.scale_lots(n)
        connections.close_all()
        results["scaled_lots"] = n
        results["generate_s"] = round(demo_s + data["seconds"], 1)
        results["scaled_product"] = best(product_args, env, args.repeat)
        results["split"] = split(product)
        connections.close_all()
    files = {}
    files["floor_example"] = best(["assess", str(EXAMPLE), "--format", "json"], env, args.repeat)
    for k in [int(x) for x in args.file_lots.split(",")]:
        path = dossier_with_lots(k, home / f"dossier-{k}.yaml")
        files[f"{k} lots"] = {
            **best(["assess", str(path), "--format", "json"], env, args.repeat),
            "file_mb": round(path.stat().st_size / 1e6, 2),
        }
    results["file"] = files
    if args.format == "json":
        print(json.dumps(results))
    else:
        lots_demo = 4
        rows = []
        if not args.file_only:
            print(
                f"{results['database']}: generated {n} lots in {results['generate_s']} s; "
                f"best of {args.repeat} runs"
            )
            rows = [
                ("floor: evqms compliance history (start-up)", results["floor_history"]),
                (f"assess --product, demo ({lots_demo} lots)", results["demo_product"]),
                (f"assess --product, {n + lots_demo} lots", results["scaled_product"]),
            ]
        print(f"{'what':<46}{'s':>8}{'peak MB':>9}")
        rows += [("floor: assess FILE, the example (1 lot)", files["floor_example"])]
        rows += [
            (f"assess FILE, {k} ({v['file_mb']} MB)", v) for k, v in files.items() if k != "floor_example"
        ]
        for label, r in rows:
            print(f"{label:<46}{r['s']:>8.2f}{r['rss_mb']:>9.1f}")
        if not args.file_only:
            sp = results["split"]
            print(
                f"--product at {n + lots_demo} lots, in process: snapshot {sp['snapshot_s']} s, "
                f"its hash {sp['sha256_s']} s, the rule set's checks {sp['checks_s']} s"
            )
        print("targets: --product 1 s at 1,000 lots, 5 s at 10,000, < 500 MB; FILE 3 s at 1,000 lots")
    if args.file_only:
        import shutil

        shutil.rmtree(home, ignore_errors=True)
    else:
        sd.cleanup(home, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
