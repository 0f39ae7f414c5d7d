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


# --- Django test set-up -------------------------------------------------------------------
# Every database test runs on SQLite and, in a second run (`make test`), on PostgreSQL with
# DATABASE_URL set and EVQMS_DB_TESTS_ONLY=1: that run keeps only the tests that use the database.

DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "live_server",
    "django_user_model",
    "client",
    "admin_client",
    "admin_user",
}


def pytest_collection_modifyitems(config, items):
    if os.environ.get("EVQMS_DB_TESTS_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or DB_FIXTURES.intersection(
            getattr(item, "fixturenames", ())
        )
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def make_user(db):
    """Create a user with roles through the service (so the audit trail sees it)."""
    from evqms.accounts import services

    def _make(username: str, *roles: str, password: str = "correct-horse-battery-9"):
        user = services.create_user(
            actor=None,
            username=username,
            password=password,
            role_names=list(roles) or ["operator"],
            printed_name=username.title(),
        )
        user.raw_password = password
        return user

    return _make


@pytest.fixture
def world(make_user):
    """The lot area's test world (`evqms.testing.world.World`): a user per role, a product with its
    process, specification, cell bank and a medium lot, and lots taken to a state by the services."""
    from evqms.testing.world import World

    return World.build(make_user)


@pytest.fixture
def rf_request(rf):
    """A request object for services that need one (signatures count failures per request)."""
    request = rf.post("/")
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    return request


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"}.intersection(getattr(item, "fixturenames", ())))


def _uses_db(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DB_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    )


@pytest.fixture(autouse=True)
def _append_only_tables_purge_mode(request):
    """Transactional tests empty the database afterwards (a DELETE or TRUNCATE of every table):
    only they may pass the append-only triggers; every other test runs with the triggers armed."""
    if not _uses_db(request.node):
        yield
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    from django.db import connection

    from evqms.core.maintenance import set_purge_allowed

    with blocker.unblock():
        set_purge_allowed(connection, _is_transactional(request.node))
    yield


@pytest.fixture(autouse=True)
def _english_unless_asked():
    """The site's default language is Japanese; tests read messages in English unless they switch
    (a request's own language, `use_language("ja")` or `translation.override("ja")` still win)."""
    from django.utils import translation

    with translation.override("en"):
        yield
