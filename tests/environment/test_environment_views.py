"""Environmental-monitoring pages and API through the test clients: every page opens for each
role that may read it, entries land on the form field they concern, and the API answers 201,
400 and 409."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from evqms.environment import services
from evqms.environment.models import LimitSetting, Sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_results(people, points, local):
    for i, count in enumerate([0, 1, 0, 2, 0, 3, 0, 1, 6]):
        services.record_result(actor=people["analyst"], point=points["B"], method="settle_plate",
                               sampled_at=local(2026, 10, 1 + i), count=count, exposure_minutes=240)  # fmt: skip
    services.add_schedule(actor=people["qa"], point=points["B"], method="particles_5", frequency="daily",
                          starts_on=dt.date(2026, 11, 1))  # fmt: skip
    services.plan_samples(actor=people["analyst"], start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 7))


@pytest.mark.parametrize("who", ["analyst", "qa", "operator"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pages_open_for_every_reader(client, people, points, some_results, who, lang):
    client.force_login(people[who])
    client.cookies["django_language"] = lang
    sample = Sample.objects.filter(verdict="action").get()
    due = Sample.objects.filter(status="due").first()
    urls = [
        "/environment/",
        "/environment/limits/",
        "/environment/schedule/?start=2026-11-01&end=2026-11-07",
        f"/environment/samples/{sample.number}/",
        f"/environment/samples/{due.number}/",
        f"/environment/points/{points['B'].pk}/",
        f"/environment/points/{points['B'].pk}/trend/settle_plate/",
        f"/environment/points/{points['C'].pk}/trend/settle_plate/",  # no results yet
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    writer = who == "analyst"
    assert client.get("/environment/results/new/").status_code == (200 if writer else 403)
    assert client.get("/environment/results/import/").status_code == (200 if writer else 403)


def test_trend_page_draws_limits_and_has_its_text(client, people, points, some_results):
    client.force_login(people["qa"])
    client.cookies["django_language"] = "en"
    page = client.get(f"/environment/points/{points['B'].pk}/trend/settle_plate/").content.decode()
    assert 'id="em-data"' in page and '"action": [5.0' in page
    assert "9 results" in page and "1 at action level" in page


def test_result_entry_puts_a_refusal_on_its_field(client, people, points):
    client.force_login(people["analyst"])
    client.cookies["django_language"] = "en"
    response = client.post("/environment/results/new/", {
        "point": points["B"].pk, "method": "settle_plate", "occupancy": "in_operation",
        "sampled_at": "2026-11-02T09:00", "count": "1", "exposure_minutes": "300",
    })  # fmt: skip
    assert response.status_code == 200
    assert "exposure_minutes-errors" in response.content.decode()
    assert not Sample.objects.exists()
    response = client.post("/environment/results/new/", {
        "point": points["B"].pk, "method": "settle_plate", "occupancy": "in_operation",
        "sampled_at": "2026-11-02T09:00", "count": "1", "exposure_minutes": "240",
    })  # fmt: skip
    assert response.status_code == 302
    assert Sample.objects.get().verdict == "within"


def test_missed_and_review_from_the_sample_page(client, people, points, some_results):
    due = Sample.objects.filter(status="due").first()
    client.force_login(people["analyst"])
    assert (
        client.post(
            f"/environment/samples/{due.number}/", {"action": "missed", "reason": "counter in repair"}
        ).status_code
        == 302
    )
    due.refresh_from_db()
    assert due.status == "missed" and due.missed_reason == "counter in repair"
    action = Sample.objects.get(verdict="action")
    assert (
        client.post(f"/environment/samples/{action.number}/", {"action": "review", "note": "x"}).status_code
        == 403
    )
    client.force_login(people["qa"])
    assert (
        client.post(
            f"/environment/samples/{action.number}/", {"action": "review", "note": "see the deviation"}
        ).status_code
        == 302
    )
    action.refresh_from_db()
    assert action.reviewed_by == people["qa"]


def test_limits_page_sets_a_limit_for_qa_only(client, people):
    data = {"grade": "D", "method": "contact_plate", "occupancy": "any", "alert": "20", "alert_source": "site",
            "action": "50", "action_source": "annex1", "reason": "CCS v2"}  # fmt: skip
    client.force_login(people["analyst"])
    assert client.post("/environment/limits/", data).status_code == 403
    client.force_login(people["qa"])
    assert client.post("/environment/limits/", data).status_code == 302
    assert LimitSetting.objects.get().alert == 20


def test_import_page_shows_problems_by_line_and_column(client, people, points):
    client.force_login(people["analyst"])
    client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile(
        "em.csv", b"point,method,sampled_at,count\nB1-SP01,contact_plate,yesterday,1\n"
    )
    page = client.post("/environment/results/import/", {"file": upload}).content.decode()
    assert "line 2" in page and "sampled_at" in page and "Nothing imported" in page


def _api(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user=user)
    return c


def test_api_records_a_result_and_answers_400_and_409(people, points, some_results):
    c = _api(people["analyst"])
    ok = c.post("/api/v1/environment/samples/", {"point": "B1-SP01", "method": "contact_plate",
                "sampled_at": "2026-11-02T09:00:00+09:00", "count": 0}, format="json")  # fmt: skip
    assert ok.status_code == 201, ok.content
    assert ok.json()["verdict"] == "within" and ok.json()["limits"]["action"] == "5"
    bad = c.post("/api/v1/environment/samples/", {"point": "B1-SP01", "method": "settle_plate",
                 "sampled_at": "2026-11-02T09:00:00+09:00", "count": 0}, format="json")  # fmt: skip
    assert bad.status_code == 400
    taken = ok.json()["number"]
    again = c.post("/api/v1/environment/samples/", {"sample": taken, "sampled_at": "2026-11-02T10:00:00+09:00",
                   "count": 1}, format="json")  # fmt: skip
    assert again.status_code == 409
    assert c.get("/api/v1/environment/limits/").status_code == 200
    assert c.get(f"/api/v1/environment/samples/{taken}/").json()["status"] == "taken"
    assert _api(people["operator"]).post("/api/v1/environment/samples/", {"point": "B1-SP01", "method": "contact_plate",
            "sampled_at": "2026-11-02T09:00:00+09:00", "count": 0}, format="json").status_code == 403  # fmt: skip
    schema = c.get("/api/v1/schema/").content.decode()
    assert "/api/v1/environment/samples/" in schema
