"""Manufacturing records: material lots used, steps with their parameter values."""

import datetime as dt
from decimal import Decimal as D

import pytest
from lots_services_helpers import NOW

from evqms.errors import InputError, RuleViolation
from evqms.lots import services
from evqms.lots.models import Deviation, ParameterValue

pytestmark = pytest.mark.django_db


def test_material_lots_must_be_accepted_and_in_date(world):
    from evqms.testing import factories as f

    lot = world.new_lot()
    quarantined = f.material_lot("HPL", "HPL-Q", status="quarantine")
    expired = f.material_lot("Old medium", "OLD-1", expiry=dt.date(2020, 1, 1))
    with pytest.raises(RuleViolation, match="not accepted"):
        services.record_material_usage(
            actor=world.operator, lot=lot, material_lot=quarantined, quantity=D("1"), unit="mL"
        )
    with pytest.raises(RuleViolation, match="expired"):
        services.record_material_usage(
            actor=world.operator, lot=lot, material_lot=expired, quantity=D("1"), unit="mL"
        )
    with pytest.raises(InputError):
        services.record_material_usage(
            actor=world.operator, lot=lot, material_lot=world.medium, quantity=D("0"), unit="mL"
        )
    usage = services.record_material_usage(
        actor=world.operator, lot=lot, material_lot=world.medium, quantity=D("250"), unit="mL"
    )
    assert usage.quantity == D("250")


def test_step_values_are_converted_and_out_of_range_opens_a_deviation(world):
    lot = world.new_lot()
    culture = world.process.steps.get(order=1)
    time_p = culture.parameters.get(name="Culture time")
    confluence = culture.parameters.get(name="Confluence at harvest")
    start = NOW() - dt.timedelta(days=3)
    rec = services.record_step(
        actor=world.operator,
        lot=lot,
        step=culture,
        started_at=start,
        finished_at=start + dt.timedelta(hours=60),
        values={time_p.pk: (D("3600"), "min"), confluence.pk: (D("95"), "%")},
    )
    values = {v.parameter_id: v for v in ParameterValue.objects.filter(step_record=rec)}
    assert values[time_p.pk].value == D("60") and values[time_p.pk].in_range
    assert not values[confluence.pk].in_range
    dev = Deviation.objects.get(lot=lot)
    assert dev.source == "parameter" and dev.status == "open" and values[confluence.pk].deviation == dev
    assert "95" in dev.description
    with pytest.raises(InputError) as exc:
        services.record_step(
            actor=world.operator,
            lot=lot,
            step=culture,
            started_at=start,
            finished_at=start,
            values={time_p.pk: (D("1"), "nm")},
        )
    assert "unit" in exc.value.where
