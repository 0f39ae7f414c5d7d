"""Benchmark: control charts per second on 1,000-subgroup series, and ICH Q1E analyses per second.

Charts: X-bar (n = 5), R, S, individuals and p charts over 1,000 subgroups (first 100 as phase
I), all run rules applied; timed end to end from CSV bytes (read, group, limits, rules,
JSON-able result) and for the numeric core alone. Stability: 3 batches x 8 time points with
duplicates (48 results), all four models and the poolability tests.
Run: `.venv/bin/python benchmarks/analytics_spc.py [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from evqms.analytics import spc, spc_charts, spc_rules, stability  # noqa: E402

SUBGROUPS = 1000


def xbar_csv(rng) -> bytes:
    rows = ["lot,value"] + [f"S{i},{v:.5f}" for i in range(SUBGROUPS) for v in rng.normal(10.0, 0.2, 5)]
    return ("\n".join(rows) + "\n").encode()


def individuals_csv(rng) -> bytes:
    return (
        "run,value\n" + "\n".join(f"{i},{v:.5f}" for i, v in enumerate(rng.normal(4.0, 0.3, SUBGROUPS)))
    ).encode()


def p_csv(rng) -> bytes:
    sizes = rng.integers(80, 120, SUBGROUPS)
    bad = rng.binomial(sizes, 0.05)
    return (
        "day,n,bad\n" + "\n".join(f"{i},{n},{b}" for i, (n, b) in enumerate(zip(sizes, bad, strict=True)))
    ).encode()


def stability_data(rng) -> stability.StabilityData:
    times = np.repeat([0, 1, 3, 6, 9, 12, 18, 24], 2).astype(float)
    t = np.tile(times, 3)
    b = np.repeat([0, 1, 2], len(times))
    y = 100 + np.array([0.0, 1.2, -0.6])[b] - np.array([0.20, 0.22, 0.25])[b] * t + rng.normal(0, 0.5, len(t))
    return stability.StabilityData(t, y, b, ("b1", "b2", "b3"))


def rate(fn, items, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--series", type=int, default=10, help="series per chart type")
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    cal = f"1-{SUBGROUPS // 10}"
    xbar = [xbar_csv(rng) for _ in range(args.series)]
    indiv = [individuals_csv(rng) for _ in range(args.series)]
    pdata = [p_csv(rng) for _ in range(args.series)]
    print(f"control charts, {SUBGROUPS} subgroups each, phase I = subgroups {cal}, all 12 run rules")
    for chart, data, kw in (
        ("xbar", xbar, {"subgroup": "lot", "lsl": 9.0, "usl": 11.0}),
        ("r", xbar, {"subgroup": "lot"}),
        ("s", xbar, {"subgroup": "lot"}),
        ("i", indiv, {}),
        ("p", pdata, {"size": "n"}),
    ):
        value = "bad" if chart == "p" else "value"
        r = rate(lambda d, c=chart, v=value, k=kw: spc.analyze_table(d, "bench.csv", chart=c, value=v,
                                                                      calibration=cal, **k), data, args.repeat)  # fmt: skip
        print(f"  {chart:4s} from CSV (read, limits, rules, result): {r:8.1f} charts/s")
    groups = [rng.normal(10.0, 0.2, 5) for _ in range(SUBGROUPS)]
    mask = np.zeros(SUBGROUPS, dtype=bool)
    mask[: SUBGROUPS // 10] = True

    def core(_):
        comp = spc_charts.variables_chart("xbar", groups, mask)
        spc_rules.apply_rules((comp.statistics - comp.center) / comp.se, "all")

    print(
        f"  xbar numeric core (limits + rules, no CSV):   {rate(core, range(20), args.repeat):8.1f} charts/s"
    )
    datasets = [stability_data(rng) for _ in range(50)]
    r = rate(lambda d: stability.shelf_life(d, lower=95.0), datasets, args.repeat)
    print(f"stability (3 batches x 16 results, 4 models, poolability): {r:8.1f} analyses/s")
    r = rate(lambda d: stability.shelf_life(d, lower=95.0, upper=105.0), datasets, args.repeat)
    print(f"stability, two-sided specification:                       {r:8.1f} analyses/s")


if __name__ == "__main__":
    main()
