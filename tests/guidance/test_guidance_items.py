"""Each JSRM item flips when the one fact it depends on changes (the rest of the dossier complete)."""

from __future__ import annotations

import pytest
from guidance_helpers import run, statuses


def test_full_compliance_meets_every_jsrm_item(full):
    assert set(statuses(full).values()) == {"met"}


def _animal_medium(d):
    d["materials"].append({"id": "FBS", "name": "Fetal bovine serum", "stage": "culture", "biological": True})
    d["material_lots"].append(
        {
            "id": "FBS-22-01",
            "material": "FBS",
            "coa": "c.pdf",
            "animal_origin": "bovine serum",
            "grade": "research",
            "acceptance_status": "accepted",
        }
    )
    for lot in d["lots"]:  # the check judges what the lots used
        lot.setdefault("material_lots", []).append("FBS-22-01")
    d["retention_samples"].append(  # a biological lot used is retained (JSRM-1-R2 stays met)
        {"id": "RS-FBS", "material_lot": "FBS-22-01", "quantity": "5 mL", "retain_until": "2034-04-18"}
    )


def _no_retention(d):
    d["retention_samples"] = [r for r in d["retention_samples"] if r.get("lot") != "L-001"]


def _stale_attestation(d):
    d["risk_register"]["approved_on"] = "2025-03-01"  # re-approved after the physician signed on 2025-02-01


def _register_draft(d):
    d["risk_register"]["status"] = "draft"


def _parameter_out(d):
    d["lots"][0]["step_records"][0]["parameters"]["conditioning_hours"] = 60


def _gcp_document_expired(d):
    next(x for x in d["qms_documents"] if x["element"] == "training")["review_due"] = "2025-01-01"


def _marker_negative(d):
    mark = next(r for r in d["lots"][0]["qc_results"] if r["attribute"] == "MARK")
    mark["markers"] = [{"marker": "CD9", "result": "negative"}, {"marker": "calnexin", "result": "negative"}]


def _no_cqa(d):
    for a in d["specifications"][0]["attributes"]:
        a.pop("cqa", None)


def _potency_other_indication(d):
    d["studies"]["potency_assays"][0]["indication"] = "chronic_wound"


def _low_biodistribution(d):
    d["studies"]["biodistribution"][0]["fraction_of_dose"] = 0.01


def _overdose(d):
    d["administrations"][0]["dose"] = "2.0e+10 particles/kg"


@pytest.mark.parametrize(
    ("item", "change", "expected"),
    [
        ("JSRM-1-SC", _stale_attestation, "needs_attestation"),
        ("JSRM-1-R1", _register_draft, "not_met"),
        ("JSRM-1-R2", _no_retention, "not_met"),
        ("JSRM-2-R1", _parameter_out, "not_met"),
        ("JSRM-2-R2", _gcp_document_expired, "partly_met"),
        ("JSRM-3-R1", _marker_negative, "not_met"),
        ("JSRM-3-R2", _animal_medium, "not_met"),
        ("JSRM-3-R3", _no_cqa, "not_met"),
        ("JSRM-3-R4", _potency_other_indication, "not_met"),
        ("JSRM-3-P1", _low_biodistribution, "not_met"),
        ("JSRM-3-R5", _overdose, "not_met"),
    ],
)
def test_item_flips_on_its_fact(full, item, change, expected):
    change(full)
    after = statuses(full)
    assert after[item] == expected
    # Only the item that depends on the fact changes (the physician's attestation excepted when it
    # cites the changed record).
    others = {k: v for k, v in after.items() if k not in (item, "JSRM-1-SC")}
    assert set(others.values()) == {"met"}, others


def test_stale_attestation_reason_names_the_record(full):
    _stale_attestation(full)
    finding = next(f for f in run(full).findings if f.item.id == "JSRM-1-SC")
    assert "risk_register:RR-1" in finding.reasons[-1]["en"]
    assert "古く" in finding.reasons[-1]["ja"]
    assert "risk_register RR-1" in finding.evidence


def test_attestation_by_someone_else_needs_a_new_one(full):
    full["attestations"][0]["signer"] = "Dr. Someone Else"
    assert statuses(full)["JSRM-1-SC"] == "needs_attestation"


def test_missing_attestation_is_needs_attestation_not_met(full):
    full["attestations"] = [a for a in full["attestations"] if a["item"] != "JSRM-1-SC"]
    assert statuses(full)["JSRM-1-SC"] == "needs_attestation"
