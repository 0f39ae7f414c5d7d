"""benchmarks/trace_scale.py runs end to end at a tiny N and prints the JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_trace_scale_smoke_json():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EVQMS_HOME")}
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "trace_scale.py"),
            "--administrations",
            "2000",
            "--samples",
            "20",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["database"] == "sqlite" and report["n_administrations"] == 2000
    assert set(report["directions"]) == {
        "adverse_event",
        "administration",
        "aliquot",
        "lot",
        "material_lot",
        "cell_bank",
        "donor",
    }
    for figures in report["directions"].values():
        assert 0 < figures["p50_ms"] <= figures["p95_ms"]
        assert figures["raw_sql_p95_ms"] > 0
    assert report["lot_list_p95_ms"] > 0 and report["generate_s"] >= 0
