"""The retention checks of the dashboard card and the work queue: what they find, and that they ask
each lot "is a sample in stock?" from an index, reading a lot's QC results only for the lots that
lack one (the dashboard asks both questions of every lot on every view)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evqms.inventory import selectors
from evqms.lots.models import QCResult

pytestmark = pytest.mark.django_db


def _retention_tasks(user):
    return [t for t in selectors.tasks_for(user) if t.kind.startswith("retention.")]


def test_a_quarantined_lot_without_a_sample_is_due_with_its_release(world):
    """Due five days (lot.release) after the lot's last QC result, as the release decision is."""
    world.product.retention_sample_required = True
    world.product.save(update_fields=["retention_sample_required"])
    lot = world.quarantined_lot()
    QCResult.objects.filter(lot=lot).update(recorded_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC))
    last = QCResult.objects.filter(lot=lot).first()
    # 10:00 UTC is 19:00 in Tokyo: the same local day.
    QCResult.objects.filter(pk=last.pk).update(recorded_at=dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    [task] = _retention_tasks(world.qa)
    assert task.kind == "retention.take"
    assert lot.number in task.title
    assert task.due == dt.date(2026, 11, 25)


def _plans(queries) -> list[tuple[str, str]]:
    out = []
    with connection.cursor() as cursor:
        for q in queries:
            cursor.execute("EXPLAIN QUERY PLAN " + q["sql"])
            out.append((q["sql"], " | ".join(str(row[-1]) for row in cursor.fetchall())))
    return out


def test_the_retention_checks_ask_the_index_first_and_group_no_results(world):
    if connection.vendor != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    world.quarantined_lot()
    with CaptureQueriesContext(connection) as queries:
        selectors.retention_missing()
        selectors.tasks_for(world.qa)
    lot_checks = [(sql, plan) for sql, plan in _plans(queries) if "inventory_retentionsample" in sql]
    assert lot_checks
    for sql, plan in lot_checks:
        if '"lot_id" = ("lots_lot"."id")' in sql:
            assert "COVERING INDEX retention_lot_status_idx" in plan, plan
        if "lots_qcresult" in sql:  # every lot's results grouped to find each one's last
            assert "GROUP BY" not in sql, sql
