"""ICH Q9 scoring and the starter hazard list."""

from __future__ import annotations

import pytest

from evqms.guidance.risk import STAGES, risk_class, rpn, starter_hazards


def test_rpn_is_the_product_of_the_three_scales():
    assert rpn(5, 3, 2) == 30
    assert rpn(1, 1, 1) == 1 and rpn(5, 5, 5) == 125
    with pytest.raises(ValueError):
        rpn(0, 3, 3)


@pytest.mark.parametrize(
    ("s", "o", "d", "cls"),
    [
        (4, 3, 5, "high"),
        (5, 3, 1, "high"),
        (3, 4, 5, "high"),
        (4, 3, 2, "medium"),
        (5, 1, 1, "medium"),
        (2, 2, 4, "low"),
        (3, 3, 2, "low"),
        (4, 5, 3, "high"),
        (2, 5, 2, "medium"),
    ],
)
def test_risk_class_thresholds(s, o, d, cls):
    assert risk_class(s, o, d) == cls


def test_every_stage_has_bilingual_starter_hazards():
    for stage in STAGES:
        hazards = starter_hazards(stage)
        assert hazards, stage
        for h in hazards:
            assert h.hazard["en"] and h.hazard["ja"] and h.suggested_control["ja"] and h.source


def test_starter_list_covers_the_named_hazards():
    names = {h.hazard["en"] for h in starter_hazards()}
    for expected in (
        "Infectious agents from the donor",
        "Bovine EVs carried over from serum",
        "Endotoxin",
        "Residual process reagents and impurities",
        "Tumorigenicity of iPS-derived or immortalised sources",
        "Dosing error",
        "Cold-chain failure",
        "Microbial contamination",
    ):
        assert expected in names
    with pytest.raises(ValueError):
        starter_hazards("moon")
