"""The shipped limits against the published Annex 1 tables, and the verdict at its boundaries."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from evqms.environment import limits
from evqms.errors import InputError

# EU GMP Annex 1 (2022) = PIC/S PE 009-17 Annex 1, 9.30 Table 6, "Maximum action limits for viable
# particle contamination", as published (A: "No growth").
TABLE_6 = {
    "active_air": {"A": 0, "B": 10, "C": 100, "D": 200},  # CFU/m3
    "settle_plate": {"A": 0, "B": 5, "C": 50, "D": 100},  # diameter 90 mm, CFU/4 hours
    "contact_plate": {"A": 0, "B": 5, "C": 25, "D": 50},  # diameter 55 mm, CFU/plate
}
# 9.15 Table 5, "Maximum permitted total particle concentration for monitoring", per m3
# (None: "Not predetermined").
TABLE_5 = {
    ("particles_0_5", "at_rest"): {"A": 3520, "B": 3520, "C": 352000, "D": 3520000},
    ("particles_0_5", "in_operation"): {"A": 3520, "B": 352000, "C": 3520000, "D": None},
    ("particles_5", "at_rest"): {"A": 29, "B": 29, "C": 2930, "D": 29300},
    ("particles_5", "in_operation"): {"A": 29, "B": 2930, "C": 29300, "D": None},
}


@pytest.mark.parametrize("method", sorted(TABLE_6))
@pytest.mark.parametrize("grade", limits.GRADES)
def test_viable_action_limits_are_annex1_table_6(method, grade):
    limit = limits.default_limit(grade, method, "in_operation")
    assert limit.action == Decimal(TABLE_6[method][grade])
    assert limit.action_source == "annex1"
    assert "9.30, Table 6" in limit.action_reference["en"]
    assert limit.alert_source == "site"


@pytest.mark.parametrize(("method", "occupancy"), sorted(TABLE_5))
@pytest.mark.parametrize("grade", limits.GRADES)
def test_particle_action_limits_are_annex1_table_5(method, occupancy, grade):
    limit = limits.default_limit(grade, method, occupancy)
    expected = TABLE_5[(method, occupancy)][grade]
    assert limit.action == (Decimal(expected) if expected is not None else None)
    assert "9.15, Table 5" in limit.action_reference["en"]


def test_every_site_alert_is_below_its_action_limit():
    for limit in limits.default_limits().values():
        if limit.alert is not None:
            assert limit.action is not None and limit.alert < limit.action, limit
    # Grade A viable: the first colony is an action; there is no alert level below it.
    assert limits.default_limit("A", "settle_plate", "any").alert is None


def test_no_growth_is_written_as_such():
    assert str(limits.limit_text(Decimal(0), "settle_plate")) == "no growth"
    assert limits.limit_text(Decimal(352000), "particles_0_5") == "352000 /m³"
    assert limits.limit_text(Decimal(3520000), "particles_0_5") == "3.52 × 10⁶ /m³"


@pytest.mark.parametrize(
    ("value", "verdict"),
    [(0, "within"), (2, "within"), (3, "alert"), (5, "alert"), (6, "action")],
)
def test_verdict_boundaries_grade_b_settle_plate(value, verdict):
    # Grade B settle plate: site alert 2, Annex 1 action 5; at a limit is not above it.
    limit = limits.default_limit("B", "settle_plate", "in_operation")
    assert limits.judge(value, limit.alert, limit.action) == verdict


def test_grade_a_any_colony_is_action():
    limit = limits.default_limit("A", "contact_plate", "at_rest")
    assert limits.judge(0, limit.alert, limit.action) == "within"
    assert limits.judge(1, limit.alert, limit.action) == "action"


def test_active_air_is_judged_per_cubic_metre_exactly():
    # 10 cfu in 1000 L = 10 cfu/m3: exactly the grade B limit, not above it.
    value = limits.measured_value("active_air", count=10, volume_litres=Decimal("1000"))
    assert value == 10
    limit = limits.default_limit("B", "active_air", "in_operation")
    assert limits.judge(value, limit.alert, limit.action) == "alert"
    # 6 cfu in 500 L = 12 cfu/m3 (6 x 1000 / 500): above 10.
    assert limits.measured_value("active_air", count=6, volume_litres=Decimal(500)) == 12
    # 1 cfu in 300 L = 3.333... cfu/m3: judged on the fraction, not a rounded float.
    assert limits.measured_value("active_air", count=1, volume_litres=Decimal(300)) == Fraction(10, 3)


def test_particles_at_the_limit_and_one_above():
    limit = limits.default_limit("B", "particles_5", "in_operation")
    assert limits.judge(2930, limit.alert, limit.action) == "alert"
    assert limits.judge(2931, limit.alert, limit.action) == "action"
    at_rest = limits.default_limit("B", "particles_5", "at_rest")
    assert limits.judge(30, at_rest.alert, at_rest.action) == "action"


def test_grade_d_in_operation_particles_are_not_predetermined():
    limit = limits.default_limit("D", "particles_0_5", "in_operation")
    assert limit.action is None and limit.alert is None
    assert limits.judge(10**9, limit.alert, limit.action) == "no_limit"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": "settle_plate", "count": 1, "exposure_minutes": 241}, "exposure_minutes"),
        ({"method": "settle_plate", "count": 1}, "exposure_minutes"),
        ({"method": "active_air", "count": 1, "volume_litres": Decimal(0)}, "volume_litres"),
        ({"method": "contact_plate", "count": -1}, "count"),
        ({"method": "particles_5"}, "particles_per_m3"),
        ({"method": "swab"}, "method"),
    ],
)
def test_measured_value_refuses_what_the_method_lacks(kwargs, field):
    method = kwargs.pop("method")
    with pytest.raises(InputError) as exc:
        limits.measured_value(method, **kwargs)
    assert exc.value.where == field


def test_a_four_hour_settle_plate_is_accepted():
    assert limits.measured_value("settle_plate", count=4, exposure_minutes=240) == 4
