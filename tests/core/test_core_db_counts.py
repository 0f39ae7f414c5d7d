"""core.db.counts: several counts in one statement, each what `.count()` says."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evqms.core.db import counts
from evqms.inventory.models import Aliquot
from evqms.lots.models import Lot, QCResult

pytestmark = pytest.mark.django_db


def test_counts_are_the_counts_in_one_statement(world):
    tested = world.in_qc("UCEV-T-001")
    world.test_all(tested, verify=False)
    world.in_qc("UCEV-T-002")
    asked = {
        "lots": Lot.objects.all(),
        "in_qc": Lot.objects.filter(status="qc"),
        "results_of_t001": QCResult.objects.filter(lot__number="UCEV-T-001").order_by("-id"),
        "lots_with_results": Lot.objects.filter(qc_results__isnull=False).distinct(),
        "none": Aliquot.objects.filter(container_id="no such container"),
    }
    expected = {name: queryset.count() for name, queryset in asked.items()}
    assert expected["in_qc"] == 2 and expected["results_of_t001"] > 1 and expected["none"] == 0
    assert expected["lots_with_results"] == 1
    with CaptureQueriesContext(connection) as captured:
        found = counts(**asked)
    assert found == expected and len(captured.captured_queries) == 1


def test_no_counts_asked_is_no_query():
    with CaptureQueriesContext(connection) as captured:
        assert counts() == {}
    assert captured.captured_queries == []
