"""Shared test fixtures.

`validation_dir` points at ../shared/validation (real instrument files and published results
that nobody on the team wrote); tests that need it are skipped with a clear reason when a
user's clone has no shared/ folder beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VALIDATION_DIR = Path(os.environ.get("EVQMS_VALIDATION_DIR", REPO.parent / "shared" / "validation"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def validation_dir() -> Path:
    if not VALIDATION_DIR.is_dir():
        pytest.skip(f"validation data not found at {VALIDATION_DIR} (the shared/ folder beside the project)")
    return VALIDATION_DIR


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
