"""Censored results in trends: the control chart leaves them out and says which (a bound is not a
value), and a stability study refuses them (ICH Q1E regresses measured values)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from evqms.errors import InputError
from evqms.lots import services as lot_services
from evqms.studies import selectors, services
from evqms.testing import factories as f
from evqms.testing.world import passing_controls

# endotoxin (EU/mL) of 12 lots in manufacture order; lots 3 and 8 are below the LOQ
VALUES = ["0.10", "0.12", "<0.05", "0.11", "0.09", "0.13", "0.10", "<0.05", "0.12", "0.11", "0.10", "0.12"]


def test_the_chart_leaves_censored_results_out_and_says_so(world):
    attr = world.spec.attributes.get(code="endotoxin")
    for i, value in enumerate(VALUES):
        lot = f.lot(
            f"CE-{i:02d}",
            status="qc",
            prod=world.product,
            manufactured_on=dt.date(2024, 1, 1) + dt.timedelta(days=i),
        )
        lot_services.record_qc_result(
            actor=world.analyst,
            lot=lot,
            attribute=attr,
            value=value,
            unit="EU/mL",
            tested_at=timezone.now(),
            controls=passing_controls(attr),
        )
        lot.status = "released"
        lot.save(update_fields=["status"])
    with translation.override("en"):
        t = selectors.trend(world.product, "endotoxin")
        message = str(t["censored_message"])
    plotted = [p["lot"] for p in t["listed"]]
    assert "CE-02" not in plotted and "CE-07" not in plotted and len(plotted) == 10
    assert [(c["lot"], c["shown"]) for c in t["censored"]] == [
        ("CE-02", "< 0.05 EU/mL"),
        ("CE-07", "< 0.05 EU/mL"),
    ]
    assert message == (
        "2 results below the limit of quantification not plotted: CE-02 (< 0.05 EU/mL), CE-07 (< 0.05 EU/mL)"
    )
    # ten measured lots are enough for limits; the centre is their mean (hand: 1.10 / 10 = 0.110)
    assert t["enough"] and t["chart"]["center"] == pytest.approx(0.110)


def test_a_stability_study_refuses_a_censored_value(world):
    lot = f.lot("ST-C", status="released", prod=world.product)
    study = services.create_stability_study(
        actor=world.qa,
        product=world.product,
        name="x",
        attribute_code="potency",
        condition="5 C",
        lots=[lot],
        upper="5",
    )
    with translation.override("en"), pytest.raises(InputError, match="censored result") as e:
        services.add_stability_result(
            actor=world.analyst, study=study, lot=lot, time_months="0", value="<0.5"
        )
    assert e.value.where == "value"
