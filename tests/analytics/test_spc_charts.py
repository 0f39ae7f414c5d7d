"""Control-chart limits on small hand-computed fixtures, qcc's constants, and bad input."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.analytics import spc, spc_charts
from evqms.errors import InputError
from evqms.i18n import use_language


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the active language otherwise follows Django's setting."""
    with use_language("en"):
        yield


# Published control-chart factors (qcc's tables): d2(4), d3(4), c4(4), d2(2), d3(2)
D2_4, D3_4, C4_4, D2_2, D3_2 = 2.059, 0.8798108, 0.9213177, 1.128, 0.8525033


def _read(fixtures_dir, name):
    return (fixtures_dir / "spc" / name).read_bytes()


def test_xbar_phase_one_limits_and_phase_two_shift(fixtures_dir):
    r = spc.analyze_table(_read(fixtures_dir, "fill_weight.csv"), "fill_weight.csv", chart="xbar",
                          value="weight_mg", subgroup="lot", calibration="1-4")  # fmt: skip
    sigma = 3 / D2_4  # mean range 3 over S1..S4
    assert r["center"] == pytest.approx(11.875, abs=1e-12)
    assert r["sigma"] == pytest.approx(sigma, rel=1e-12)
    assert r["lcl"] == pytest.approx(11.875 - 3 * sigma / 2, rel=1e-12)
    assert r["ucl"] == pytest.approx(11.875 + 3 * sigma / 2, rel=1e-12)
    assert [p["phase"] for p in r["points"]] == ["I"] * 4 + ["II"]
    assert r["beyond_limits"] == [5]
    assert r["points"][4]["value"] == pytest.approx(16.5)
    assert "WE1" in r["points"][4]["rules"] and "N1" in r["points"][4]["rules"]
    assert spc.out_of_control(r)


def test_r_and_s_charts_use_qcc_factors(fixtures_dir):
    data = _read(fixtures_dir, "fill_weight.csv")
    r = spc.analyze_table(data, "f.csv", chart="r", value="weight_mg", subgroup="lot", calibration="1-4")
    sigma = 3 / D2_4
    assert r["center"] == pytest.approx(3.0)
    assert r["ucl"] == pytest.approx(3 + 3 * D3_4 * sigma, rel=1e-12)
    assert r["lcl"] == 0.0  # 3 - 3 d3 sigma < 0 is floored
    s = spc.analyze_table(data, "f.csv", chart="s", value="weight_mg", subgroup="lot", calibration="1-4")
    groups = [[10, 11, 12, 13], [11, 12, 12, 13], [9, 10, 12, 13], [12, 12, 13, 15]]
    sds = [statistics.stdev(g) for g in groups]
    sigma_s = statistics.mean(sds) / C4_4
    assert s["std_dev_method"] == "UWAVE-SD"
    assert s["sigma"] == pytest.approx(sigma_s, rel=1e-7)
    assert s["center"] == pytest.approx(statistics.mean(sds), rel=1e-12)
    assert s["ucl"] == pytest.approx(statistics.mean(sds) + 3 * sigma_s * math.sqrt(1 - C4_4**2), rel=1e-6)


def test_variable_subgroup_sizes_give_per_subgroup_limits(fixtures_dir):
    r = spc.analyze_table(_read(fixtures_dir, "fill_weight_varsize.csv"), "v.csv", chart="xbar",
                          value="weight_mg", subgroup="lot")  # fmt: skip
    sigma = statistics.mean([2 / 1.128, 3 / 1.693, 4 / D2_4, 3 / 1.693])
    center = 143 / 12
    sizes = [2, 3, 4, 3]
    assert r["sizes"] == sizes
    assert r["center"] == pytest.approx(center)
    assert r["sigma"] == pytest.approx(sigma, rel=1e-12)
    assert r["ucl"] == pytest.approx([center + 3 * sigma / math.sqrt(n) for n in sizes], rel=1e-12)
    assert r["lcl"] == pytest.approx([center - 3 * sigma / math.sqrt(n) for n in sizes], rel=1e-12)


def test_p_chart_with_varying_sizes(fixtures_dir):
    r = spc.analyze_table(_read(fixtures_dir, "vial_defects.csv"), "d.csv", chart="p", value="defective",
                          size="inspected", calibration="1-5")  # fmt: skip
    pbar = 25 / 500
    sizes = [100, 100, 120, 80, 100, 100]
    assert r["center"] == pytest.approx(pbar)
    assert r["ucl"] == pytest.approx([pbar + 3 * math.sqrt(pbar * (1 - pbar) / n) for n in sizes])
    assert r["lcl"] == 0.0  # pbar - 3 se < 0 for every size: floored, the same for all
    assert r["beyond_limits"] == [6]
    assert r["points"][5]["value"] == pytest.approx(0.2)


def test_np_u_and_c_charts(fixtures_dir):
    data = _read(fixtures_dir, "vial_defects.csv")
    npc = spc.analyze_table(data, "d.csv", chart="np", value="defective", size="inspected", calibration="1-5")
    assert npc["center"] == pytest.approx([5, 5, 6, 4, 5, 5])
    assert npc["ucl"][2] == pytest.approx(6 + 3 * math.sqrt(120 * 0.05 * 0.95))
    u = spc.analyze_table(data, "d.csv", chart="u", value="defective", size="inspected", calibration="1-5")
    assert u["center"] == pytest.approx(0.05)
    assert u["ucl"][3] == pytest.approx(0.05 + 3 * math.sqrt(0.05 / 80))
    c = spc.analyze_table(data, "d.csv", chart="c", value="defective", calibration="1-5")
    assert c["center"] == pytest.approx(5.0)
    assert c["ucl"] == pytest.approx(5 + 3 * math.sqrt(5))
    assert c["lcl"] == 0.0
    assert c["beyond_limits"] == [6]


def test_individuals_chart_and_moving_range(fixtures_dir):
    r = spc.analyze_table(_read(fixtures_dir, "particle_counts.csv"), "p.csv", chart="i", value="count",
                          calibration="1-5")  # fmt: skip
    mr_bar = (0.6 + 0.2 + 0.5 + 0.4) / 4
    sigma = mr_bar / D2_2
    assert r["center"] == pytest.approx(3.98)
    assert r["sigma"] == pytest.approx(sigma)
    assert r["ucl"] == pytest.approx(3.98 + 3 * sigma)
    assert r["beyond_limits"] == [6]
    mr = r["moving_range"]
    assert mr["center"] == pytest.approx(mr_bar)
    assert mr["ucl"] == pytest.approx(mr_bar + 3 * D3_2 * sigma)
    assert mr["beyond_limits"] == [6]


def test_capability_needs_a_variables_chart(fixtures_dir):
    with pytest.raises(InputError, match="variables chart"):
        spc.analyze_table(_read(fixtures_dir, "vial_defects.csv"), "d.csv", chart="p", value="defective",
                          size="inspected", usl=0.1)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "kwargs", "where", "message"),
    [
        ("bad_text_cell.csv", {"chart": "xbar", "value": "weight_mg", "subgroup": "lot"},
         'line 4, column "weight_mg"', "not a number"),
        ("bad_negative_count.csv", {"chart": "p", "value": "defective", "size": "inspected"},
         'line 3, column "defective"', "negative"),
        ("bad_negative_count.csv", {"chart": "c", "value": "defective"}, 'line 3, column "defective"', "negative"),
        ("bad_single_value_subgroup.csv", {"chart": "xbar", "value": "weight_mg", "subgroup": "lot"},
         'line 4, column "lot"', "single value"),
        ("bad_one_subgroup.csv", {"chart": "xbar", "value": "weight_mg", "subgroup": "lot"},
         'column "lot"', "at least two subgroups"),
        ("fill_weight.csv", {"chart": "xbar", "value": "mass", "subgroup": "lot"}, 'line 1, column "mass"',
         "no column named mass"),
        ("fill_weight.csv", {"chart": "xbar", "value": "weight_mg", "subgroup": "lot", "calibration": "1-50"},
         'field "--calibration"', "outside the data"),
        ("fill_weight.csv", {"chart": "xbar", "value": "weight_mg", "subgroup": "lot", "calibration": "x"},
         'field "--calibration"', "cannot read"),
        ("fill_weight.csv", {"chart": "xbar", "value": "weight_mg"}, 'field "--subgroup"', "needs --subgroup"),
        ("vial_defects.csv", {"chart": "c", "value": "defective", "size": "inspected"}, 'column "inspected"',
         "u chart"),
    ],
)  # fmt: skip
def test_bad_input_names_file_and_place(fixtures_dir, name, kwargs, where, message):
    with pytest.raises(InputError) as err:
        spc.analyze_table(_read(fixtures_dir, name), name, **kwargs)
    assert where in str(err.value)
    assert message in str(err.value)
    if "line" in where or "column" in where:
        assert str(err.value).startswith(name)


def test_count_above_sample_size_is_rejected():
    data = b"day,n,bad\n1,10,2\n2,10,12\n3,10,1\n"
    with pytest.raises(InputError, match=r"line 3, column \"bad\""):
        spc.analyze_table(data, "x.csv", chart="np", value="bad", size="n")


# ---------------------------------------------------------------------------------------------
# Properties

subgroup = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(subgroup, min_size=2, max_size=12), st.randoms(use_true_random=False))
def test_limits_are_invariant_to_subgroup_order(groups, rnd):
    arrays = [np.array(g) for g in groups]
    order = list(range(len(arrays)))
    rnd.shuffle(order)
    mask = np.ones(len(arrays), dtype=bool)
    for chart in ("xbar", "r", "s"):
        a = spc_charts.variables_chart(chart, arrays, mask)
        b = spc_charts.variables_chart(chart, [arrays[i] for i in order], mask)
        assert b.center[0] == pytest.approx(a.center[0], rel=1e-9, abs=1e-9)
        assert b.sigma == pytest.approx(a.sigma, rel=1e-9, abs=1e-12)
        assert b.ucl == pytest.approx(a.ucl[order], rel=1e-9, abs=1e-9)
        assert b.lcl == pytest.approx(a.lcl[order], rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(subgroup, min_size=2, max_size=10), st.floats(0.1, 100), st.floats(-100, 100))
def test_flags_are_invariant_to_units(groups, scale, offset):
    """Changing units (x -> a x + b) moves the limits with the data: the same points are flagged."""
    rows = [f"g{i},{v!r}" for i, g in enumerate(groups) for v in g]
    rows2 = [f"g{i},{v * scale + offset!r}" for i, g in enumerate(groups) for v in g]
    a = spc.analyze_table(
        ("g,x\n" + "\n".join(rows)).encode(), "a.csv", chart="xbar", value="x", subgroup="g"
    )
    b = spc.analyze_table(
        ("g,x\n" + "\n".join(rows2)).encode(), "b.csv", chart="xbar", value="x", subgroup="g"
    )
    if a["sigma"] > 1e-6:  # a constant process has no zones to compare
        assert b["ucl"] == pytest.approx(np.array(a["ucl"]) * scale + offset, rel=1e-6, abs=1e-6)
        assert b["sigma"] == pytest.approx(a["sigma"] * scale, rel=1e-6)
