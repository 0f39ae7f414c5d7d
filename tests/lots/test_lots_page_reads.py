"""What the lot page reads once and shares: the QC results with their attributes and people attached
by hand, the deviations and holds passed to the release gate, the signed record read only for a
signed lot. Each must tell what the reads they replace told."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evqms.lots import selectors, services
from evqms.lots.models import LotHold, QCResult
from evqms.lots.records import lot_qc_results
from evqms.lots.selectors.lots import _qc_results
from evqms.lots.selectors.qc import specification_attributes
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db


def _result(world, lot, code, value, unit, **kw):
    return services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=world.attr(code),
        value=value,
        unit=unit,
        tested_at=timezone.now(),
        **kw,
        controls=passing_controls(world.attr(code)),
    )


def test_qc_results_are_those_of_lot_qc_results_in_its_order(world):
    lot = world.in_qc()
    world.test_all(lot, skip=("endotoxin",))
    first = _result(world, lot, "endotoxin", D("0.8"), "EU/mL")
    services.invalidate_qc_result(actor=world.analyst2, result=first, reason="lab error")
    _result(world, lot, "endotoxin", D("0.1"), "EU/mL", retest_of=first)
    expected = lot_qc_results(lot)
    got = _qc_results(lot, specification_attributes(lot))
    assert [r.pk for r in got] == [r.pk for r in expected] and len(got) == 6
    for g, e in zip(got, expected, strict=True):
        assert (g.attribute, g.analyst, g.verified_by) == (e.attribute, e.analyst, e.verified_by)
        assert g.attribute.code == e.attribute.code and g.analyst.get_username() == e.analyst.get_username()
    assert {r.verified_by is None for r in got} == {True, False}


def test_a_result_of_an_attribute_outside_the_lots_specification_keeps_its_attribute(world):
    lot = world.in_qc()
    result = _result(world, lot, "endotoxin", D("0.1"), "EU/mL")
    attributes = [a for a in specification_attributes(lot) if a.code != "endotoxin"]
    (got,) = _qc_results(lot, attributes)
    assert got.pk == result.pk and got.attribute.code == "endotoxin"


def test_the_gate_given_deviations_and_holds_says_what_it_reads(world):
    lot = world.quarantined_lot()
    services.open_deviation(actor=world.qa, lot=lot, description="first")
    services.open_deviation(actor=world.qa, lot=lot, description="second")
    LotHold.objects.create(
        lot=lot,
        source_kind="recall",
        source="RC-00001",
        reason="r",
        placed_by=world.qa,
        placed_at=timezone.now(),
    )
    read = selectors.lot_detail_read(lot)
    assert read.story["release_gate"] == [p.to_dict() for p in selectors.release_gate(lot)]
    assert [p["code"] for p in read.story["release_gate"]].count("open_deviation") == 2
    assert [h.source for h in read.holds] == ["RC-00001"]


def test_a_signature_stops_applying_when_the_record_changes(world, rf_request):
    lot = services.release_lot(
        request=rf_request, actor=world.qa, lot=world.quarantined_lot(), password=world.qa.raw_password
    )
    (before,) = selectors.lot_detail(lot)["signatures"]
    assert before["applies_to_current"] and before["valid"]
    QCResult.objects.filter(lot=lot, attribute__code="modal_size").update(method="edited afterwards")
    (after,) = selectors.lot_detail(lot)["signatures"]
    assert not after["applies_to_current"] and not after["valid"] and not after["invalidated"]


def _step_record_reads(lot) -> int:
    with CaptureQueriesContext(connection) as queries:
        selectors.lot_detail(lot)
    return sum('FROM "lots_steprecord"' in q["sql"] for q in queries.captured_queries)


def test_the_signed_record_is_read_only_for_a_signed_lot(world, rf_request):
    lot = world.quarantined_lot()
    assert _step_record_reads(lot) == 1  # the story's steps; no signature to check
    services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    assert _step_record_reads(lot) == 2  # and again in what the release signature signed
