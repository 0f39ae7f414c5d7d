"""REST API: lots, QC results, invalidate/verify, release and rejection with the password; schema."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from evqms.lots.models import Lot, QCResult

pytestmark = pytest.mark.django_db


def client_for(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user=user)
    return c


def test_create_and_list_lots(world):
    c = client_for(world.operator)
    body = {
        "product": "ucmsc-sev-oa",
        "process_version": 1,
        "specification_version": 1,
        "cell_bank": "MCB-001",
        "number": "UCEV-API-1",
        "manufactured_on": "2024-05-01",
        "volume_ml": "12.5",
    }
    r = c.post("/api/v1/lots/", body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "in_process" and Lot.objects.get(number="UCEV-API-1").volume_ml == D("12.5")
    r = c.post("/api/v1/lots/", {**body, "number": "UCEV-API-2", "cell_bank": "NOPE"}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "cell_bank"
    r = client_for(world.qa).post("/api/v1/lots/", {**body, "number": "UCEV-API-3"}, format="json")
    assert r.status_code == 403
    r = c.get("/api/v1/lots/?status=in_process")
    assert [x["number"] for x in r.json()] == ["UCEV-API-1"]
    r = c.get("/api/v1/lots/UCEV-API-1/")
    assert r.status_code == 200 and r.json()["product"]["code"] == "ucmsc-sev-oa"
    assert c.get("/api/v1/lots/NOPE/").status_code == 404


def test_results_invalidate_and_verify(world):
    lot = world.manufacture(world.new_lot("UCEV-API-1"))
    c = client_for(world.analyst)
    r = c.post(
        "/api/v1/lots/UCEV-API-1/results/",
        {
            "attribute": "endotoxin",
            "value": "0.7",
            "unit": "EU/mL",
            "tested_at": "2024-06-01T10:00:00+09:00",
            "positive_recovery": "95",
            "negative_control": "not detected",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    first = r.json()
    assert first["verdict"] == "fail" and first["limits"]["upper"] == "0.5"
    assert first["run_controls"]["valid"] is True and first["run_controls"]["positive_recovery_pct"] == 95
    r = c.post(
        "/api/v1/lots/UCEV-API-1/results/",
        {
            "attribute": "endotoxin",
            "value": "0.1",
            "unit": "nm",
            "tested_at": "2024-06-01T10:00:00+09:00",
            "positive_recovery": "95",
            "negative_control": "not detected",
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["where"] == "unit"
    r = c.post(f"/api/v1/qc-results/{first['id']}/invalidate/", {"reason": ""}, format="json")
    assert r.status_code == 400
    r = c.post(f"/api/v1/qc-results/{first['id']}/invalidate/", {"reason": "pipetting error"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "invalidated"
    r = c.post(
        "/api/v1/lots/UCEV-API-1/results/",
        {
            "attribute": "endotoxin",
            "value": "0.1",
            "unit": "EU/mL",
            "tested_at": "2024-06-02T10:00:00+09:00",
            "retest_of": first["id"],
            "positive_recovery": "95",
            "negative_control": "not detected",
        },
        format="json",
    )
    retest = r.json()
    assert r.status_code == 201 and retest["retest_of"] == first["id"]
    assert c.post(f"/api/v1/qc-results/{retest['id']}/verify/").status_code == 409  # own result
    r = client_for(world.analyst2).post(f"/api/v1/qc-results/{retest['id']}/verify/")
    assert r.status_code == 200 and r.json()["verified_by"] == "qc2"
    listed = c.get("/api/v1/lots/UCEV-API-1/results/").json()
    assert [x["status"] for x in listed] == ["invalidated", "valid"]
    assert QCResult.objects.filter(lot=lot).count() == 2


def test_release_requires_the_password(world):
    lot = world.quarantined_lot("UCEV-API-1")
    c = client_for(world.qa)
    r = c.post("/api/v1/lots/UCEV-API-1/release/", {}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "password"
    r = c.post("/api/v1/lots/UCEV-API-1/release/", {"password": "wrong-one"}, format="json")
    assert r.status_code == 403 and "password" in r.json()["error"]
    r = client_for(world.analyst).post(
        "/api/v1/lots/UCEV-API-1/release/", {"password": world.analyst.raw_password}, format="json"
    )
    assert r.status_code == 403
    assert Lot.objects.get(pk=lot.pk).status == "quarantine"
    r = c.post(
        "/api/v1/lots/UCEV-API-1/release/", {"password": world.qa.raw_password, "reason": "ok"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "released"
    r = client_for(world.qa2).post(
        "/api/v1/lots/UCEV-API-1/release/", {"password": world.qa2.raw_password}, format="json"
    )
    assert r.status_code == 409 and r.json()["problems"][0]["code"] == "status"


def test_reject_requires_a_reason(world):
    world.manufacture(world.new_lot("UCEV-API-1"))
    c = client_for(world.qa)
    r = c.post("/api/v1/lots/UCEV-API-1/reject/", {"password": world.qa.raw_password}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "reason"
    r = c.post(
        "/api/v1/lots/UCEV-API-1/reject/",
        {"password": world.qa.raw_password, "reason": "contaminated"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"


def test_schema_renders(world):
    r = client_for(world.qa).get("/api/v1/schema/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "/api/v1/lots/{number}/release/" in text and "/api/v1/qc-results/{id}/verify/" in text
