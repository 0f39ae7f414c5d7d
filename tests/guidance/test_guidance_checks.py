"""Every named check on a passing and on a failing snapshot."""

from __future__ import annotations

import datetime as dt

import pytest
from guidance_helpers import add_quality_records, collected, example_data

from evqms.errors import InputError
from evqms.guidance.checks import REGISTRY, CheckContext
from evqms.guidance.dossier import snapshot_from_data

CTX = CheckContext(item_id="JSRM-1-SC", as_of=dt.date(2025, 6, 30))


def rich() -> dict:
    """The full-compliance dossier plus the characterisation that the stricter profiles ask for."""
    d = example_data("full-compliance.yaml")
    lot = d["lots"][0]
    lot["characterisation"].update(
        {
            "nvep_assessment": "SEC fractions",
            "msc_to_nonmsc_antigen_ratio": "12.5",
            "lipid_to_protein_ratio": "0.8",
            "membrane_vesicle_concentration": "7e9",
            "integrity": "Triton X-100 sensitive",
            "reference_comparison": "RS-2024",
            "impurity_pre_purification": "albumin 40 ug/mL",
            "impurity_post_purification": "albumin < 0.1 ug/mL",
            "protein_profile": "LCMS.raw",
            "rna_profile": "smallRNAseq.fastq",
            "lipid_profile": "lipidomics.csv",
        }
    )
    lot["culture_parameters"] = {
        k: "recorded"
        for k in [
            "passage",
            "seeding_density",
            "confluence_at_harvest",
            "medium",
            "conditioning_time",
            "oxygen",
            "temperature",
            "vessel",
        ]
    }
    attrs = d["specifications"][0]["attributes"]
    attrs += [
        {
            "id": "APP",
            "name": "Appearance",
            "category": "appearance",
            "method": "visual",
            "expected": "conforms",
        },
        {
            "id": "VIR",
            "name": "Adventitious virus",
            "category": "adventitious_virus",
            "method": "PCR",
            "expected": "negative",
        },
        {
            "id": "RES",
            "name": "Antibiotic residue",
            "category": "residual",
            "method": "ELISA",
            "expected": "negative",
        },
        {
            "id": "DNA",
            "name": "Residual DNA",
            "category": "residual_dna",
            "method": "qPCR",
            "unit": "ng/dose",
            "max": 10,
        },
    ]
    lot["qc_results"] += [
        {"attribute": "APP", "tested_on": "2024-04-05", "result": "conforms"},
        {"attribute": "VIR", "tested_on": "2024-04-06", "result": "negative"},
        {"attribute": "RES", "tested_on": "2024-04-06", "result": "negative"},
        {"attribute": "DNA", "tested_on": "2024-04-06", "value": 2.1},
    ]
    d["studies"]["other"] += [
        {"id": "TOX-1", "kind": "toxicity"},
        {"id": "SP-1", "kind": "safety_pharmacology"},
    ]
    d["processes"][0].update(
        previous_version="P0",
        comparability_record="CMP-1",
        comparability_approved_on="2024-03-15",
        change_request="CC-00001",
    )
    d["cell_banks"][0]["characterisation"].append({"test": "karyotype", "result": "46,XX", "passed": True})
    d.update(collected())
    return add_quality_records(d)


def lot0(d):
    return d["lots"][0]


def result(d, attribute):
    return next(r for r in lot0(d)["qc_results"] if r["attribute"] == attribute)


def drop_result(d, attribute):
    lot0(d)["qc_results"] = [r for r in lot0(d)["qc_results"] if r["attribute"] != attribute]


CASES = [
    # (check, params, change that makes it fail, status after the change)
    ("responsible_physician_named", {}, lambda d: d["product"].update(responsible_physician=""), "not_met"),
    (
        "attestation",
        {"role": "responsible_physician", "must_cite": ["risk_register"]},
        lambda d: d["attestations"][0].update(cites=["specification:SPEC-REL"]),
        "needs_attestation",
    ),
    ("risk_register_approved", {}, lambda d: d["risk_register"].update(status="draft"), "not_met"),
    (
        "risk_register_covers_stages",
        {},
        lambda d: d["risk_register"].update(items=d["risk_register"]["items"][:5]),
        "partly_met",
    ),
    (
        "high_risks_controlled",
        {},
        lambda d: d["risk_register"]["items"][2].update(controls=["NOPE"]),
        "not_met",
    ),
    ("administered_lots_retained", {}, lambda d: d["retention_samples"][0].update(in_stock=False), "not_met"),
    ("biological_material_lots_retained", {}, lambda d: d["retention_samples"].pop(1), "not_met"),
    ("administration_records_complete", {}, lambda d: d["administrations"][0].pop("route"), "not_met"),
    (
        "released_lots_test_pass",
        {"category": "sterility"},
        lambda d: result(d, "STER").update(result="positive"),
        "not_met",
    ),
    ("critical_parameters_in_range", {}, lambda d: lot0(d)["step_records"].pop(1), "not_met"),
    ("material_lots_accepted", {}, lambda d: d["material_lots"][0].update(coa=""), "partly_met"),
    (
        "qms_documents_current",
        {"elements": ["aseptic_processing", "training"]},
        lambda d: d["qms_documents"].pop(0),
        "partly_met",
    ),
    ("process_change_comparability", {}, lambda d: d["processes"][0].pop("comparability_record"), "not_met"),
    ("versions_under_change_control", {}, lambda d: d["processes"][0].pop("change_request"), "not_met"),
    (
        "environment_within_limits",
        {},
        lambda d: d["quality_records"]["em_samples"][3].update(deviation_status="open"),
        "not_met",
    ),
    (
        "aseptic_operators_qualified",
        {},
        lambda d: d["quality_records"]["media_fills"][0].update(expires_on="2024-03-01"),
        "not_met",
    ),
    (
        "instruments_calibrated",
        {},
        lambda d: d["quality_records"]["instruments"][0]["calibrations"][0].update(result="fail"),
        "not_met",
    ),
    (
        "deviations_closed_capa_in_time",
        {},
        lambda d: d["quality_records"]["capas"][0].update(due_on="2025-01-31"),
        "not_met",
    ),
    ("released_lots_size_and_markers", {}, lambda d: result(d, "SIZE").update(value=450), "not_met"),
    (
        "culture_materials_xeno_free",
        {},
        lambda d: d["material_lots"][0].update(animal_origin="bovine serum"),
        "not_met",
    ),
    (
        "cqa_defined",
        {},
        lambda d: [a.update(cqa=False) for a in d["specifications"][0]["attributes"]],
        "not_met",
    ),
    ("released_lots_cqa_in_range", {}, lambda d: result(d, "PROT").update(value=5), "not_met"),
    ("potency_assay_linked_to_indication", {}, lambda d: d["studies"].update(potency_assays=[]), "not_met"),
    ("released_lots_potency_in_range", {}, lambda d: result(d, "POT").update(value=40), "not_met"),
    (
        "biodistribution_target_fraction",
        {},
        lambda d: d["product"].pop("target_fraction_threshold"),
        "partly_met",
    ),
    (
        "dose_within_supported_range",
        {},
        lambda d: d["administrations"][0].update(dose="1e12 particles"),
        "not_met",
    ),
    (
        "potency_unit_basis_and_mock",
        {},
        lambda d: d["studies"]["potency_assays"][0].update(mock_control=False),
        "not_met",
    ),
    (
        "biodistribution_methods",
        {"min_methods": 2},
        lambda d: d["studies"]["biodistribution"][0].update(methods=["DiR"]),
        "not_met",
    ),
    ("study_exists", {"kind": "toxicity"}, lambda d: d["studies"].update(other=[]), "not_met"),
    ("stability_supports_expiry", {}, lambda d: lot0(d).update(expiry="2026-04-18"), "not_met"),
    (
        "source_amount_reported",
        {},
        lambda d: [lot0(d).pop(k) for k in ("source_volume_ml", "producer_cell_count")],
        "not_met",
    ),
    ("global_quantification", {"min_measures": 2}, lambda d: drop_result(d, "PROT"), "not_met"),
    ("particle_protein_ratio_reported", {}, lambda d: drop_result(d, "CONC"), "not_met"),
    (
        "marker_category_positive",
        {"category": "cytosolic"},
        lambda d: result(d, "MARK")["markers"].pop(2),
        "not_met",
    ),
    ("negative_marker_tested", {}, lambda d: result(d, "MARK")["markers"].pop(3), "not_met"),
    (
        "marker_panel",
        {"min_proteins": 3, "min_non_ev": 1},
        lambda d: result(d, "MARK")["markers"].pop(3),
        "not_met",
    ),
    ("single_ev_imaging", {}, lambda d: lot0(d)["characterisation"].pop("em_close_up"), "not_met"),
    (
        "single_particle_method",
        {},
        lambda d: [r.update(method="BCA") for r in lot0(d)["qc_results"]],
        "not_met",
    ),
    (
        "characterisation_metric",
        {"metrics": ["integrity"]},
        lambda d: lot0(d)["characterisation"].pop("integrity"),
        "not_met",
    ),
    (
        "culture_parameters_reported",
        {"parameters": ["oxygen"]},
        lambda d: lot0(d)["culture_parameters"].pop("oxygen"),
        "not_met",
    ),
    (
        "donor_records_complete",
        {},
        lambda d: d["donors"][0]["infectious_markers"][0].update(result="positive"),
        "not_met",
    ),
    ("cell_bank_characterised", {}, lambda d: d["cell_banks"][0].update(passage=9), "not_met"),
    ("isolation_method_recorded", {}, lambda d: d["processes"][0].pop("isolation_method"), "not_met"),
    (
        "particle_count_replicates",
        {"min_replicates": 3},
        lambda d: result(d, "CONC").update(replicates=1),
        "not_met",
    ),
    (
        "viability_at_harvest_recorded",
        {"minimum": 90},
        lambda d: lot0(d).update(viability_at_harvest=70),
        "not_met",
    ),
    (
        "endotoxin_k_over_m",
        {"k": 5.0, "k_intrathecal": 0.2},
        lambda d: d["administrations"][0].update(route="intrathecal", volume_ml=150),
        "not_met",
    ),
    (
        "size_window",
        {"lower_nm": 50, "upper_nm": 400, "min_fraction": 0.9},
        lambda d: result(d, "SIZE")["size_fractions"][0].update(fraction=0.85),
        "not_met",
    ),
    ("size_peak_below", {"upper_nm": 200}, lambda d: result(d, "SIZE").update(d90_nm=240), "not_met"),
    (
        "particle_content_vs_label",
        {"tolerance": 0.2},
        lambda d: result(d, "CONC").update(value=7.9e9),
        "not_met",
    ),
    ("purity_class", {"minimum": "low"}, lambda d: result(d, "PROT").update(value=10), "not_met"),
    ("residual_dna_per_dose", {"max_ng": 10.0}, lambda d: result(d, "DNA").update(value=12), "not_met"),
    ("administrations_have_baseline", {}, lambda d: d.update(baselines=[]), "not_met"),
    (
        "follow_ups_within_window",
        {},
        lambda d: d["follow_up_visits"][0].update(evaluated_on="2024-06-25"),
        "partly_met",
    ),
    (
        "serious_events_reported_in_time",
        {},
        lambda d: d["safety_reports"][0].update(submitted_on="2024-05-29"),
        "not_met",
    ),
    (
        "evidence_summary_current",
        {"months": 12},
        lambda d: d["evidence_reports"][0].update(issued_on="2024-06-29"),
        "not_met",
    ),
    (
        "adverse_events_investigated",
        {},
        lambda d: d["adverse_events"][0].update(investigation=""),
        "partly_met",
    ),
]


def test_every_registered_check_has_a_case():
    assert {c[0] for c in CASES} == set(REGISTRY)


@pytest.mark.parametrize(("name", "params", "change", "failing"), CASES, ids=[c[0] for c in CASES])
def test_check_passes_then_fails(name, params, change, failing):
    data = rich()
    passing = REGISTRY[name](snapshot_from_data(data, "rich.yaml"), CTX, **params)
    assert passing.status == "met", passing.reasons
    assert passing.reasons and all(r["en"] and r["ja"] for r in passing.reasons)
    change(data)
    failed = REGISTRY[name](snapshot_from_data(data, "rich.yaml"), CTX, **params)
    assert failed.status == failing, failed.reasons
    assert failed.next_steps, "every gap says what to do next"
    assert all(s["en"] and s["ja"] and s["en"] != s["ja"] for s in failed.next_steps)


def test_serum_replacement_name_is_no_proof():
    d = rich()
    d["materials"].append({"id": "KSR", "name": "KnockOut Serum Replacement", "stage": "culture"})
    d["material_lots"].append(
        {"id": "KSR-1", "material": "KSR", "coa": "c.pdf", "acceptance_status": "accepted"}
    )
    for lot in d["lots"]:
        lot.setdefault("material_lots", []).append("KSR-1")
    out = REGISTRY["culture_materials_xeno_free"](snapshot_from_data(d, "x.yaml"), CTX)
    assert out.status == "not_met"
    assert any("no proof" in r["en"] for r in out.reasons)
    d["material_lots"][-1]["grade"] = "xeno-free"  # the supplier's declared grade decides
    assert REGISTRY["culture_materials_xeno_free"](snapshot_from_data(d, "x.yaml"), CTX).status == "met"


def test_justified_animal_material_passes_with_tse_record():
    d = rich()
    versions = sorted({lot["process_version"] for lot in d["lots"]})
    d["material_lots"][1].update(
        animal_origin="bovine serum",
        justification="no alternative",
        tse_compliance="EDQM CEP",
        justified_processes=versions,
    )
    out = REGISTRY["culture_materials_xeno_free"](snapshot_from_data(d, "x.yaml"), CTX)
    assert out.status == "met"
    d["material_lots"][1]["tse_compliance"] = ""
    assert REGISTRY["culture_materials_xeno_free"](snapshot_from_data(d, "x.yaml"), CTX).status == "not_met"


def test_endotoxin_dose_per_kg_is_computed():
    d = rich()  # 0.1 EU/mL x 1.2 mL / 60 kg = 0.002 EU/kg; intrathecal K = 0.2 still passes
    assert (
        REGISTRY["endotoxin_k_over_m"](snapshot_from_data(d, "x.yaml"), CTX, k=5.0, k_intrathecal=0.2).status
        == "met"
    )
    d["administrations"][0].update(volume_ml=150, route="intrathecal")  # 0.25 EU/kg > 0.2
    out = REGISTRY["endotoxin_k_over_m"](snapshot_from_data(d, "x.yaml"), CTX, k=5.0, k_intrathecal=0.2)
    assert out.status == "not_met"
    assert "0.250 EU/kg" in out.reasons[0]["en"]


def test_purity_classes_follow_webber_clayton_defaults():
    from decimal import Decimal

    from evqms.guidance.checks.specdefaults import purity_class

    assert purity_class(Decimal("3.5e10")) == "high"
    assert purity_class(Decimal("5e9")) == "low"
    assert purity_class(Decimal("1.7e9")) == "intermediate"
    assert purity_class(Decimal("1e9")) == "impure"


def test_dose_per_kg_converted_with_body_weight():
    d = rich()  # absolute dose 1.2e10 particles at 60 kg = 2e8 particles/kg: inside 5e7-1e9 /kg
    d["administrations"][0]["dose"] = {"value": 1.2e10, "unit": "particles"}
    assert REGISTRY["dose_within_supported_range"](snapshot_from_data(d, "x.yaml"), CTX).status == "met"
    d["administrations"][0].pop("body_weight_kg")
    assert (
        REGISTRY["dose_within_supported_range"](snapshot_from_data(d, "x.yaml"), CTX).status == "partly_met"
    )


def test_xeno_free_judged_on_the_lots_and_their_process_versions():
    """Issue: a lot on the xeno-free process v2 used FBS justified 'only in process v1'; JSRM-3-R2
    must not stay met. The justification covers only the process versions it names."""
    d = rich()
    d["processes"].append(dict(d["processes"][0], version="2", previous_version=d["processes"][0]["version"]))
    d["materials"].append({"id": "FBS", "name": "Fetal bovine serum", "stage": "culture", "biological": True})
    d["material_lots"].append(
        {
            "id": "FBS-23-11",
            "material": "FBS",
            "coa": "c.pdf",
            "animal_origin": "bovine serum",
            "grade": "research",
            "acceptance_status": "accepted",
            "justification": "Used only in process v1 before the xeno-free process",
            "tse_compliance": "EDQM CEP",
            "justified_processes": ["1"],
        }
    )
    for lot in d["lots"]:
        lot["process_version"] = "1"
    first = d["lots"][0]
    first["material_lots"] = [*first.get("material_lots", []), "FBS-23-11"]
    out = REGISTRY["culture_materials_xeno_free"](snapshot_from_data(d, "x.yaml"), CTX)
    assert out.status == "met", out.reasons  # v1 lot with FBS: the justification covers v1
    first["process_version"] = "2"  # the same use on the xeno-free process v2
    out = REGISTRY["culture_materials_xeno_free"](snapshot_from_data(d, "x.yaml"), CTX)
    assert out.status == "not_met"
    assert any("covers only process versions v1" in r["en"] for r in out.reasons), out.reasons
    # A serum lot that no lot consumed decides nothing.
    first["material_lots"].remove("FBS-23-11")
    assert REGISTRY["culture_materials_xeno_free"](snapshot_from_data(d, "x.yaml"), CTX).status == "met"


def test_indications_and_routes_are_compared_as_codes():
    """Issue (demo): the assay's "Knee osteoarthritis" and the product's "Knee osteoarthritis
    (Kellgren-Lawrence II-III)" are one indication; "intra-articular" and "intra_articular" one route.
    Both were compared as free text and JSRM-3-R4 / JSRM-3-P1 said not met."""
    d = rich()
    d["product"]["indications"] = ["Knee osteoarthritis (Kellgren-Lawrence II-III)"]
    d["product"]["routes"] = ["intra_articular"]
    d["studies"]["potency_assays"][0]["indication"] = "Knee osteoarthritis"
    d["studies"]["biodistribution"][0]["route"] = "intra-articular"
    snap = snapshot_from_data(d, "x.yaml")
    assert snap.product.indications == ["knee_osteoarthritis"]
    assert snap.product.indication_detail == "Kellgren-Lawrence II-III"
    assert snap.studies.biodistribution[0].route == "intra_articular"
    assert REGISTRY["potency_assay_linked_to_indication"](snap, CTX).status == "met"
    assert REGISTRY["biodistribution_target_fraction"](snap, CTX).status == "met"
    # Another coded indication is not linked, whatever the wording.
    d["studies"]["potency_assays"][0]["indication"] = "Osteoarthritis"
    out = REGISTRY["potency_assay_linked_to_indication"](snapshot_from_data(d, "x.yaml"), CTX)
    assert out.status == "not_met" and "変形性膝関節症" in out.reasons[0]["ja"]


def test_unknown_free_text_is_refused_with_its_field():
    d = rich()
    d["studies"]["biodistribution"][0]["route"] = "by mouth somehow"
    with pytest.raises(InputError) as err:
        snapshot_from_data(d, "x.yaml")
    assert "$.studies.biodistribution[0].route" in str(err.value.where)
    assert "intra_articular" in err.value.message


def test_a_specification_version_after_the_first_needs_a_change_request():
    d = rich()
    spec = d["specifications"][0]
    first = [{**a, "id": a["id"] + "-V1"} for a in spec["attributes"]]  # attribute ids are unique
    d["specifications"] = [{**spec, "version": "1", "attributes": first}, {**spec, "version": "2"}]
    check = REGISTRY["versions_under_change_control"]
    out = check(snapshot_from_data(d, "x.yaml"), CTX)
    assert out.status == "partly_met"  # process P1 under CC-00001; specification v2 under none
    assert out.reasons[0]["en"] == "specification version 2 was made without a change request."
    assert out.reasons[0]["ja"] == "規格の版 2 は変更申請なしに作成されています。"
    d["specifications"][1]["change_request"] = "CC-00002"
    out = check(snapshot_from_data(d, "x.yaml"), CTX)
    assert out.status == "met" and out.evidence == ["change request CC-00001", "change request CC-00002"]
