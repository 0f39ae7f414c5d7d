"""Dossier REST API: read-only lists and details, role check, filters, the OpenAPI schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from evqms.dossier import demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(make_user):
    users = {
        "operator": make_user("operator", "operator"),
        "analyst": make_user("analyst", "qc_analyst"),
        "qa": make_user("qa", "qa_reviewer"),
        "physician": make_user("physician", "physician"),
    }
    demo.load(users, {n: u.raw_password for n, u in users.items()})
    demo.approve_xeno_free_change(
        users, {n: u.raw_password for n, u in users.items()}
    )  # as the lots demo does
    client = APIClient()
    client.force_authenticate(users["operator"])
    return client


def test_products_list_and_detail(api):
    r = api.get("/api/v1/products/")
    assert r.status_code == 200
    (p,) = r.json()
    assert p["code"] == "ucmsc-sev-oa" and p["routes"] == ["intra_articular"]
    assert p["responsible_physician"] == "physician"
    assert (p["current_specification"], p["current_process"]) == (1, 2)
    assert api.get("/api/v1/products/ucmsc-sev-oa/").json()["origin"] == "allogeneic"
    assert api.get("/api/v1/products/nope/").status_code == 404


def test_specifications_with_attributes(api):
    (spec,) = api.get("/api/v1/specifications/?product=ucmsc-sev-oa&status=approved").json()
    attrs = {a["code"]: a for a in spec["attributes"]}
    assert len(attrs) == 18
    assert Decimal(attrs["size_mode"]["lower"]) == 50 and Decimal(attrs["size_mode"]["upper"]) == 200
    assert attrs["endotoxin"]["upper_inclusive"] is False and attrs["endotoxin"]["unit"] == "EU/mL"
    assert attrs["marker_calnexin"]["acceptable"] == ["negative"]
    assert api.get("/api/v1/specifications/?status=draft").json() == []


def test_process_definitions_and_material_lots(api):
    procs = api.get("/api/v1/process-definitions/?product=ucmsc-sev-oa").json()
    assert [(p["version"], p["status"]) for p in procs] == [(1, "superseded"), (2, "approved")]
    tff = [s for s in procs[1]["steps"] if s["kind"] == "concentration"][0]
    assert (
        tff["parameters"][0]["name"] == "Transmembrane pressure" and tff["parameters"][0]["critical"] is True
    )
    lots = api.get("/api/v1/material-lots/?animal_origin=1").json()
    assert [(x["lot_number"], x["animal_species"], x["animal_component_free"]) for x in lots] == [
        ("FBS-23-11", "bovine", False)
    ]
    assert len(api.get("/api/v1/material-lots/?acceptance_status=accepted").json()) == 3


def test_api_is_read_only_and_needs_a_role(api, make_user):
    assert api.post("/api/v1/products/", {"code": "x"}).status_code == 405
    nobody = APIClient()
    assert nobody.get("/api/v1/products/").status_code in (401, 403)
    from django.contrib.auth import get_user_model

    roleless = get_user_model().objects.create_user(username="roleless", password="x-very-long-pw-1")
    nobody.force_authenticate(roleless)
    assert nobody.get("/api/v1/specifications/").status_code == 403


def test_schema_lists_the_dossier_paths(api):
    r = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    import json

    paths = json.loads(r.content)["paths"]
    for p in (
        "/api/v1/products/",
        "/api/v1/products/{code}/",
        "/api/v1/specifications/",
        "/api/v1/process-definitions/",
        "/api/v1/material-lots/",
    ):
        assert p in paths
