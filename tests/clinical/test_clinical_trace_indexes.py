"""The recall path's covering indexes exist on PostgreSQL (clinical migration 0002)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_covering_indexes_on_postgresql_only():
    with connection.cursor() as c:
        if connection.vendor != "postgresql":
            c.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_cov'")
            assert c.fetchall() == []  # SQLite has no INCLUDE: nothing is created there
            return
        c.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%_cov' ORDER BY indexname"
        )
        found = dict(c.fetchall())
    assert set(found) == {"adm_trace_cov", "admaliquot_aliquot_cov", "patient_code_cov"}
    assert "INCLUDE (administration_id)" in found["admaliquot_aliquot_cov"]
    assert "INCLUDE (code)" in found["patient_code_cov"]
