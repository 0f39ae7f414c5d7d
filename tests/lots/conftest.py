"""Set-up for the lots tests beyond the shared `world` (tests/conftest.py, `evqms.testing.world`)."""

from __future__ import annotations

import pytest


@pytest.fixture
def english(client):
    """The test client switched to English through the language form, as a person would."""
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client
