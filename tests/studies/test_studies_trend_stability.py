"""Trend page data (control chart across lots) and the stability study's shelf life."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from evqms.analytics import stability
from evqms.errors import InputError, PermissionDenied
from evqms.lots import services as lot_services
from evqms.studies import selectors, services
from evqms.testing import factories as f
from evqms.testing.world import passing_controls

# modal size (nm) of 20 lots; the 11th jumps far beyond 3 sigma of the moving-range estimate and
# no other run rule (same side, trend, alternation, zones) is broken anywhere in the series
SERIES = [
    "95",
    "108",
    "110",
    "96",
    "94",
    "107",
    "109",
    "97",
    "95",
    "108",
    "160",
    "96",
    "109",
    "107",
    "94",
    "96",
    "108",
    "110",
    "95",
    "97",
]
OUTLIER = 10


def _lots_with_results(world, values, status="quarantine"):
    attr = world.spec.attributes.get(code="modal_size")
    lots = []
    # created newest first: the chart must order them by manufacture date, not creation
    for i in reversed(range(len(values))):
        lot = f.lot(
            f"TR-{i:02d}",
            status="qc",
            prod=world.product,
            manufactured_on=dt.date(2024, 1, 1) + dt.timedelta(days=7 * i),
        )
        lot_services.record_qc_result(
            actor=world.analyst,
            lot=lot,
            attribute=attr,
            value=values[i],
            unit="nm",
            tested_at=timezone.now(),
            controls=passing_controls(attr),
        )
        lot.status = status
        lot.save(update_fields=["status"])
        lots.append(lot)
    return list(reversed(lots))


def test_trend_flags_the_point_that_breaks_a_rule(world):
    lots = _lots_with_results(world, SERIES)
    # a lot still in QC and an invalidated result stay out of the chart
    extra = f.lot("TR-QC", status="qc", prod=world.product, manufactured_on=dt.date(2025, 1, 1))
    lot_services.record_qc_result(
        actor=world.analyst,
        lot=extra,
        attribute=world.spec.attributes.get(code="modal_size"),
        value="500",
        unit="nm",
        tested_at=timezone.now(),
        controls=passing_controls(world.spec.attributes.get(code="modal_size")),
    )
    t = selectors.trend(world.product, "modal_size")
    assert t["enough"] and t["chart_kind"] == "i"
    chart = t["chart"]
    assert [p["lot"] for p in chart["points"]] == [lot.number for lot in lots]
    values = [float(v) for v in SERIES]
    centre = sum(values) / len(values)
    mr_bar = sum(abs(b - a) for a, b in zip(values, values[1:], strict=False)) / (len(values) - 1)
    sigma = mr_bar / 1.128
    assert chart["center"] == pytest.approx(centre)
    assert chart["ucl"] == pytest.approx(centre + 3 * sigma)
    assert centre == pytest.approx(104.55)
    out = chart["points"][OUTLIER]
    assert 160 > centre + 3 * sigma
    assert out["lot"] == "TR-10"
    assert out["rules"] == ["WE1", "N1"] and out["beyond_limits"] and out["flagged"]
    assert [p["lot"] for p in chart["points"] if p["flagged"]] == ["TR-10"]
    assert t["out_of_control"]
    # capability against the specification 50-200 nm
    cap = chart["capability"]
    assert cap["lsl"] == 50.0 and cap["usl"] == 200.0
    assert cap["Cp"]["value"] == pytest.approx((200 - 50) / (6 * sigma))


def test_trend_uses_the_retest_not_the_invalidated_result(world):
    lots = _lots_with_results(world, SERIES[:12])
    first = lots[0]
    first.status = "qc"
    first.save(update_fields=["status"])
    old = first.qc_results.get()
    lot_services.invalidate_qc_result(actor=world.analyst, result=old, reason="pipetting error")
    lot_services.record_qc_result(
        actor=world.analyst,
        lot=first,
        attribute=old.attribute,
        value="120",
        unit="nm",
        tested_at=timezone.now(),
        retest_of=old,
        controls=passing_controls(old.attribute),
    )
    first.status = "released"
    first.save(update_fields=["status"])
    t = selectors.trend(world.product, "modal_size")
    assert t["chart"]["points"][0]["value"] == 120.0


# qcc's documented individuals example ("A quick tour of qcc", Scrucca: viscosity data from
# Montgomery, qcc(x, type = "xbar.one")) prints Center 33.52333, StdDev 0.4261651,
# LCL 32.24484, UCL 34.80183. By hand: mean 502.85/15; MR-bar = 6.73/14 = 0.4807143;
# sigma = MR-bar/1.128; MR chart UCL = MR-bar + 3 x 0.8525033 x sigma = 1.570636.
QCC_VISCOSITY = [
    "33.75", "33.05", "34", "33.81", "33.46", "34.02", "33.68", "33.27",
    "33.49", "33.20", "33.62", "33.00", "33.54", "33.12", "33.84",
]  # fmt: skip


def test_trend_individuals_limits_match_qcc_documented_example(world):
    _lots_with_results(world, QCC_VISCOSITY, status="released")
    t = selectors.trend(world.product, "modal_size")
    assert t["enough"] and t["chart_kind"] == "i"
    chart = t["chart"]
    assert round(chart["center"], 5) == 33.52333
    assert round(chart["sigma"], 7) == 0.4261651
    assert round(chart["lcl"], 5) == 32.24484
    assert round(chart["ucl"], 5) == 34.80183
    assert round(chart["moving_range"]["center"], 7) == 0.4807143
    assert round(chart["moving_range"]["ucl"], 6) == 1.570636
    assert not t["out_of_control"]


def test_trend_charts_one_value_per_lot_not_the_repeats_of_a_lot(world):
    """Each lot has an original and a confirming retest 0.5 nm apart: as X-bar subgroups their
    sigma is assay repeatability (0.5/1.128 = 0.44 nm) and nearly every lot falls outside the
    limits. One reportable value per lot (the latest valid result) measures lot-to-lot variation
    and the same series is in control."""
    values = [v if i != OUTLIER else "100" for i, v in enumerate(SERIES)]
    lots = _lots_with_results(world, values, status="qc")
    attr = world.spec.attributes.get(code="modal_size")
    for lot, v in zip(lots, values, strict=True):
        original = lot.qc_results.get()
        lot_services.record_qc_result(
            actor=world.analyst, lot=lot, attribute=attr, value=str(float(v) + 0.5), unit="nm",
            tested_at=timezone.now(), retest_of=original,
            controls=passing_controls(attr),
        )  # fmt: skip
        lot.status = "released"
        lot.save(update_fields=["status"])
    t = selectors.trend(world.product, "modal_size")
    assert t["chart_kind"] == "i"
    chart = t["chart"]
    assert [p["value"] for p in chart["points"]] == [float(v) + 0.5 for v in values]
    assert [p["lot"] for p in chart["points"] if p["flagged"]] == []
    assert not t["out_of_control"]
    assert chart["sigma"] > 5  # lot-to-lot, not 0.44 nm of repeatability


def test_trend_says_insufficient_data_below_the_minimum(world):
    _lots_with_results(world, ["100", "100"], status="released")
    t = selectors.trend(world.product, "modal_size")
    assert not t["enough"]
    assert [p["value"] for p in t["listed"]] == [100.0, 100.0]
    with translation.override("en"):
        assert "insufficient data" in str(t["message"]) and "10" in str(t["message"])


def test_trend_identical_values_are_not_in_control(world):
    _lots_with_results(world, ["100"] * 12, status="released")
    t = selectors.trend(world.product, "modal_size")
    assert not t["enough"]
    with translation.override("en"):
        assert "insufficient data" in str(t["message"])


def test_trend_shows_rejected_and_recalled_lots_marked(world):
    values = [v if i != OUTLIER else "100" for i, v in enumerate(SERIES)]
    lots = _lots_with_results(world, values, status="released")
    for i, status in ((3, "rejected"), (7, "recalled")):
        lots[i].status = status
        lots[i].save(update_fields=["status"])
    t = selectors.trend(world.product, "modal_size")
    points = t["chart"]["points"]
    assert [p["lot"] for p in points] == [lot.number for lot in lots]
    assert [(p["lot"], p["status"]) for p in points if p["marked"]] == [
        ("TR-03", "rejected"),
        ("TR-07", "recalled"),
    ]
    # the rejected lot is judged against the limits but does not set them
    basis = [float(v) for i, v in enumerate(values) if i != 3]
    mr_bar = sum(abs(b - a) for a, b in zip(basis, basis[1:], strict=False)) / (len(basis) - 1)
    assert t["basis_count"] == 19 and not points[3]["in_limits_basis"] and points[7]["in_limits_basis"]
    assert t["chart"]["center"] == pytest.approx(sum(basis) / len(basis))
    assert t["chart"]["sigma"] == pytest.approx(mr_bar / 1.128)


STABILITY = {  # lot -> [(month, value)], slopes differ so batches are not poolable
    "ST-1": [(0, "100.1"), (3, "99.6"), (6, "99.0"), (9, "98.7"), (12, "98.1")],
    "ST-2": [(0, "100.4"), (3, "99.2"), (6, "98.3"), (9, "97.1"), (12, "96.2")],
    "ST-3": [(0, "99.8"), (3, "99.5"), (6, "99.1"), (9, "98.8"), (12, "98.6")],
}


def test_stability_shelf_life_matches_analytics(world):
    lots = [f.lot(n, status="released", prod=world.product) for n in STABILITY]
    study = services.create_stability_study(
        actor=world.qa,
        product=world.product,
        name="Potency at -80 C",
        attribute_code="potency",
        condition="-80 °C",
        lots=lots,
        lower="95",
        unit="%",
    )
    for lot in lots:
        for month, value in STABILITY[lot.number]:
            services.add_stability_result(
                actor=world.analyst, study=study, lot=lot, time_months=month, value=value
            )
    analysis = selectors.stability_analysis(study)
    csv = "lot,month,value\n" + "".join(f"{n},{m},{v}\n" for n, rows in STABILITY.items() for m, v in rows)
    direct = stability.analyze_table(
        csv.encode(), "s.csv", time="month", value="value", batch="lot", lower=95.0
    )
    got = analysis["result"]
    assert got["model"] == direct["model"] == "dids"
    assert got["shelf_life"] == pytest.approx(direct["shelf_life"], rel=1e-12)
    assert got["worst_batch"] == direct["worst_batch"] == "ST-2"
    assert got["poolability"]["F_slopes"] == pytest.approx(direct["poolability"]["F_slopes"])
    # the drawn confidence bound of the worst batch crosses the limit at the shelf life
    worst = next(s for s in analysis["series"] if s["batch"] == "ST-2")
    crossing = next(t for t, v in worst["lower_bound"] if v < 95)
    assert crossing >= got["shelf_life"]


def test_stability_input_checks(world):
    lot = f.lot("ST-9", status="released", prod=world.product)
    with pytest.raises(InputError):
        services.create_stability_study(
            actor=world.qa,
            product=world.product,
            name="x",
            attribute_code="potency",
            condition="5 C",
            lots=[lot],
        )
    study = services.create_stability_study(
        actor=world.qa,
        product=world.product,
        name="x",
        attribute_code="potency",
        condition="5 C",
        lots=[lot],
        upper="5",
    )
    with pytest.raises(PermissionDenied):
        services.add_stability_result(actor=world.operator, study=study, lot=lot, time_months="0", value="1")
    with pytest.raises(InputError):
        services.add_stability_result(
            actor=world.analyst, study=study, lot=world.lot, time_months="0", value="1"
        )
    services.add_stability_result(actor=world.analyst, study=study, lot=lot, time_months="0", value="1.0")
    with translation.override("en"), pytest.raises(InputError, match="batch ST-9 has 1 time points"):
        selectors.stability_analysis(study)


def test_in_vivo_records(world):
    bio = services.create_biodistribution_study(
        actor=world.qa,
        product=world.product,
        title="DiR-labelled EVs in MIA rat knee",
        species="Rat (MIA model)",
        route="intra-articular",
        label_method="DiR near-infrared imaging",
        second_method="qPCR of human Alu",
        target="Knee joint synovium and cartilage",
        time_points="1 h, 24 h, 7 d",
        fraction_in_target_pct="32.5",
        threshold_pct="20",
    )
    assert bio.meets_threshold
    with pytest.raises(InputError):
        services.create_biodistribution_study(
            actor=world.qa,
            product=world.product,
            title="bad",
            species="rat",
            route="iv",
            label_method="DiR",
            target="liver",
            time_points="1 h",
            fraction_in_target_pct="120",
            threshold_pct="10",
        )
    dose = services.create_dose_response_study(
        actor=world.qa,
        product=world.product,
        title="Cartilage repair vs dose",
        kind="in_vivo",
        unit="particles/knee",
        dose_low="1e8",
        dose_high="1e10",
        effective_low="1e9",
        effective_high="1e10",
        safe_high="1e10",
    )
    assert dose.effective_low == Decimal("1e9")
    with pytest.raises(InputError):
        services.create_dose_response_study(
            actor=world.qa,
            product=world.product,
            title="r",
            kind="in_vitro",
            unit="ug/mL",
            dose_low="10",
            dose_high="1",
        )
