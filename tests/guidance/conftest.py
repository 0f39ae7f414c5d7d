"""Fixtures for the guidance tests: fresh copies of the example dossiers."""

from __future__ import annotations

import copy

import pytest
from guidance_helpers import example_data


@pytest.fixture
def full() -> dict:
    """A fresh, mutable copy of the full-compliance dossier."""
    return copy.deepcopy(example_data("full-compliance.yaml"))


@pytest.fixture
def typical() -> dict:
    return copy.deepcopy(example_data("typical-clinic.yaml"))
