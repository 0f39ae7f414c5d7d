"""A temperature excursion on a storage unit: the deviation naming the lots stored in it during the
excursion (from the aliquots' moves), their aliquots held under its number, refusals naming the
aliquot and the deviation, and QA's signed assessment of each held aliquot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.equipment import services as equipment
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.inventory import services
from evqms.inventory.models import Aliquot, TemperatureExcursion
from evqms.lots.models import Deviation
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {"op": make_user("op-x", "operator"), "qa": make_user("qa-x", "qa_reviewer")}


@pytest.fixture
def store(people):
    """Freezer F1 is the storage unit FRZ-80 (−90 to −60 °C); freezer F2 is not in the register."""
    op, qa = people["op"], people["qa"]
    unit = equipment.register_instrument(
        actor=qa, identifier="FRZ-80", kind="freezer", name="-80 °C freezer", is_storage_unit=True,
        min_temperature_c="-90", max_temperature_c="-60",
    )  # fmt: skip
    site = services.create_location(actor=op, code="S", name="Site", kind="site")
    f1 = services.create_location(
        actor=op, code="F1", name="F1", kind="freezer", parent=site, storage_unit=unit
    )
    box = services.create_location(
        actor=op,
        code="F1-B",
        name="Box",
        kind="box",
        parent=services.create_location(actor=op, code="F1-R", name="Rack", kind="rack", parent=f1),
    )
    f2 = services.create_location(actor=op, code="F2", name="F2", kind="freezer", parent=site)
    return {"unit": unit, "f1": f1, "box": box, "f2": f2}


def _aliquot(op, lot, location):
    return services.create_aliquots(actor=op, lot=lot, count=1, volume_ml="1", locations=[location])[0]


def test_only_a_storage_unit_of_the_register_can_be_linked(people):
    reader = equipment.register_instrument(
        actor=people["qa"], identifier="PR-01", kind="plate_reader", name="R"
    )
    with pytest.raises(InputError) as exc:
        services.create_location(actor=people["op"], code="X", name="X", kind="site", storage_unit=reader)
    assert exc.value.where == "storage_unit"


def test_excursion_on_a_storage_unit_opens_a_deviation_and_holds_what_was_stored(people, store, rf_request):
    op, qa = people["op"], people["qa"]
    product = f.product()
    l1 = f.lot("L-ONE", status="released", prod=product)
    l2 = f.lot("L-TWO", status="released", prod=product)
    l3 = f.lot("L-THREE", status="released", prod=product)
    a1 = _aliquot(op, l1, store["box"])
    a2 = _aliquot(op, l1, store["box"])
    gone_before = _aliquot(op, l2, store["box"])
    services.move_aliquot(actor=op, aliquot=gone_before, to_location=store["f2"], reason="to F2")
    started = timezone.now()
    moved_during = _aliquot(op, l3, store["box"])
    services.move_aliquot(actor=op, aliquot=moved_during, to_location=store["f2"], reason="to F2")

    excursion = services.record_excursion(
        actor=op, location=store["box"], started_at=started, extreme_temperature_c="-41.5",
        description="door left ajar",
    )  # fmt: skip

    excursion = TemperatureExcursion.objects.get(pk=excursion.pk)
    deviation = excursion.deviation
    assert excursion.storage_unit == store["unit"]
    assert deviation.source == "storage" and deviation.status == "open"
    assert deviation.number == "DEV-00001"  # several lots: the plain counter
    assert sorted(deviation.affected_lots.values_list("number", flat=True)) == ["L-ONE", "L-THREE"]
    assert deviation.affected_equipment == "FRZ-80"
    assert "-41.5 °C, allowed -90.0–-60.0 °C" in deviation.description
    held = {a.container_id: (a.status, a.hold_ref) for a in Aliquot.objects.all()}
    assert held[a1.container_id] == ("on_hold", "DEV-00001")
    assert held[a2.container_id] == ("on_hold", "DEV-00001")
    assert held[moved_during.container_id] == ("on_hold", "DEV-00001")  # exposed, then moved
    assert held[gone_before.container_id] == ("available", "")  # left before the excursion began

    with pytest.raises(RuleViolation) as exc:
        services.discard_aliquot(actor=op, aliquot=a1.container_id, reason="x")
    assert (
        str(exc.value)
        == f"aliquot {a1.container_id} is on hold under deviation DEV-00001: it cannot be discarded"
    )

    with pytest.raises(PermissionDenied):
        services.assess_held_aliquot(
            request=rf_request,
            actor=op,
            aliquot=a1,
            decision="release",
            reason="ok",
            password=op.raw_password,
        )
    with pytest.raises(SignatureRefused):
        services.assess_held_aliquot(
            request=rf_request, actor=qa, aliquot=a1, decision="release", reason="ok", password="wrong"
        )
    assert Aliquot.objects.get(pk=a1.pk).status == "on_hold"

    services.assess_held_aliquot(
        request=rf_request, actor=qa, aliquot=a1, decision="release",
        reason="logger: below -60 °C for 20 min only", password=qa.raw_password,
    )  # fmt: skip
    services.assess_held_aliquot(
        request=rf_request, actor=qa, aliquot=a2.container_id, decision="discard",
        reason="thawed", password=qa.raw_password,
    )  # fmt: skip
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.status, a1.hold_ref, a1.location_id) == ("available", "", store["box"].pk)
    assert (a2.status, a2.location_id) == ("discarded", None)
    signed = Signature.objects.filter(object_type="aliquot", meaning="approval")
    assert signed.count() == 2
    assert AuditEvent.objects.filter(action="aliquot.excursion_release", object_id=str(a1.pk)).count() == 1
    with pytest.raises(RuleViolation, match=f"aliquot {a1.container_id} is not on hold"):
        services.assess_held_aliquot(
            request=rf_request,
            actor=qa,
            aliquot=a1,
            decision="release",
            reason="again",
            password=qa.raw_password,
        )


def test_release_keeps_a_unit_held_while_a_lot_hold_holds_its_lot(people, store, rf_request):
    from evqms.lots.models import LotHold

    op, qa = people["op"], people["qa"]
    lot = f.lot("L-HELD", status="released")
    unit = _aliquot(op, lot, store["box"])
    services.record_excursion(
        actor=op, location=store["f1"], started_at=timezone.now() - dt.timedelta(minutes=1),
        ended_at=timezone.now(), extreme_temperature_c="-30", description="power cut",
    )  # fmt: skip
    number = Deviation.objects.get(source="storage").number
    assert number == "DEV-L-HELD-01"  # one lot: numbered by the lot
    LotHold.objects.create(
        lot=lot,
        source_kind="hold",
        source="HD-00009",
        reason="QA hold",
        placed_by=qa,
        placed_at=timezone.now(),
    )
    services.assess_held_aliquot(
        request=rf_request, actor=qa, aliquot=unit, decision="release", reason="ok", password=qa.raw_password
    )
    unit.refresh_from_db()
    assert (unit.status, unit.hold_ref) == ("on_hold", "HD-00009")


def test_excursion_elsewhere_opens_no_deviation(people, store):
    services.record_excursion(
        actor=people["op"], location=store["f2"], started_at=timezone.now(), extreme_temperature_c="-50",
        description="alarm",
    )  # fmt: skip
    assert not Deviation.objects.exists()
    assert TemperatureExcursion.objects.get().storage_unit is None
