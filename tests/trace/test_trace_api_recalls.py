"""/api/v1/trace/recalls/ and /holds/, /api/v1/inventory/consignees/ and /shipments/: lists and details
with recipients and open units, shipping (operator), confirming a unit's outcome, placing and lifting
a hold, destroying held units and closing a recall (signed: the password field, as the release API).
Refusals answer 400 (bad input, no password), 403 (role, wrong password) or 409 (a rule) with the
message. Lineage: tests/trace/conftest.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from evqms.inventory import services as inventory
from evqms.inventory.models import Aliquot
from evqms.testing import factories as f
from evqms.trace import services

pytestmark = pytest.mark.django_db


def client_for(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user=user)
    return c


@pytest.fixture
def world(lineage, rf_request):
    qa = f.user("api-qa", "qa_reviewer")
    op = lineage.operator
    inventory.create_consignee(
        actor=op,
        code="KYOTO-CL",
        name="Kyoto Knee Clinic",
        address="Kyoto 1",
        site="Ortho",
        contact_name="Dr S",
    )
    inventory.create_aliquots(actor=op, lot=lineage.lots["L1"], count=3, volume_ml="1.0")
    return lineage, qa, op


def test_ship_through_the_api_then_recall_lists_and_follows_the_unit(world, rf_request):
    lineage, qa, op = world
    api = client_for(op)
    r = api.post(
        "/api/v1/inventory/shipments/",
        {"consignee": "KYOTO-CL", "aliquots": ["L1-A004"], "shipped_at": "2026-12-06T08:30:00+09:00"},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["number"], body["consignee"], body["aliquots"]) == ("SH-00001", "KYOTO-CL", ["L1-A004"])
    assert body["shipped_at"] == "2026-12-06T08:30:00+09:00"  # local time with its offset
    r = api.post(
        "/api/v1/inventory/shipments/", {"consignee": "NOPE", "aliquots": ["L1-A005"]}, format="json"
    )
    assert r.status_code == 400 and r.json()["where"] == "consignee"
    r = client_for(lineage.physician).post(
        "/api/v1/inventory/shipments/", {"consignee": "KYOTO-CL", "aliquots": ["L1-A005"]}, format="json"
    )
    assert r.status_code == 403
    assert [s["number"] for s in api.get("/api/v1/inventory/shipments/?lot=L1").json()] == ["SH-00001"]
    assert api.get("/api/v1/inventory/shipments/SH-00001/").json()["site"] == "Ortho"
    assert api.get("/api/v1/inventory/shipments/SH-09999/").status_code == 404
    consignees = api.get("/api/v1/inventory/consignees/").json()
    assert [(c["code"], c["shipments"]) for c in consignees] == [("KYOTO-CL", 1)]
    assert api.get("/api/v1/inventory/consignees/KYOTO-CL/").json()["contact_name"] == "Dr S"

    services.recall_lot(
        request=rf_request, actor=qa, lot="L1", reason="Endotoxin OOS", password=qa.raw_password
    )
    read = client_for(qa)
    listed = read.get("/api/v1/trace/recalls/?status=open").json()
    assert [(r["number"], r["lot"], r["shipped_units"], r["open_units"]) for r in listed] == [
        ("RC-00001", "L1", 1, 1)
    ]
    assert read.get("/api/v1/trace/recalls/?status=closed").json() == []
    assert read.get("/api/v1/trace/recalls/?status=maybe").status_code == 400
    detail = read.get("/api/v1/trace/recalls/RC-00001/").json()
    assert detail["initiated_at"].endswith("+09:00")
    assert detail["open"] == [
        {
            "aliquot": "L1-A004",
            "shipment": "SH-00001",
            "consignee": "KYOTO-CL",
            "consignee_name": "Kyoto Knee Clinic",
            "shipped_at": "2026-12-06T08:30:00+09:00",
        }
    ]
    assert [h["aliquot"] for h in detail["held_stock"]] == ["L1-A005", "L1-A006"]
    kinds = sorted((r["kind"], r["reference"]) for r in detail["recipients"])
    assert ("shipment", "SH-00001") in kinds and ("administration", lineage.adm[1].number) in kinds
    assert any(r["recipient"] == "P-1" for r in detail["recipients"])
    # a QC analyst reads the recall without the patients' codes (clinical.view_patient_codes)
    hidden = client_for(f.user("api-qc", "qc_analyst")).get("/api/v1/trace/recalls/RC-00001/").json()
    assert not any(r["recipient"] == "P-1" for r in hidden["recipients"])
    assert read.get("/api/v1/trace/recalls/RC-09999/").status_code == 404

    # the held unit cannot be shipped: 409 naming the recall
    r = api.post(
        "/api/v1/inventory/shipments/", {"consignee": "KYOTO-CL", "aliquots": ["L1-A005"]}, format="json"
    )
    assert r.status_code == 409 and "RC-00001" in r.json()["error"]


def test_confirm_destroy_and_close_with_the_password(world, rf_request):
    lineage, qa, op = world
    inventory.ship_aliquots(actor=op, aliquots=["L1-A004"], consignee="KYOTO-CL")
    services.recall_lot(
        request=rf_request, actor=qa, lot="L1", reason="Endotoxin OOS", password=qa.raw_password
    )
    api = client_for(qa)
    url = "/api/v1/trace/recalls/RC-00001"
    r = api.post(f"{url}/close/", {"reason": "done", "password": qa.raw_password}, format="json")
    assert r.status_code == 409 and "L1-A004" in r.json()["error"]
    r = client_for(op).post(
        f"{url}/units/", {"aliquot": "L1-A004", "outcome": "returned", "note": "courier YMT-2"}, format="json"
    )
    assert r.status_code == 200 and r.json()["open"] == []
    r = client_for(op).post(
        f"{url}/units/", {"aliquot": "L1-A004", "outcome": "returned", "note": "again"}, format="json"
    )
    assert r.status_code == 409
    r = api.post(f"{url}/units/", {"aliquot": "L1-A004", "outcome": "lost", "note": "x"}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "outcome"

    destroy = {"aliquots": ["L1-A005"], "reason": "Autoclaved, certificate DC-9"}
    r = api.post(f"{url}/destroy-held/", destroy, format="json")
    assert r.status_code == 400 and r.json()["where"] == "password"
    r = api.post(f"{url}/destroy-held/", {**destroy, "password": "wrong"}, format="json")
    assert r.status_code == 403 and "password" in r.json()["error"]
    r = client_for(op).post(f"{url}/destroy-held/", {**destroy, "password": op.raw_password}, format="json")
    assert r.status_code == 403
    r = api.post(
        f"{url}/destroy-held/",
        {**destroy, "aliquots": ["L2-A002"], "password": qa.raw_password},
        format="json",
    )
    assert r.status_code == 409 and "L2-A002" in r.json()["error"]
    assert Aliquot.objects.get(container_id="L1-A005").status == "on_hold"
    r = api.post(f"{url}/destroy-held/", {**destroy, "password": qa.raw_password}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert [d["aliquot"] for d in body["destroyed"]] == ["L1-A005"]
    assert body["destroyed"][0]["destroyed_at"].endswith("+09:00")
    # L1-A004 came back (returned: on hold under the recall) and L1-A006 is still held
    assert [h["aliquot"] for h in body["held_stock"]] == ["L1-A004", "L1-A006"]

    r = api.post(f"{url}/close/", {"reason": "all accounted for"}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "password"
    r = api.post(f"{url}/close/", {"reason": "all accounted for", "password": "wrong"}, format="json")
    assert r.status_code == 403
    r = api.post(f"{url}/close/", {"reason": "all accounted for", "password": qa.raw_password}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closed_by"]


def test_holds_through_the_api(world):
    lineage, qa, op = world
    r = client_for(op).post(
        "/api/v1/trace/holds/", {"scope": "material_lot", "code": "FBS-1", "reason": "TSE"}, format="json"
    )
    assert r.status_code == 403
    api = client_for(qa)
    r = api.post(
        "/api/v1/trace/holds/", {"scope": "material_lot", "code": "NOPE-9", "reason": "x"}, format="json"
    )
    assert r.status_code == 400 and r.json()["where"] == "code"
    r = api.post(
        "/api/v1/trace/holds/", {"scope": "material_lot", "code": "FBS-1", "reason": "TSE"}, format="json"
    )
    assert r.status_code == 201, r.content
    hold = r.json()
    assert (hold["number"], hold["lots"], hold["status"]) == ("HD-00001", ["L3"], "active")
    assert [h["aliquot"] for h in hold["held_stock"]] == ["L3-A002"]
    assert [h["number"] for h in api.get("/api/v1/trace/holds/?status=active").json()] == ["HD-00001"]
    assert api.get("/api/v1/trace/holds/?status=released").json() == []
    r = api.post("/api/v1/trace/holds/HD-00001/lift/", {"reason": "certificate found"}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "password"
    r = api.post(
        "/api/v1/trace/holds/HD-00001/lift/",
        {"reason": "certificate found", "password": qa.raw_password},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "released" and r.json()["held_stock"] == []
    r = api.post(
        "/api/v1/trace/holds/HD-00001/lift/", {"reason": "again", "password": qa.raw_password}, format="json"
    )
    assert r.status_code == 409 and "already lifted" in r.json()["error"]
    assert api.get("/api/v1/trace/holds/HD-00009/").status_code == 404


def test_destroy_held_units_of_a_hold_through_the_api(world):
    lineage, qa, op = world
    api = client_for(qa)
    api.post(
        "/api/v1/trace/holds/", {"scope": "material_lot", "code": "FBS-1", "reason": "TSE"}, format="json"
    )
    url = "/api/v1/trace/holds/HD-00001/destroy-held/"
    destroy = {"aliquots": ["L3-A002"], "reason": "Autoclaved, certificate DC-9"}
    r = api.post(url, destroy, format="json")
    assert r.status_code == 400 and r.json()["where"] == "password"
    r = api.post(url, {**destroy, "password": "wrong"}, format="json")
    assert r.status_code == 403 and "password" in r.json()["error"]
    assert Aliquot.objects.get(container_id="L3-A002").status == "on_hold"
    r = api.post(url, {**destroy, "aliquots": ["L1-A004"], "password": qa.raw_password}, format="json")
    assert r.status_code == 409 and "HD-00001" in r.json()["error"]  # not a unit this hold holds
    r = api.post(url, {**destroy, "password": qa.raw_password}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["held_stock"] == []
    assert [(d["aliquot"], d["reason"]) for d in body["destroyed"]] == [
        ("L3-A002", "Autoclaved, certificate DC-9")
    ]
    assert Aliquot.objects.get(container_id="L3-A002").status == "discarded"
    assert api.post("/api/v1/trace/holds/HD-00009/destroy-held/", destroy, format="json").status_code == 404


def test_reads_need_the_role_and_a_login(world):
    lineage, qa, op = world
    assert APIClient().get("/api/v1/trace/recalls/").status_code in (401, 403)
    assert client_for(op).get("/api/v1/trace/recalls/").status_code == 403  # operators do not read recalls
    assert client_for(op).get("/api/v1/trace/holds/").status_code == 403
    assert client_for(qa).get("/api/v1/trace/lot/L1/").status_code == 200  # the trace route still answers


def test_schema_documents_the_new_routes(world):
    text = client_for(world[1]).get("/api/v1/schema/").content.decode()
    for route in (
        "/api/v1/trace/recalls/{number}/destroy-held/",
        "/api/v1/trace/recalls/{number}/units/",
        "/api/v1/trace/recalls/{number}/close/",
        "/api/v1/trace/holds/{number}/lift/",
        "/api/v1/inventory/shipments/",
        "/api/v1/inventory/consignees/{code}/",
    ):
        assert route in text, route
