"""The lot area's work queue at scale: QC results to verify are found from the open lots, not by
walking every lot the facility ever made (the dashboard asks on every view)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evqms.lots.selectors import tasks

pytestmark = pytest.mark.django_db


def test_results_to_verify_are_listed_per_open_lot(world):
    lot = world.in_qc()
    world.test_all(lot, verify=False)
    [task] = [t for t in tasks.tasks_for(world.analyst2) if t.kind == "qc.verify"]
    n = lot.qc_results.filter(status="valid", verified_by__isnull=True).count()
    assert n > 1
    assert task.title == f"Verify the QC results of lot {lot.number} ({n} to verify)"
    # no one verifies their own result
    assert not [t for t in tasks.tasks_for(world.analyst) if t.kind == "qc.verify"]


def test_results_to_verify_start_from_the_open_lots(world):
    if connection.vendor != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    world.in_qc()
    with CaptureQueriesContext(connection) as queries:
        tasks._to_verify(world.qa, "Lots")
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "SCAN lots_lot" not in plan, plan  # every lot walked to group by its number
    assert "lots_lot_status" in plan, plan
