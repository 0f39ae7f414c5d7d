"""Fixtures of the landscape web tests: an empty file store beside the database, and the
ClinicalTrials.gov fixture pages shared with tests/landscape."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def ctgov(fixtures_dir) -> Path:
    return fixtures_dir / "landscape" / "ctgov"


@pytest.fixture
def file_home(tmp_path, monkeypatch):
    """An empty $EVQMS_HOME for the file store (the database is pytest-django's)."""
    monkeypatch.setenv("EVQMS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EVQMS_LANG", "en")
    return tmp_path / "home"


@pytest.fixture
def english():
    from django.utils import translation

    from evqms.i18n import use_language

    with use_language("en"), translation.override("en"):
        yield


@pytest.fixture
def demo_users(make_user):
    return {
        "qa": make_user("qa", "qa_reviewer"),
        "admin": make_user("admin", "administrator"),
        "operator": make_user("operator", "operator"),
        "auditor": make_user("auditor", "auditor"),
    }


@pytest.fixture
def demo(demo_users):
    from evqms.landscape import demo as landscape_demo

    landscape_demo.load(demo_users)
    return demo_users
