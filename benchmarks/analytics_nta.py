"""Benchmark: NTA exports parsed and analysed per second.

Generates realistic synthetic exports (NanoSight NTA 3.2/3.3/3.4 with 3-12 videos of 1000
1-nm bins; ZetaView 8.x with 1200 linear and 200 log classes, a few hundred traces each), then
times `parse_nta` on every one (decode, detect, parse, recompute, compare with the file's own
figures). Run: `.venv/bin/python benchmarks/analytics_nta.py [--files 200] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from evqms.analytics.nta import parse_nta  # noqa: E402


def _load_synth():
    spec = importlib.util.spec_from_file_location(
        "nta_synth", REPO / "tests" / "fixtures" / "nta" / "nta_synth.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_files(n: int, seed: int = 1) -> list[tuple[str, bytes]]:
    synth = _load_synth()
    rng = random.Random(seed)
    files = []
    for i in range(n):
        if i % 2 == 0:
            version = ("3.2", "3.3", "3.4")[i // 2 % 3]
            median, gsd = rng.uniform(70, 140), rng.uniform(1.25, 1.6)
            total = 10 ** rng.uniform(8, 12)
            videos = [
                synth.lognormal_histogram(
                    synth.NS_BINS, median=median, gsd=gsd, total=total, rng=rng, noise=0.05
                )
                for _ in range(rng.randint(3, 12))
            ]
            data = synth.nanosight_csv(
                videos,
                version=version,
                dilution=rng.choice([None, 100.0, 1e4]),
                newline=rng.choice(["\r\n", "\n"]),
                volume_block_first=False,
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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    files = make_files(args.files)
    gen = time.perf_counter() - t0
    size = sum(len(d) for _n, d in files)
    print(f"generated {len(files)} files ({size / 1e6:.1f} MB) in {gen:.1f} s")

    rates = []
    warnings = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        results = [parse_nta(data, name) for name, data in files]
        dt = time.perf_counter() - t0
        rates.append(len(files) / dt)
        warnings = sum(len(r.warnings) for r in results)
    # CPU time too: on a shared machine the wall clock also counts the waits for a core
    by_kind, cpu_by_kind = {}, {}
    for _ in range(args.repeat):
        for name, data in files:
            kind = "NanoSight" if name.startswith("ns_") else "ZetaView"
            t0, c0 = time.perf_counter(), time.process_time()
            parse_nta(data, name)
            by_kind.setdefault(kind, []).append(time.perf_counter() - t0)
            cpu_by_kind.setdefault(kind, []).append(time.process_time() - c0)
    print(
        f"parsed + analysed: {statistics.median(rates):.1f} files/s (median of {args.repeat} runs; "
        f"{size / 1e6 * statistics.median(rates) / len(files):.1f} MB/s); warnings raised: {warnings}"
    )
    for kind, times in by_kind.items():
        cpu = sum(cpu_by_kind[kind]) / len(times)
        print(
            f"  {kind}: {len(times) // args.repeat} files, median {statistics.median(times) * 1000:.1f} ms per "
            f"file (wall), mean {cpu * 1000:.2f} ms CPU per file"
        )
    return 0 if warnings == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
