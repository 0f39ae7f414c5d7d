"""The training pages and API: who sees what, recording through the forms, refusals where they belong."""

import datetime as dt

import pytest
from django.urls import reverse

from evqms.training import models as m

pytestmark = pytest.mark.django_db


def test_pages_open_for_staff_and_forms_for_qa_only(client, world, sop):
    sop(version=1)
    client.force_login(world.operator)
    for name in ("training:matrix", "training:media-fill-list"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("training:person", args=["op1"])).status_code == 200
    assert client.get(reverse("training:record")).status_code == 403
    assert client.get(reverse("training:media-fill-record")).status_code == 403
    assert client.get(reverse("training:person", args=["nobody"])).status_code == 404
    assert client.get(reverse("training:media-fill-detail", args=[999])).status_code == 404


def test_record_training_through_the_form_then_revoke(client, world, sop):
    doc = sop(version=1)
    client.force_login(world.qa)
    page = client.get(reverse("training:record") + f"?person=op1&document={doc.pk}")
    assert page.status_code == 200
    data = {
        "person": world.operator.pk,
        "document": doc.pk,
        "trained_on": "2026-01-05",
        "trainer": world.qa.pk,
        "method": "practical",
    }
    bad = client.post(reverse("training:record"), {**data, "effective_from": "2026-01-01"})
    assert bad.status_code == 400 and "教育訓練の発効日は実施日以降にしてください" in bad.content.decode()
    done = client.post(reverse("training:record"), data)
    assert done.status_code == 302 and done["Location"] == reverse("training:person", args=["op1"])
    record = m.TrainingRecord.objects.get()
    matrix = client.get(reverse("training:matrix") + "?document=SOP-FILL-001").content.decode()
    assert "badge ok" in matrix
    client.post(reverse("training:revoke", args=[record.pk]), {"reason": "trained by mistake"})
    record.refresh_from_db()
    assert record.status == "revoked"


def test_record_media_fill_through_the_form(client, world):
    client.force_login(world.qa)
    data = {
        "performed_on": "2026-04-01",
        "line": "BSC-1",
        "units_filled": "100",
        "units_incubated": "100",
        "units_contaminated": "0",
        "operators": [world.operator.pk],
        "password": "wrong",
    }
    refused = client.post(reverse("training:media-fill-record"), data)
    assert refused.status_code == 400 and not m.MediaFill.objects.exists()
    done = client.post(reverse("training:media-fill-record"), {**data, "password": world.qa.raw_password})
    run = m.MediaFill.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "training:media-fill-detail", args=[run.pk]
    )
    detail = client.get(done["Location"]).content.decode()
    assert "MF-00001" in detail and "2026-10-01" in detail


def test_api_records_lists_and_answers_the_gate(client, world, sop):
    doc = sop(version=1)
    client.force_login(world.qa)
    body = {
        "person": "op1",
        "document": "SOP-FILL-001",
        "version": 1,
        "trained_on": "2026-01-05",
        "trainer": "qa1",
        "method": "practical",
    }
    assert (
        client.post("/api/v1/training/records/", {**body, "version": 9}, "application/json").status_code
        == 400
    )
    created = client.post("/api/v1/training/records/", body, "application/json")
    assert created.status_code == 201 and created.json()["version"] == 1
    assert client.post("/api/v1/training/records/", body, "application/json").status_code == 409
    listed = client.get("/api/v1/training/records/?person=op1").json()
    assert [r["document"] for r in listed] == ["SOP-FILL-001"]
    step = world.process.steps.get(order=3)
    step.aseptic, step.sop = True, doc.code
    step.save()
    gate = client.get(f"/api/v1/training/qualification/?person=op1&step={step.pk}&on=2026-03-01").json()
    assert len(gate["problems"]) == 1 and gate["problems"][0].startswith("Op1 ")
    assert client.get("/api/v1/training/qualification/?person=op1&step=abc").status_code == 400
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/training/records/" in schema and "/api/v1/training/qualification/" in schema
    assert dt.date(2026, 1, 5).isoformat() in str(listed)
