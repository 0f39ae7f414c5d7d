"""The release gate asks what the guidance asks of a released lot: an expiry date within manufacture plus
the approved shelf life (the source named), a retention sample when the product's policy asks for one;
and a material used outside the process version's bill of materials, or of animal origin on a xeno-free
version, opens a deviation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from evqms.errors import InputError
from evqms.lots import selectors, services
from evqms.lots.models import Deviation, Lot
from evqms.testing.deviations import settle_deviation

pytestmark = pytest.mark.django_db


def codes(lot):
    return sorted({p.code for p in selectors.release_gate(Lot.objects.get(pk=lot.pk))})


def recent(world, number, *, months_after=None, days_ago=30, expiry="default"):
    """A lot made `days_ago` days ago, expiring `months_after` months later (or given `expiry`)."""
    made = timezone.localdate() - dt.timedelta(days=days_ago)
    if expiry == "default":
        expiry = selectors.add_months(made, months_after) if months_after is not None else None
    return world.new_lot(number, manufactured_on=made, expiry=expiry)


def quarantined(world, lot):
    world.manufacture(lot)
    world.test_all(lot)
    return services.complete_qc(actor=world.analyst, lot=lot)


@pytest.mark.parametrize(
    "day,months,expected",
    [
        (dt.date(2024, 5, 1), 18, dt.date(2025, 11, 1)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # leap year: the last day of February
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2023, 8, 31), 6, dt.date(2024, 2, 29)),
        (dt.date(2024, 12, 15), 1, dt.date(2025, 1, 15)),
        (dt.date(2024, 11, 30), 14, dt.date(2026, 1, 30)),
    ],
)
def test_add_months_is_calendar_months(day, months, expected):
    assert selectors.add_months(day, months) == expected


def test_a_lot_without_expiry_is_not_released(world, rf_request):
    lot = quarantined(world, recent(world, "UCEV-G-001", expiry=None))
    assert codes(lot) == ["no_expiry"]
    with pytest.raises(services.ReleaseBlocked, match="no expiry date"):
        services.release_lot(
            request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason=""
        )
    assert Lot.objects.get(pk=lot.pk).status == "quarantine"
    # Recording the expiry (within the shelf life) clears it; the lot is then released.
    services.set_lot_expiry(
        actor=world.operator, lot=lot, expiry=selectors.add_months(lot.manufactured_on, 12)
    )
    assert codes(lot) == []
    services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    assert Lot.objects.get(pk=lot.pk).status == "released"


def test_expiry_beyond_the_shelf_life_names_the_limit_and_its_source(world):
    world.spec.shelf_life_months = 18
    world.spec.shelf_life_basis = "ICH Q1E: 18.3 months at -80 °C"
    world.spec.save()
    lot = quarantined(world, recent(world, "UCEV-G-002", months_after=44))
    assert codes(lot) == ["expiry_beyond_shelf_life"]
    made = lot.manufactured_on
    limit = selectors.add_months(made, 18)
    problem = selectors.release_gate(Lot.objects.get(pk=lot.pk))[0]
    assert problem.subject == limit.isoformat()
    en = problem.message["en"]
    assert f"manufacture {made.isoformat()} + the approved shelf life of 18 months ({limit.isoformat()}" in en
    assert "source: specification v1: ICH Q1E: 18.3 months at -80 °C" in en
    assert "根拠: 規格 v1: ICH Q1E" in problem.message["ja"] and limit.isoformat() in problem.message["ja"]
    # exactly at the limit is within it
    services.set_lot_expiry(actor=world.qa, lot=lot, expiry=limit, reason="shelf life 18 months")
    assert codes(lot) == []
    item = selectors.release_checklist(Lot.objects.get(pk=lot.pk))[0]
    assert item.ok and item.code == "expiry_within_shelf_life" and limit.isoformat() in item.message["en"]
    # one day later is refused
    services.set_lot_expiry(
        actor=world.qa, lot=lot, expiry=limit + dt.timedelta(days=1), reason="typing error"
    )
    assert codes(lot) == ["expiry_beyond_shelf_life"]


def test_shelf_life_source_order(world):
    from evqms.dossier.models import Specification

    world.spec.shelf_life_months = None
    world.spec.save()
    lot = quarantined(world, recent(world, "UCEV-G-003", months_after=12))
    assert codes(lot) == ["no_shelf_life"]
    # a later approved version of the product's specification approves 12 months: it covers the lot
    Specification.objects.create(
        product=world.product, version=2, status="approved", shelf_life_months=12, shelf_life_basis="study S"
    )
    shelf = selectors.approved_shelf_life(Lot.objects.get(pk=lot.pk))
    assert (shelf.months, shelf.specification_version, shelf.own_specification) == (12, 2, False)
    assert codes(lot) == []
    assert "current approved version" in selectors.release_checklist(lot)[0].message["en"]
    # the lot's own (approved) version wins when it has one
    world.spec.shelf_life_months = 6
    world.spec.save()
    shelf = selectors.approved_shelf_life(Lot.objects.get(pk=lot.pk))
    assert (shelf.months, shelf.specification_version, shelf.own_specification) == (6, 1, True)
    assert codes(lot) == ["expiry_beyond_shelf_life"]


def test_a_draft_specification_approves_no_shelf_life(world):
    from evqms.dossier.models import Specification

    lot = world.new_lot("UCEV-G-004")
    draft = Specification.objects.create(
        product=world.product, version=3, status="draft", shelf_life_months=99, shelf_life_basis="draft"
    )
    Lot.objects.filter(pk=lot.pk).update(specification=draft)
    world.spec.shelf_life_months = None
    world.spec.save()
    assert selectors.approved_shelf_life(Lot.objects.get(pk=lot.pk)) is None


def test_retention_sample_required_by_the_product(world, make_user, rf_request):
    from evqms.inventory import services as inventory

    world.product.retention_sample_required = True
    world.product.save()
    lot = quarantined(world, recent(world, "UCEV-G-005", months_after=12))
    assert codes(lot) == ["no_retention_sample"]
    with pytest.raises(services.ReleaseBlocked, match="requires a retention sample"):
        services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    keeper = make_user("keeper", "operator")
    inventory.record_retention_sample(actor=keeper, lot=lot, quantity="2 vials")
    assert codes(lot) == []
    assert [c.code for c in selectors.release_checklist(lot)] == [
        "expiry_within_shelf_life",
        "retention_sample_kept",
    ]
    services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    # a product that does not ask for one is not held up
    world.product.retention_sample_required = False
    world.product.save()
    other = quarantined(world, recent(world, "UCEV-G-006", months_after=12))
    assert codes(other) == []


def test_set_lot_expiry_rules(world):
    lot = world.new_lot("UCEV-G-007", expiry=None)
    with pytest.raises(InputError) as e:
        services.set_lot_expiry(actor=world.operator, lot=lot, expiry=lot.manufactured_on)
    assert e.value.where == "expiry"
    services.set_lot_expiry(actor=world.operator, lot=lot, expiry=dt.date(2025, 5, 1))
    with pytest.raises(InputError) as e:  # changing a recorded date needs a reason
        services.set_lot_expiry(actor=world.operator, lot=lot, expiry=dt.date(2025, 4, 1))
    assert e.value.where == "reason"
    with pytest.raises(Exception, match="permission|may not|not allowed|権限"):
        services.set_lot_expiry(actor=world.analyst, lot=lot, expiry=dt.date(2025, 4, 1), reason="x")


# --- materials outside the process definition ------------------------------------------------


def _fbs():
    from evqms.testing import factories as f

    return f.material_lot(
        "Fetal bovine serum", "FBS-23-11", animal_species="bovine", kind="serum", is_biological=True
    )


def test_material_outside_the_bill_of_materials_opens_a_deviation(world):
    fbs = _fbs()
    world.process.bill_of_materials.set([world.medium.material])
    lot = world.new_lot("UCEV-G-010")
    services.record_material_usage(
        actor=world.operator, lot=lot, material_lot=world.medium, quantity=D(1), unit="mL"
    )
    assert not Deviation.objects.filter(lot=lot).exists()
    services.record_material_usage(actor=world.operator, lot=lot, material_lot=fbs, quantity=D(5), unit="mL")
    (dev,) = Deviation.objects.filter(lot=lot)
    assert dev.source == "material" and dev.status == "open"
    assert "FBS-23-11" in dev.description and "bill of materials of process v1" in dev.description


def test_animal_origin_on_a_xeno_free_process_opens_a_deviation_and_blocks_release(world, rf_request):
    fbs = _fbs()
    world.process.xeno_free = True
    world.process.save()
    lot = recent(world, "UCEV-G-011", months_after=12)
    services.record_material_usage(actor=world.operator, lot=lot, material_lot=fbs, quantity=D(5), unit="mL")
    (dev,) = Deviation.objects.filter(lot=lot)
    assert "bovine" in dev.description and "xeno-free" in dev.description
    lot = quarantined(world, lot)
    assert codes(lot) == ["open_deviation"]
    settle_deviation(dev, world.qa2, resolution="Investigated: FBS lot justified, CAPA 12")
    assert codes(lot) == []


def test_an_undeclared_bill_checks_nothing(world):
    lot = world.new_lot("UCEV-G-012")
    services.record_material_usage(
        actor=world.operator, lot=lot, material_lot=_fbs(), quantity=D(5), unit="mL"
    )
    assert not Deviation.objects.filter(lot=lot).exists()


def D(x):
    return Decimal(str(x))
