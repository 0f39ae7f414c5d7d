"""Input drill: mutated and hostile files against every `evqms` importer, each run capped.

Each input runs `evqms ...` in a child process with a CPU-time limit, an address-space limit
(resource.setrlimit in the child) and a wall-clock timeout. The drill counts, per importer and
in total: tracebacks (stderr shows "Traceback"), hangs (killed at the timeout), runs over the
memory budget (peak RSS above it, a MemoryError, or killed by the address-space cap), and runs
whose exit code is outside {0, 1, 2} or that exit 2 with more than one line on stderr.

    .venv/bin/python benchmarks/input_fuzz_drill.py            # the whole drill
    .venv/bin/python benchmarks/input_fuzz_drill.py --only assess --show

The inputs are derived from the project's own fixtures (examples/, tests/fixtures/) by fixed,
seeded mutations, so two runs give the same figures. `lots import-qc` needs a database with a
lot and an analyst; it is covered by tests/lots/test_lots_input_fuzz.py instead.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"
EVQMS = [sys.executable, "-m", "evqms.cli"]
MIB = 1024 * 1024


def _synth():
    spec = importlib.util.spec_from_file_location("nta_synth", FIX / "nta" / "nta_synth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- mutations -----------------------------------------------------------------------------------


def mutations(seed_bytes: bytes, kind: str, rnd: random.Random) -> list[tuple[str, bytes]]:
    """(label, bytes) variants of one real file. `kind` adds the format's own hostile shapes."""
    text = seed_bytes.decode("utf-8", "replace")
    out = [
        ("empty", b""),
        ("nul-middle", seed_bytes[: len(seed_bytes) // 2] + b"\x00" + seed_bytes[len(seed_bytes) // 2 :]),
        ("nul-only", b"\x00" * 4096),
        ("utf16le-bom", text.encode("utf-16")),
        ("utf16be-nobom", text.encode("utf-16-be")),
        ("utf8-bom", b"\xef\xbb\xbf" + seed_bytes),
        ("latin1", text.encode("latin-1", "replace").replace(b"a", b"\xe9", 3)),
        ("truncated", seed_bytes[: max(1, len(seed_bytes) // 3)]),
        ("crlf", seed_bytes.replace(b"\n", b"\r\n")),
        ("cr-only", seed_bytes.replace(b"\n", b"\r")),
        ("long-line-5mb", seed_bytes + b"x" * (5 * MIB)),
        ("binary-noise", bytes(rnd.randrange(256) for _ in range(4096))),
    ]
    for i in range(6):  # random byte flips
        b = bytearray(seed_bytes)
        for _ in range(max(1, len(b) // 50)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        out.append((f"flip-{i}", bytes(b)))
    for i in range(3):  # lines shuffled / duplicated
        lines = seed_bytes.splitlines(keepends=True)
        rnd.shuffle(lines)
        out.append((f"shuffle-{i}", b"".join(lines)))
    if kind == "csv":
        lines = seed_bytes.splitlines()
        head = lines[0] if lines else b"a,b"
        ncol = head.count(b",") + 1
        out += [
            ("csv-10mb-field", head + b"\n" + b'"' + b"9" * (10 * MIB) + b'"' + b",1" * (ncol - 1) + b"\n"),
            ("csv-unclosed-quote", seed_bytes + b'\n"' + b"x" * 1000),
            ("csv-100k-digit", head + b"\n" + b",".join([b"1" + b"0" * 100_000] * ncol) + b"\n"),
            ("csv-nan-inf", head + b"\n" + b",".join([b"nan", b"inf", b"-inf"][:ncol] * 1) + b"\n"),
            (
                "csv-many-columns",
                b",".join(b"c%d" % i for i in range(20000)) + b"\n" + b"1," * 19999 + b"1\n",
            ),
            ("csv-many-rows", head + b"\n" + (b",".join([b"1"] * ncol) + b"\n") * 200_000),
            ("csv-formula", head + b"\n" + b",".join([b"=cmd|'/c calc'!A1"] * ncol) + b"\n"),
            ("csv-semicolon", seed_bytes.replace(b",", b";")),
        ]
    if kind == "yaml":
        laughs = "a: &a [" + ",".join(["lol"] * 9) + "]\n"
        for i in range(1, 10):
            prev = chr(ord("a") + i - 1)
            cur = chr(ord("a") + i)
            laughs += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        out += [
            ("yaml-billion-laughs", laughs.encode()),
            # the same, reached by the dossier validation (which walks every reference)
            (
                "yaml-billion-laughs-product",
                (laughs + "dossier_version: 1\nproduct: {id: X, name: *j}\n").encode(),
            ),
            ("yaml-deep-flow", b"a: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"),
            ("yaml-deep-block", "".join("  " * i + "k:\n" for i in range(3000)).encode()),
            ("yaml-deep-map-flow", b"a: " + b"{x: " * 20_000 + b"1" + b"}" * 20_000 + b"\n"),
            ("yaml-alias-product", seed_bytes + b"\nx: &x {a: 1}\ny: *x\n"),
            ("yaml-python-tag", b"!!python/object/apply:os.system ['true']\n"),
            ("yaml-100k-digit", seed_bytes + b"\nbig: " + b"9" * 100_000 + b"\n"),
            ("yaml-multi-doc", seed_bytes + b"\n---\n" + seed_bytes),
            ("yaml-merge-key", b"base: &b {id: x}\nproduct:\n  <<: *b\n"),
        ]
    if kind == "json":
        out += [
            ("json-deep-array", b"[" * 100_000 + b"]" * 100_000),
            ("json-deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
            ("json-nan", seed_bytes.replace(b"1", b"NaN", 2)),
            ("json-100k-digit", b'{"big": ' + b"9" * 100_000 + b"}"),
            ("json-huge-exp", b'{"x": 1e999999}'),
            ("json-dup-keys", b'{"a": 1, "a": 2}'),
            ("json-top-list", b"[1, 2, 3]"),
        ]
    if kind == "warc":
        raw = gzip.decompress(seed_bytes) if seed_bytes[:2] == b"\x1f\x8b" else seed_bytes
        bomb = io.BytesIO()
        with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as gz:
            chunk = b"\x00" * MIB
            for _ in range(800):  # 800 MiB of zeros, under 1 MB compressed
                gz.write(chunk)
        out += [
            ("warc-gzip-bomb", bomb.getvalue()),
            ("warc-plain", raw),
            ("warc-truncated-gz", seed_bytes[: len(seed_bytes) // 2]),
            ("warc-flip-gz", seed_bytes[:40] + b"\xff" * 20 + seed_bytes[60:]),
            ("warc-huge-length", raw.replace(b"Content-Length: ", b"Content-Length: 99999999999", 1)),
        ]
    return out


# ---- targets ---------------------------------------------------------------------------------------


def targets(work: Path) -> dict[str, tuple[str, list[tuple[str, bytes]], callable]]:
    """importer name -> (suffix, inputs, argv builder)."""
    rnd = random.Random(20261207)
    synth = _synth()
    ns = synth.nanosight_csv([[0.0] * 99 + [1e8, 2e8, 1e8] + [0.0] * 898], dilution=1e4)
    zv = synth.zetaview_txt([0, 0, 0, 1, 2, 1])
    minimal = (ROOT / "examples" / "minimal.yaml").read_bytes()
    dossier_json = (FIX / "guidance" / "invalid-dossier.json").read_bytes()
    return {
        "assess-yaml": (".yaml", mutations(minimal, "yaml", rnd), lambda p: ["assess", p]),
        "assess-json": (".json", mutations(dossier_json, "json", rnd), lambda p: ["assess", p]),
        "nta-nanosight": (".csv", mutations(ns, "csv", rnd), lambda p: ["analyze", "nta", p]),
        "nta-zetaview": (".txt", mutations(zv, "csv", rnd)[:20], lambda p: ["analyze", "nta", p]),
        "potency": (
            ".csv",
            mutations((FIX / "potency" / "plate_two_lots.csv").read_bytes(), "csv", rnd),
            lambda p: [
                "analyze",
                "potency",
                p,
                "--dose",
                "conc_ng_ml",
                "--response",
                "signal",
                "--curve",
                "lot",
            ],
        ),
        "spc": (
            ".csv",
            mutations((FIX / "spc" / "fill_weight.csv").read_bytes(), "csv", rnd),
            lambda p: ["analyze", "spc", p, "--chart", "xbar", "--value", "weight_mg", "--subgroup", "lot"],
        ),
        "stability": (
            ".csv",
            mutations((FIX / "stability" / "potency_stable.csv").read_bytes(), "csv", rnd),
            lambda p: [
                "analyze",
                "stability",
                p,
                "--time",
                "month",
                "--value",
                "potency_pct",
                "--batch",
                "lot",
            ],
        ),
        "trials-ingest": (
            ".json",
            mutations((FIX / "landscape" / "ctgov" / "ev_search_page1.json").read_bytes(), "json", rnd),
            lambda p: ["landscape", "trials", "ingest", p, "--as-of", "2023-10-30"],
        ),
        "clinics-warc": (
            ".warc.gz",
            mutations((FIX / "landscape" / "upload" / "clinics_small.warc.gz").read_bytes(), "warc", rnd),
            lambda p: ["landscape", "clinics", "classify", p, "--format", "json"],
        ),
        "clinics-manifest": (
            ".jsonl",
            mutations((FIX / "landscape" / "clinics" / "manifest.jsonl").read_bytes(), "json", rnd)[:15],
            lambda p: ["landscape", "clinics", "classify", p],
        ),
    }


# ---- running one input --------------------------------------------------------------------------------


def _limits(mem_cap: int, cpu: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap, mem_cap))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    return apply


def run_one(argv, *, home: Path, timeout: float, mem_cap: int) -> dict:
    env = dict(
        os.environ,
        EVQMS_HOME=str(home),
        EVQMS_LANG="en",
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=str(ROOT / "src"),
    )
    start = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [*EVQMS, *argv],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            cwd=str(home),
            preexec_fn=_limits(mem_cap, int(timeout) + 5),
        )
        hung = False
        while True:  # wait4 gives this child's own peak RSS
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                hung = True
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return {
        "rc": proc.returncode,
        "seconds": time.monotonic() - start,
        "hung": hung,
        "traceback": "Traceback (most recent call last)" in text,
        "memory_error": "MemoryError" in text or (proc.returncode in (-9, -6) and not hung),
        "stderr": text,
        "peak_kib": usage.ru_maxrss,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="run only importers whose name contains this")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per run (a hang)")
    ap.add_argument("--memory-mib", type=int, default=1024, help="memory budget per run")
    ap.add_argument("--show", action="store_true", help="print every failing run")
    args = ap.parse_args(argv)
    mem_cap = 2 * args.memory_mib * MIB  # the hard cap protects the machine; the budget is judged on RSS
    totals = {"runs": 0, "tracebacks": 0, "hangs": 0, "over_memory": 0, "bad_exit": 0, "multiline_2": 0}
    with tempfile.TemporaryDirectory(prefix="evqms-fuzz-") as tmp:
        work = Path(tmp)
        for name, (suffix, inputs, build) in targets(work).items():
            if args.only and args.only not in name:
                continue
            row = dict.fromkeys(totals, 0)
            for label, data in inputs:
                home = work / f"home-{name}-{label}"
                if name == "clinics-manifest":  # the manifest names the saved pages beside it
                    shutil.copytree(FIX / "landscape" / "clinics", home)
                else:
                    home.mkdir()
                path = home / f"{label}{suffix}"
                path.write_bytes(data)
                r = run_one(build(str(path)), home=home, timeout=args.timeout, mem_cap=mem_cap)
                shutil.rmtree(home, ignore_errors=True)
                over = r["memory_error"] or r["peak_kib"] * 1024 > args.memory_mib * MIB
                lines = [ln for ln in r["stderr"].splitlines() if ln.strip()]
                fail = {
                    "tracebacks": r["traceback"],
                    "hangs": r["hung"],
                    "over_memory": over,
                    "bad_exit": not r["hung"] and r["rc"] not in (0, 1, 2),
                    "multiline_2": r["rc"] == 2 and len(lines) != 1,
                }
                row["runs"] += 1
                for key, bad in fail.items():
                    row[key] += int(bool(bad))
                if args.show and any(fail.values()):
                    last = lines[-1] if lines else ""
                    flags = ",".join(k for k, v in fail.items() if v)
                    print(f"  {name}/{label}: rc={r['rc']} {r['seconds']:.1f}s [{flags}] {last[:160]}")
            print(
                f"{name:18} runs={row['runs']:3} tracebacks={row['tracebacks']:2} hangs={row['hangs']} "
                f"over_memory={row['over_memory']} bad_exit={row['bad_exit']} multiline_2={row['multiline_2']}",
                flush=True,
            )
            for key in totals:
                totals[key] += row[key]
    print(json.dumps(totals))
    return 0 if not any(v for k, v in totals.items() if k != "runs") else 1


if __name__ == "__main__":
    sys.exit(main())
