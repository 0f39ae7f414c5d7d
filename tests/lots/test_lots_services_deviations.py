"""Deviations that name no lot, one lot or several: numbering, the lots they name, the proposed
classification, the permission of the hand-opened one, and every page that lists deviations."""

from __future__ import annotations

import pytest
from django.db import transaction

from evqms.audit.models import AuditEvent
from evqms.errors import InputError, PermissionDenied
from evqms.lots.models import Deviation
from evqms.lots.selectors.release import release_gate
from evqms.lots.services.deviations import new_deviation, new_quality_deviation, open_deviation

pytestmark = pytest.mark.django_db


def test_numbers_follow_the_lots_named(world):
    one = world.in_qc("UCEV-D-001")
    two = world.in_qc("UCEV-D-002")
    with transaction.atomic():
        on_one = new_quality_deviation(actor=world.operator, source="manual", description="a", lots=[one])
        on_none = new_quality_deviation(actor=world.operator, source="storage", description="b")
        on_both = new_quality_deviation(
            actor=world.operator, source="environment", description="c", lots=[one, two, one]
        )
    assert on_one.number == "DEV-UCEV-D-001-01" and on_one.lot == one
    assert on_none.number == "DEV-00001" and on_none.lot is None
    assert on_both.number == "DEV-00002" and on_both.lot is None
    assert sorted(on_both.affected_lots.values_list("number", flat=True)) == ["UCEV-D-001", "UCEV-D-002"]
    assert list(on_one.affected_lots.all()) == [one]
    assert on_none.occurred_at == on_none.opened_at
    event = AuditEvent.objects.filter(action="deviation.open", object_id=str(on_both.pk)).get()
    assert '"lots":["UCEV-D-001","UCEV-D-002"]' in event.after.replace(" ", "")


def test_the_old_call_still_opens_on_one_lot(world):
    lot = world.in_qc("UCEV-D-003")
    with transaction.atomic():
        d = new_deviation(actor=world.analyst, lot=lot, source="oos", description="OOS")
    assert d.number == "DEV-UCEV-D-003-01"
    assert list(lot.deviations.all()) == [d]
    assert (d.classification, d.classification_rule) == ("major", "oos-result")


@pytest.mark.parametrize(
    "source, facts, expected",
    [
        ("environment", {"grade": "A", "level": "action"}, ("critical", "environment-grade-a-b-action")),
        ("environment", {"grade": "B", "level": "action"}, ("critical", "environment-grade-a-b-action")),
        ("environment", {"grade": "C", "level": "action"}, ("major", "environment-action")),
        ("environment", {"grade": "A", "level": "alert"}, ("minor", "default")),
        ("parameter", {"critical_parameter": True}, ("major", "critical-parameter")),
        ("parameter", {"critical_parameter": False}, ("minor", "default")),
        ("manual", None, ("minor", "default")),
        ("storage", None, ("minor", "default")),
    ],
)
def test_the_first_matching_rule_proposes_the_classification(world, source, facts, expected):
    with transaction.atomic():
        d = new_quality_deviation(actor=world.operator, source=source, description="x", facts=facts)
    assert (d.classification, d.classification_rule) == expected


def test_a_stated_classification_is_kept(world):
    with transaction.atomic():
        d = new_quality_deviation(
            actor=world.operator,
            source="equipment",
            description="balance past calibration",
            classification="major",
            classification_rule="equipment used past its calibration date",
        )
    assert (d.classification, d.classification_rule) == ("major", "equipment used past its calibration date")


def test_bad_input_names_the_field(world):
    for kw, field in (
        ({"source": "nope", "description": "x"}, "source"),
        ({"source": "manual", "description": "  "}, "description"),
        ({"source": "manual", "description": "x", "classification": "huge"}, "classification"),
    ):
        with pytest.raises(InputError) as refused, transaction.atomic():
            new_quality_deviation(actor=world.operator, **kw)
        assert refused.value.where == field
    assert not Deviation.objects.exists()


def test_opening_by_hand_needs_the_permission(world):
    lot = world.in_qc("UCEV-D-004")
    with pytest.raises(PermissionDenied):
        open_deviation(actor=world.auditor, lot=lot, description="seen")
    d = open_deviation(actor=world.operator, lots=[lot], material_lots=[world.medium], description="seen")
    assert d.number == "DEV-UCEV-D-004-01"
    assert list(d.affected_material_lots.all()) == [world.medium]


def test_a_deviation_on_several_lots_blocks_each_of_them(world):
    one = world.quarantined_lot("UCEV-D-005")
    two = world.quarantined_lot("UCEV-D-006")
    assert release_gate(one) == [] and release_gate(two) == []
    d = open_deviation(actor=world.qa, lots=[one, two], description="room pressure lost")
    for lot in (one, two):
        assert [(p.code, p.subject) for p in release_gate(lot)] == [("open_deviation", d.number)]


def test_pages_survive_deviations_with_no_lot_or_several(client, world):
    one = world.quarantined_lot("UCEV-D-007")
    two = world.in_qc("UCEV-D-008")
    open_deviation(actor=world.qa, description="freezer alarm, no lot inside")
    several = open_deviation(actor=world.qa, lots=[one, two], description="room pressure lost")
    client.force_login(world.qa)
    body = client.get("/lots/").content.decode()
    assert "UCEV-D-007" in body
    for url in (
        "/",
        "/lots/",
        f"/lots/{one.number}/",
        f"/lots/{two.number}/",
        "/audit/",
        f"/trace/lot/{one.number}/",
        f"/trace/material_lot/{world.medium.lot_number}/",
        "/compliance/",
        f"/compliance/{world.product.code}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert several.number in client.get(f"/lots/{two.number}/").content.decode()


def test_the_evidence_snapshot_gives_a_deviation_to_each_lot_it_names(world):
    from evqms.compliance.snapshot import build_snapshot
    from evqms.guidance.consistency import check_consistency

    one = world.quarantined_lot("UCEV-D-009")
    two = world.in_qc("UCEV-D-010")
    open_deviation(actor=world.qa, description="freezer alarm, no lot inside")
    several = open_deviation(actor=world.qa, lots=[one, two], description="room pressure lost")
    snap = build_snapshot(world.product)
    assert sorted((d.id, d.lot) for d in snap.deviations) == [
        (several.number, "UCEV-D-009"),
        (several.number, "UCEV-D-010"),
    ]
    check_consistency(snap)  # every deviation names a lot of the snapshot
