"""The equipment pages and API: who sees and does what, filters, the certificate download, errors."""

import datetime as dt

import pytest
from django.utils import timezone

from evqms.equipment import selectors, services
from evqms.equipment.models import Instrument

pytestmark = pytest.mark.django_db


def ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def overdue(qa, analyst, nta):
    services.record_calibration(
        actor=analyst, instrument=nta, performed_on=ago(200), performed_by="V", result="pass"
    )
    return Instrument.objects.get(pk=nta.pk)


def test_register_filters_by_state_and_due(client, qa, overdue):
    services.register_instrument(actor=qa, identifier="BSC-01", kind="biosafety_cabinet", name="Cabinet")
    client.force_login(qa)
    page = client.get("/equipment/?state=calibration_overdue").content.decode()
    assert "NTA-01" in page and "BSC-01" not in page
    page = client.get("/equipment/?state=in_service").content.decode()
    assert "BSC-01" in page and "NTA-01" not in page
    page = client.get("/equipment/?due=14").content.decode()
    assert "NTA-01" in page and "BSC-01" not in page  # due 20 days ago; the cabinet has no due date
    assert client.get("/equipment/?due=abc").status_code == 200  # an unknown filter is ignored


def test_analyst_sees_the_register_but_cannot_register(client, analyst, overdue):
    client.force_login(analyst)
    page = client.get("/equipment/")
    assert page.status_code == 200 and 'id="instrument-form"' not in page.content.decode()
    assert client.post("/equipment/", {"identifier": "X-1", "kind": "nta", "name": "x"}).status_code == 403
    page = client.get("/equipment/instruments/NTA-01/").content.decode()
    assert 'id="calibration-form"' in page and 'id="edit-form"' not in page
    assert client.get("/equipment/instruments/NOPE-1/").status_code == 404


def test_refused_registration_lands_on_the_field(client, qa, overdue, settings):
    client.force_login(qa)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        "/equipment/", {"identifier": "nta-01", "kind": "nta", "name": "again", "overdue_policy": "refuse"}
    )
    assert response.status_code == 400
    assert "already exists as NTA-01" in response.content.decode()


def test_calibration_by_the_page_keeps_the_certificate_for_download(client, analyst, overdue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(analyst)
    response = client.post(
        "/equipment/instruments/NTA-01/",
        {
            "action": "calibration",
            "performed_on": ago(1).isoformat(),
            "performed_by": "Vendor",
            "result": "pass",
            "certificate": SimpleUploadedFile("cert.pdf", b"%PDF-cert"),
        },
    )
    assert response.status_code == 302
    record = overdue.calibrations.first()
    download = client.get(f"/equipment/instruments/NTA-01/calibrations/{record.pk}/certificate")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-cert"


def test_tasks_for_the_owner_and_qa_not_others(make_user, qa, analyst, overdue):
    other = make_user("an2", "qc_analyst")
    mine = selectors.tasks_for(analyst)
    assert [(t.kind, t.due) for t in mine] == [("equipment.calibration", ago(20))]
    assert mine[0].url == "/equipment/instruments/NTA-01/"
    assert [t.kind for t in selectors.tasks_for(qa)] == ["equipment.calibration"]
    assert selectors.tasks_for(other) == []


def test_api_lists_registers_and_refuses(client, qa, analyst, overdue):
    client.force_login(analyst)
    listed = client.get("/api/v1/equipment/instruments/?state=calibration_overdue").json()
    assert [i["identifier"] for i in listed] == ["NTA-01"] and listed[0]["room"] == "CR-B01"
    assert client.get("/api/v1/equipment/instruments/?due_within=x").status_code == 400
    assert (
        client.post(
            "/api/v1/equipment/instruments/",
            {"identifier": "PR-1", "kind": "plate_reader", "name": "R"},
            content_type="application/json",
        ).status_code
        == 403
    )
    made = client.post(
        "/api/v1/equipment/instruments/NTA-01/calibrations/",
        {"performed_on": ago(1).isoformat(), "performed_by": "Vendor", "result": "pass"},
        content_type="application/json",
    )
    assert (
        made.status_code == 201 and made.json()["next_due"] == (ago(1) + dt.timedelta(days=180)).isoformat()
    )
    client.force_login(qa)
    made = client.post(
        "/api/v1/equipment/instruments/",
        {"identifier": "PR-1", "kind": "plate_reader", "name": "Reader", "room": "CR-B01"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["state"] == "in_service"
    bad = client.post(
        "/api/v1/equipment/instruments/",
        {"identifier": "PR-2", "kind": "plate_reader", "name": "Reader", "room": "NOPE"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    again = client.post(
        "/api/v1/equipment/instruments/NTA-01/calibrations/",
        {"performed_on": ago(5).isoformat(), "performed_by": "Vendor", "result": "pass"},
        content_type="application/json",
    )
    assert again.status_code == 400  # dated before the last one
    assert "/api/v1/equipment/instruments/" in client.get("/api/v1/schema/").content.decode()


def test_rooms_page_creates_and_edits(client, qa, room, settings):
    client.force_login(qa)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert (
        client.post("/equipment/rooms/", {"code": "QC-C01", "name": "QC lab", "grade": "C"}).status_code
        == 302
    )
    page = client.get("/equipment/rooms/QC-C01/")
    assert page.status_code == 200 and "Grade C" in page.content.decode()
