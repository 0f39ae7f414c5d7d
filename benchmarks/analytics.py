"""Benchmark: all QC analytics in one run (NTA files/s, potency fits/s, control charts/s, shelf lives/s).

Runs the three focused scripts beside this file one after the other and prints their figures.
Run: `.venv/bin/python benchmarks/analytics.py`. Record the figures in docs/performance.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("analytics_nta.py", "analytics_potency.py", "analytics_spc.py")


def main() -> int:
    code = 0
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        code |= subprocess.call([sys.executable, str(HERE / script)])
    return code


if __name__ == "__main__":
    sys.exit(main())
