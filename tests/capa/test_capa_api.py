"""/api/v1/deviations/ and /api/v1/capa/: lists with filters, details, opening a CAPA, adding and
completing actions; 400 on bad input, 403 for a role, 409 for a rule, and the schema lists them."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from evqms.lots.services import open_deviation

pytestmark = pytest.mark.django_db


def client_for(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user=user)
    return c


def test_deviations_and_capa_through_the_api(world):
    one = world.in_qc("UCEV-A-001")
    two = world.in_qc("UCEV-A-002")
    dev = open_deviation(actor=world.operator, lots=[two, one], description="HVAC stop", source="environment")
    open_deviation(actor=world.operator, description="freezer", source="storage")
    read = client_for(world.auditor)
    listed = read.get("/api/v1/deviations/?source=environment").json()
    assert [d["number"] for d in listed] == [dev.number]
    assert listed[0]["lots"] == ["UCEV-A-001", "UCEV-A-002"] and listed[0]["classification"] == "minor"
    assert listed[0]["impacts"] == [
        {"lot": "UCEV-A-001", "assessment": None, "reasoning": ""},
        {"lot": "UCEV-A-002", "assessment": None, "reasoning": ""},
    ]
    assert read.get("/api/v1/deviations/?classification=huge").status_code == 400
    assert read.get(f"/api/v1/deviations/{dev.number}/").json()["source"] == "environment"
    assert read.get("/api/v1/deviations/DEV-99999/").status_code == 404
    assert read.post("/api/v1/capa/", {"title": "x", "kind": "corrective"}, format="json").status_code == 403

    qa = client_for(world.qa)
    assert qa.post("/api/v1/capa/", {"title": "x", "kind": "curative"}, format="json").status_code == 400
    missing = qa.post(
        "/api/v1/capa/", {"title": "x", "kind": "corrective", "deviations": ["DEV-X"]}, format="json"
    )
    assert missing.status_code == 400
    created = qa.post(
        "/api/v1/capa/", {"title": "HVAC", "kind": "corrective", "deviations": [dev.number]}, format="json"
    )
    assert created.status_code == 201 and created.json()["number"] == "CAPA-00001"
    today = timezone.localdate().isoformat()
    bad_owner = {"description": "fix", "owner": "nobody", "due_on": today}
    assert qa.post("/api/v1/capa/CAPA-00001/actions/", bad_owner, format="json").status_code == 400
    added = qa.post(
        "/api/v1/capa/CAPA-00001/actions/",
        {"description": "fix", "owner": "op1", "due_on": today},
        format="json",
    )
    assert added.status_code == 201
    action = added.json()["actions"][0]
    done_url = f"/api/v1/capa/CAPA-00001/actions/{action['id']}/done/"
    assert client_for(world.analyst).post(done_url, {"evidence": "x"}, format="json").status_code == 403
    assert client_for(world.operator).post(done_url, {"evidence": "WO-1"}, format="json").status_code == 200
    assert client_for(world.operator).post(done_url, {"evidence": "WO-1"}, format="json").status_code == 409
    detail = read.get("/api/v1/capa/CAPA-00001/").json()
    assert detail["actions"][0]["status"] == "done" and detail["effectiveness_due_on"]
    assert read.get("/api/v1/deviations/" + dev.number + "/").json()["capa"] == ["CAPA-00001"]
    assert read.get("/api/v1/capa/?show=later").status_code == 400
    assert [c["number"] for c in read.get("/api/v1/capa/?show=open").json()] == ["CAPA-00001"]


def test_the_schema_lists_the_endpoints(world):
    schema = client_for(world.qa).get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/deviations/", "/api/v1/capa/", "/api/v1/capa/{number}/actions/"):
        assert path in schema["paths"], path
