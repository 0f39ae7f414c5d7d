"""Units in every comparison (issue 18 item 4): the checks convert through the one unit registry
(evqms.core.units) and refuse incompatible units with a finding.

Every expected figure is computed by hand in the comments. The dossier is examples/full-compliance.yaml:
lot L-2024-001 with particle concentration 1.05e10 particles/mL (label 1.0e10 particles/mL),
protein 0.3 µg/mL, endotoxin 0.1 EU/mL (limit <= 0.5 EU/mL); one administration of 1.2 mL to 60 kg.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from guidance_helpers import example_data

from evqms.guidance import evidence as ev
from evqms.guidance import quantities
from evqms.guidance.checks import REGISTRY, CheckContext
from evqms.guidance.dossier import snapshot_from_data

CTX = CheckContext(item_id="SPEC-PUR-2", as_of=dt.date(2025, 6, 30))
BASE = example_data("full-compliance.yaml")


@pytest.fixture
def d() -> dict:
    return copy.deepcopy(BASE)


def result(d, attribute):
    return next(r for r in d["lots"][0]["qc_results"] if r["attribute"] == attribute)


def run(name, d, **params):
    return REGISTRY[name](snapshot_from_data(d, "units.yaml"), CTX, **params)


def en(out) -> str:
    return " | ".join(r["en"] for r in out.reasons)


# --- a result judged against its specification's limits -------------------------------------


def protein_limit() -> ev.SpecAttribute:
    return ev.SpecAttribute(id="PROT", name="Protein", category="protein", unit="ug/mL", max=Decimal("0.5"))


@pytest.mark.parametrize(
    ("value", "unit", "verdict"),
    [
        ("0.3", "ug/mL", True),  # 0.3 µg/mL <= 0.5 µg/mL
        ("300", "ng/mL", True),  # 300 ng/mL = 0.3 µg/mL <= 0.5 (before: 300 > 0.5, failed)
        ("600", "ng/mL", False),  # 600 ng/mL = 0.6 µg/mL > 0.5
        ("0.0005", "mg/mL", True),  # 0.0005 mg/mL = 0.5 µg/mL, the inclusive limit itself
        ("0.3", "", True),  # no unit of its own: in the attribute's unit
    ],
)
def test_result_in_spec_converts_to_the_attribute_unit(value, unit, verdict):
    r = ev.QCResult(attribute="PROT", value=Decimal(value), unit=unit)
    assert ev.result_in_spec(protein_limit(), r) is verdict


def test_incompatible_result_unit_is_not_judged_and_says_why():
    r = ev.QCResult(attribute="PROT", value=Decimal("0.3"), unit="EU/mL")
    assert ev.result_in_spec(protein_limit(), r) is None
    mismatch = ev.unit_mismatch(protein_limit(), r)
    assert (mismatch.given, mismatch.expected) == ("EU/mL", "ug/mL")


def test_endotoxin_release_limit_with_a_result_in_eu_per_litre(d):
    """ENDO <= 0.5 EU/mL: 400 EU/L = 0.4 EU/mL passes, 600 EU/L = 0.6 EU/mL fails (before: 400 > 0.5)."""
    result(d, "ENDO").update(value=400, unit="EU/L")
    assert run("released_lots_test_pass", d, category="endotoxin").status == "met"
    result(d, "ENDO").update(value=600, unit="EU/L")
    out = run("released_lots_test_pass", d, category="endotoxin")
    assert out.status == "not_met"
    assert "outside the specification" in en(out)


def test_release_check_reports_an_incompatible_unit(d):
    result(d, "ENDO").update(value=0.1, unit="particles/mL")
    out = run("released_lots_test_pass", d, category="endotoxin")
    assert out.status == "not_met"
    assert "result in particles/mL cannot be compared with EU/mL" in en(out)
    assert "単位" in out.reasons[0]["ja"]


# --- endotoxin received per kg (K/M) ----------------------------------------------------------


def test_endotoxin_per_kg_from_a_result_in_eu_per_litre(d):
    """100 EU/L = 0.1 EU/mL; x 1.2 mL / 60 kg = 0.002 EU/kg <= K 0.2 (intrathecal): met.
    Before the fix 100 x 1.2 / 60 = 2 EU/kg > 0.2: not met."""
    result(d, "ENDO").update(value=100, unit="EU/L")
    d["administrations"][0]["route"] = "intrathecal"
    assert run("endotoxin_k_over_m", d, k=5.0, k_intrathecal=0.2).status == "met"
    d["administrations"][0]["volume_ml"] = 150  # 0.1 x 150 / 60 = 0.25 EU/kg > 0.2
    out = run("endotoxin_k_over_m", d, k=5.0, k_intrathecal=0.2)
    assert out.status == "not_met"
    assert "0.250 EU/kg exceeds K = 0.2 EU/kg" in en(out)


def test_intrathecal_rule_follows_the_route_code(d):
    """0.1 EU/mL x 150 mL / 60 kg = 0.25 EU/kg: within K = 5 for other routes, over K = 0.2 when the
    route code is intrathecal (however the file spelled it: 'i.t.' is the code intrathecal)."""
    d["administrations"][0].update(volume_ml=150, route="intra_articular")
    assert run("endotoxin_k_over_m", d, k=5.0, k_intrathecal=0.2).status == "met"
    d["administrations"][0]["route"] = "i.t."
    assert snapshot_from_data(d, "u.yaml").administrations[0].route == "intrathecal"
    assert run("endotoxin_k_over_m", d, k=5.0, k_intrathecal=0.2).status == "not_met"


def test_endotoxin_per_kg_refuses_a_result_that_is_not_an_endotoxin_concentration(d):
    result(d, "ENDO").update(value=0.1, unit="ng/mL")
    out = run("endotoxin_k_over_m", d, k=5.0, k_intrathecal=0.2)
    assert out.status == "not_met"
    assert "endotoxin result in ng/mL cannot be compared with EU/mL" in en(out)
    assert out.next_steps


# --- particle content against the label -------------------------------------------------------


def test_particle_content_in_particles_per_microlitre(d):
    """1.05e7 particles/µL = 1.05e10 particles/mL, within 1.0e10 ± 20 %: met (before: 1.05e7 vs 1e10)."""
    result(d, "CONC").update(value="1.05e7", unit="particles/uL")
    assert run("particle_content_vs_label", d, tolerance=0.2).status == "met"
    result(d, "CONC").update(value="7.9e6", unit="particles/uL")  # 7.9e9/mL: 21 % below the label
    assert run("particle_content_vs_label", d, tolerance=0.2).status == "not_met"


def test_particle_content_with_a_scaled_unit(d):
    """10.5 x 1e9 particles/mL = 1.05e10 particles/mL: within the label ± 20 %."""
    result(d, "CONC").update(value="10.5", unit="1e9 particles/mL")
    assert run("particle_content_vs_label", d, tolerance=0.2).status == "met"


def test_particle_content_refuses_an_unknown_unit(d):
    result(d, "CONC").update(value="1.05e10", unit="vesicles/mL")
    out = run("particle_content_vs_label", d, tolerance=0.2)
    assert out.status == "not_met"
    assert "result in vesicles/mL cannot be compared with particles/mL" in en(out)


# --- particle-to-protein ratio -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conc", "conc_unit", "prot", "prot_unit"),
    [
        ("1.05e10", "particles/mL", "0.3", "ug/mL"),
        ("1.05e10", "particles/mL", "0.0003", "mg/mL"),  # before: 1.05e10 / 0.0003 = 3.5e13
        ("1.05e10", "particles/mL", "300", "ng/mL"),
        ("1.05e7", "particles/uL", "0.3", "µg/mL"),
    ],
)
def test_ratio_is_one_number_whatever_the_units(d, conc, conc_unit, prot, prot_unit):
    """1.05e10 particles/mL / 0.3 µg/mL = 3.5e10 particles/µg (Webber & Clayton: high purity, >= 3e10)."""
    from evqms.guidance.checks.characterisation import particle_protein_ratio

    result(d, "CONC").update(value=conc, unit=conc_unit)
    result(d, "PROT").update(value=prot, unit=prot_unit)
    snap = snapshot_from_data(d, "units.yaml")
    assert particle_protein_ratio(snap, snap.lots[0]) == Decimal("3.5e10")
    out = run("purity_class", d, minimum="high")
    assert out.status == "met"
    assert "3.50E+10 particles/µg protein" in en(out)


def test_ratio_refuses_protein_in_an_incompatible_unit(d):
    result(d, "PROT").update(value="0.3", unit="EU/mL")
    out = run("purity_class", d, minimum="low")
    assert out.status == "not_met"
    assert "particle-to-protein ratio cannot be computed: EU/mL cannot be converted to µg/mL" in en(out)
    reported = run("particle_protein_ratio_reported", d)
    assert reported.status == "not_met" and "EU/mL cannot be converted" in en(reported)


# --- residual DNA per dose ------------------------------------------------------------------------


def test_residual_dna_per_dose_in_picograms(d):
    """2100 pg/dose = 2.1 ng/dose <= 10 ng/dose: met (before: 2100 > 10, not met)."""
    d["specifications"][0]["attributes"].append(
        {"id": "DNA", "name": "Residual DNA", "category": "residual_dna", "unit": "ng/dose", "max": 10}
    )
    d["lots"][0]["qc_results"].append(
        {"attribute": "DNA", "tested_on": "2024-04-06", "value": 2100, "unit": "pg/dose"}
    )
    assert run("residual_dna_per_dose", d, max_ng=10.0).status == "met"
    result(d, "DNA").update(value=12000)  # 12 ng/dose > 10
    assert run("residual_dna_per_dose", d, max_ng=10.0).status == "not_met"


def test_conversion_helper_is_exact():
    """0.3 µg/mL in ng/mL is exactly 300 (Decimal, no binary rounding)."""
    assert quantities.convert(Decimal("0.3"), "ug/mL", "ng/mL") == Decimal("300")
    with pytest.raises(quantities.UnitMismatch):
        quantities.convert(Decimal("1"), "", "EU/mL")


# --- the biodistribution threshold a study sets (JSRM-3-P1) ----------------------------------------


def test_study_threshold_judges_when_the_product_states_none(d):
    """BD-1 reached 0.12 of the dose. With the product's threshold 0.05 it is met; without one, the
    study's own threshold decides: 0.10 met (0.12 >= 0.10), 0.20 not met; with neither, partly met."""
    assert run("biodistribution_target_fraction", d).status == "met"
    d["product"].pop("target_fraction_threshold")
    assert run("biodistribution_target_fraction", d).status == "partly_met"
    d["studies"]["biodistribution"][0]["threshold"] = 0.10
    out = run("biodistribution_target_fraction", d)
    assert out.status == "met" and "threshold 0.1" in en(out)
    d["studies"]["biodistribution"][0]["threshold"] = 0.20
    out = run("biodistribution_target_fraction", d)
    assert out.status == "not_met" and "threshold fraction 0.2 " in en(out)
