"""/api/v1/changes/: the same steps as the pages, with 400/403/409 as the API promises."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def client_for(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user)
    return c


def test_propose_approve_and_refusals(people):
    op, qa = client_for(people.operator), client_for(people.qa)
    bad = op.post("/api/v1/changes/", {"kind": "process", "title": "", "description": "d"}, format="json")
    assert bad.status_code == 400 and bad.json()["where"] == "title"
    made = op.post(
        "/api/v1/changes/",
        {
            "kind": "document",
            "title": "SOP-EV-001 v3",
            "description": "clarify the fill step",
            "impact_assessment": "training",
        },
        format="json",
    )
    assert made.status_code == 201 and made.json()["number"] == "CC-00001"
    assert (
        op.post(
            "/api/v1/changes/CC-00001/",
            {"step": "approve", "password": people.operator.raw_password},
            format="json",
        ).status_code
        == 403
    )
    assert qa.post("/api/v1/changes/CC-00001/", {"step": "approve"}, format="json").status_code == 400
    assert (
        qa.post(
            "/api/v1/changes/CC-00001/", {"step": "approve", "password": "wrong"}, format="json"
        ).status_code
        == 403
    )
    done = qa.post(
        "/api/v1/changes/CC-00001/", {"step": "approve", "password": people.qa.raw_password}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "approved"
    again = qa.post(
        "/api/v1/changes/CC-00001/", {"step": "approve", "password": people.qa.raw_password}, format="json"
    )
    assert again.status_code == 409
    early = qa.post(
        "/api/v1/changes/CC-00001/", {"step": "close", "password": people.qa.raw_password}, format="json"
    )
    assert early.status_code == 409 and "record its implementation first" in early.json()["error"]
    listed = client_for(people.auditor).get("/api/v1/changes/?status=open").json()
    assert [row["number"] for row in listed] == ["CC-00001"]
    assert client_for(people.auditor).get("/api/v1/changes/?status=maybe").status_code == 400
    assert client_for(people.auditor).get("/api/v1/changes/CC-00009/").status_code == 404
    schema = client_for(people.auditor).get("/api/v1/schema/").content.decode()
    assert "/api/v1/changes/{number}/" in schema
