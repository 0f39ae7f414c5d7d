"""Western Electric / Nelson rules: each hand-built series triggers exactly one rule, at known points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.analytics import spc_charts, spc_rules
from evqms.i18n import use_language


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the active language otherwise follows Django's setting."""
    with use_language("en"):
        yield


ALTERNATING_14 = [0.5, -0.5] * 7
WITHIN_ONE_15 = [0.5, 0.3, -0.2, -0.4, 0.1, 0.6, -0.5, -0.1, 0.2, 0.4, -0.3, -0.6, 0.3, 0.1, -0.2]
SAME_SIDE_9 = [-0.3, 0.2, 0.4, 0.3, 0.5, 0.2, 0.4, 0.3, 0.5, 0.2]
SAME_SIDE_8 = [-0.3, 0.2, 0.4, 0.3, 0.5, 0.2, 0.4, 0.3, 0.5]

NELSON_CASES = [
    ("N1", [0.5, -0.5, 0.5, 3.5, -0.5, 0.5], [3]),
    ("N1", [0.5, -0.5, -3.2, 0.5], [2]),
    ("N2", SAME_SIDE_9, [9]),
    ("N3", [-0.5, -0.3, -0.1, 0.1, 0.3, 0.5], [5]),
    ("N3", [0.5, 0.3, 0.1, -0.1, -0.3, -0.5, -0.7], [5, 6]),
    ("N4", ALTERNATING_14, [13]),
    ("N5", [0.0, 2.5, 0.5, 2.5, 0.0], [3]),
    ("N5", [0.0, -2.5, -2.2, 0.0], [2]),
    ("N6", [0.0, 1.5, 1.5, 0.5, 1.5, 1.5, 0.0], [5]),
    ("N7", WITHIN_ONE_15, [14]),
    ("N8", [1.5, -1.5] * 4, [7]),
]

WE_CASES = [
    ("WE1", [0.5, -0.5, 0.5, 3.5, -0.5, 0.5], [3]),
    ("WE2", [0.0, 2.5, 0.5, 2.5, 0.0], [3]),
    ("WE3", [0.0, -1.5, -1.5, -0.5, -1.5, -1.5, 0.0], [5]),
    ("WE4", SAME_SIDE_8, [8]),
]


@pytest.mark.parametrize(("rule", "z", "flagged"), NELSON_CASES)
def test_each_nelson_rule_alone(rule, z, flagged):
    result = spc_rules.apply_rules(z, "nelson")
    assert result[rule] == flagged
    assert {name for name, idx in result.items() if idx} == {rule}


@pytest.mark.parametrize(("rule", "z", "flagged"), WE_CASES)
def test_each_western_electric_rule_alone(rule, z, flagged):
    result = spc_rules.apply_rules(z, "we")
    assert result[rule] == flagged
    assert {name for name, idx in result.items() if idx} == {rule}


def test_eight_on_one_side_is_we4_but_not_yet_nelson_2():
    assert spc_rules.apply_rules(SAME_SIDE_8, "nelson")["N2"] == []
    assert spc_rules.apply_rules(SAME_SIDE_9, "we")["WE4"] == [8, 9]


def test_a_point_near_the_centre_is_not_flagged_for_its_neighbours():
    # two of three beyond 2 sigma, but the third point (index 2) sits at the centre line
    assert spc_rules.apply_rules([2.5, 2.5, 0.0], ("N5",))["N5"] == [1]


def test_rules_by_point_names_every_rule():
    names = spc_rules.rules_by_point([0.0, 2.5, 3.5], "all")
    assert names[2] == ["WE1", "WE2", "N1", "N5"]
    assert names[0] == []


def test_quiet_process_flags_nothing():
    z = [0.3, -0.8, 1.2, -0.4, 0.9, -1.3, 0.2, 0.7, -0.6, 1.1, -0.2, 0.4]
    assert not any(spc_rules.apply_rules(z, "all").values())


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1))
def test_a_1_5_sigma_shift_in_phase_two_is_flagged_by_the_zone_and_run_rules(seed):
    """25 in-control subgroups set the limits; 25 more come from a process shifted by 1.5 sigma of
    the subgroup mean. Single points rarely pass 3 sigma, so the signal must come from the rules
    made for sustained shifts (zones and same-side runs), on the shifted side, in phase II."""
    rng = np.random.default_rng(seed)
    n = 5
    phase1 = [rng.normal(10.0, 1.0, n) for _ in range(25)]
    phase2 = [rng.normal(10.0 + 1.5 / np.sqrt(n), 1.0, n) for _ in range(25)]
    mask = np.array([True] * 25 + [False] * 25)
    comp = spc_charts.variables_chart("xbar", phase1 + phase2, mask)
    z = (comp.statistics - comp.center) / comp.se
    flagged = spc_rules.apply_rules(z, "all")
    shift_rules = ("WE2", "WE3", "WE4", "N2", "N5", "N6")
    in_phase2 = {r for r in shift_rules if any(i >= 25 and z[i] > 0 for i in flagged[r])}
    assert in_phase2 & {"WE3", "WE4", "N6"}
    # sustained-shift signals concentrate in phase II
    count = lambda lo, hi: sum(1 for r in shift_rules for i in flagged[r] if lo <= i < hi)  # noqa: E731
    assert count(25, 50) > count(0, 25)
