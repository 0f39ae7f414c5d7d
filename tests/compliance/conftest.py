"""Fixtures of the compliance tests (the world itself is in compliance_helpers)."""

from __future__ import annotations

import pytest


@pytest.fixture
def world(make_user, rf_request):
    from compliance_helpers import make_world

    return make_world(make_user, rf_request)
