"""Fits per second for realistic potency plates: 8 doses x 3 replicates x 2 curves (reference
and test lot), LL.4 with separate curves (drc's default, plus the parallelism refit) and the
USP-style constrained fit. Run: .venv/bin/python benchmarks/analytics_potency.py"""

from __future__ import annotations

import time

import numpy as np

from evqms.analytics.potency import fit_dose_response, usp_relative_potency
from evqms.analytics.potency_models import MODELS, curve_value

DOSES = np.repeat([0.0, 0.39, 0.78, 1.56, 3.125, 6.25, 12.5, 25.0], 3)


def plates(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        y = []
        for e in (5.0, rng.uniform(2.5, 8.0)):
            mean = curve_value(MODELS["LL4"], DOSES, {"b": -1.4, "c": 120.0, "d": 980.0, "e": e})
            y.append(mean + rng.normal(0, 25.0, DOSES.size))
        yield np.concatenate([DOSES, DOSES]), np.concatenate(y), ["REF"] * 24 + ["TEST"] * 24


def bench(label: str, fn, n: int) -> None:
    data = list(plates(n))
    start = time.perf_counter()
    for x, y, lots in data:
        fn(x, y, lots)
    elapsed = time.perf_counter() - start
    print(f"{label:<58} {n / elapsed:8.1f} plates/s  ({1000 * elapsed / n:6.2f} ms each)")


def main() -> None:
    n = 100
    bench("LL.4 fit, 2 curves, drc-compatible optimiser", lambda x, y, c: fit_dose_response(x, y, c), n)
    bench(
        "LL.4 fit, 2 curves, exact least squares",
        lambda x, y, c: fit_dose_response(x, y, c, optimizer="exact"),
        n,
    )
    bench(
        "full report (fit + ED + relative potency + parallelism)",
        lambda x, y, c: fit_dose_response(x, y, c).to_dict(reference="REF"),
        n,
    )
    bench(
        "USP relative potency (constrained + separate fits)",
        lambda x, y, c: usp_relative_potency(x, y, c, "REF", "TEST"),
        n,
    )


if __name__ == "__main__":
    main()
