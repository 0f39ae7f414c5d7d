"""EV-therapeutic / EV-biomarker / unrelated: each rule, with its reason; manual overrides."""

from __future__ import annotations

import pytest

from evqms.landscape.classify_trials import apply_override, classify_trial

# Messages are asserted in English (the Japanese catalogue is checked on its own).
pytestmark = pytest.mark.usefixtures("english_messages")

# The five late-phase trials the seed lists (section 3): titles as registered, EVs given.
SEED_LATE_PHASE_TITLES = [
    "Efficacy and Safety of EXOSOME-MSC Therapy to Reduce Hyper-inflammation In Moderate COVID-19 Patients",
    "Effect of Microvesicles and Exosomes Therapy on β-cell Mass in Type I Diabetes Mellitus (T1DM)",
    "The Effect of Stem Cells and Stem Cell Exosomes on Visual Functions in Patients With Retinitis Pigmentosa",
    "Use of Autologous Plasma Rich in Platelets and Extracellular Vesicles in the Surgical Treatment of Chronic "
    "Middle Ear Infections",
    "Extracellular Vesicle Treatment for Acute Respiratory Distress Syndrome (ARDS) (EXTINGUISH ARDS)",
]


def trial(title="A study", interventions=(), summary=None):
    return {
        "nct_id": "NCT00000001",
        "brief_title": title,
        "interventions": list(interventions),
        "brief_summary": summary,
    }


@pytest.mark.parametrize("title", SEED_LATE_PHASE_TITLES)
def test_seed_titles_alone_are_therapeutic(title):
    result = classify_trial(trial(title))
    assert result.category == "therapeutic" and result.rule == "title"


def test_intervention_rule_names_the_intervention():
    result = classify_trial(
        trial(
            "A Study of AB-126",
            [
                {
                    "type": "DRUG",
                    "name": "AB-126",
                    "description": "An extracellular vesicle product, given intravenously.",
                }
            ],
        )
    )
    assert result.category == "therapeutic" and result.rule == "intervention"
    assert 'intervention "AB-126" (DRUG)' in result.reason and "extracellular vesicle" in result.matched


def test_description_rule():
    result = classify_trial(
        trial(
            "A Study of XY-1 in Stroke",
            summary=(
                "Background on stroke. Patients receive XY-1, a preparation of exosomes, by intravenous infusion."
            ),
        )
    )
    assert result.category == "therapeutic" and result.rule == "description"
    assert "intravenous" in result.matched


@pytest.mark.parametrize(
    "case",
    [
        trial("Plasma Exosomal microRNA as Biomarkers of Response to Chemotherapy"),
        trial("Urinary Extracellular Vesicles Levels After Dapagliflozin Treatment"),
        trial(
            "Pancreatic cancer screening",
            [{"type": "DIAGNOSTIC_TEST", "name": "Exosome GPC1 test", "description": None}],
        ),
        trial(
            "Sepsis cohort",
            [
                {
                    "type": "OTHER",
                    "name": "Blood sampling",
                    "description": "Plasma EVs are isolated and quantified",
                }
            ],
        ),
    ],
)
def test_biomarker(case):
    result = classify_trial(case)
    assert result.category == "biomarker" and result.rule == "measured"


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        (
            trial("Inactivated Enterovirus 71 (EV71) Vaccine", summary="An EV-A71 vaccine in children."),
            "none",
        ),
        (trial("Dupilumab in Atopic Dermatitis"), "none"),
        (
            trial(
                "Heart failure registry",
                summary="Exosomes are a topic of interest. Patients are followed for 5 years",
            ),
            "mentioned",
        ),
    ],
)
def test_unrelated(case, rule):
    result = classify_trial(case)
    assert result.category == "unrelated" and result.rule == rule


def test_override_keeps_rule_reason():
    rule = classify_trial(trial(SEED_LATE_PHASE_TITLES[0]))
    over = apply_override(
        rule,
        {
            "nct_id": "NCT00000001",
            "category": "biomarker",
            "who": "A. Sato",
            "when": "2023-11-01",
            "why": "EVs only measured per protocol",
        },
    )
    assert over.category == "biomarker" and over.rule == "override"
    assert over.reason.startswith("manual override by A. Sato on 2023-11-01: EVs only measured per protocol")
    assert "rule said therapeutic" in over.reason and over.override["who"] == "A. Sato"
    assert apply_override(rule, None) is rule
