"""Inventory pages through the test client: shipping an aliquot from its page and recording a
temperature excursion on a storage location's page. A success writes the audit event; bad input
re-renders the form with an error naming the field and writes nothing; a user without the role gets 403."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.inventory import services
from evqms.inventory.models import Aliquot, AliquotMove, Shipment, TemperatureExcursion
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def op(db):
    return f.user("inv-web-op", "operator")


@pytest.fixture
def store(op):
    """S1 > S1-F1 (-80 °C freezer) > S1-F1-R1 > S1-F1-R1-B1 > positions P1, P2, and a second freezer S1-F2."""
    site = services.create_location(actor=op, code="S1", name="Site", kind="site")
    freezer = services.create_location(
        actor=op, code="S1-F1", name="Freezer 1", kind="freezer", parent=site, temperature_c="-80"
    )
    other = services.create_location(
        actor=op, code="S1-F2", name="Freezer 2", kind="freezer", parent=site, temperature_c="-80"
    )
    rack = services.create_location(actor=op, code="S1-F1-R1", name="Rack", kind="rack", parent=freezer)
    box = services.create_location(actor=op, code="S1-F1-R1-B1", name="Box", kind="box", parent=rack)
    positions = [
        services.create_location(actor=op, code=f"P{i}", name=f"P{i}", kind="position", parent=box)
        for i in (1, 2)
    ]
    return {"freezer": freezer, "other": other, "positions": positions}


@pytest.fixture
def aliquots(op, store):
    lot = f.lot("L-SHIP", status="released")
    return services.create_aliquots(actor=op, lot=lot, count=2, volume_ml="1.0", locations=store["positions"])


def _english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def _events(action: str):
    return AuditEvent.objects.filter(action=action)


# --- ship -------------------------------------------------------------------------------------


@pytest.fixture
def clinic(op):
    return services.create_consignee(
        actor=op,
        code="KYOTO-CL",
        name="Kyoto Knee Clinic",
        address="1 Karasuma, Kyoto",
        site="Orthopaedics",
        contact_name="Dr Sato",
    )


def test_operator_ships_an_aliquot_and_the_audit_trail_records_it(client, op, aliquots, clinic):
    a = aliquots[0]
    client.force_login(op)
    _english(client)
    page = client.get(f"/inventory/aliquots/{a.container_id}/").content.decode()
    assert 'id="ship-form"' in page and "KYOTO-CL — Kyoto Knee Clinic (Orthopaedics)" in page
    response = client.post(
        f"/inventory/aliquots/{a.container_id}/",
        {"action": "ship", "consignee": "KYOTO-CL", "reference": " YMT-123 "},
    )
    assert response.status_code == 302 and response["Location"] == f"/inventory/aliquots/{a.container_id}/"
    a.refresh_from_db()
    shipment = Shipment.objects.get()
    assert (a.status, a.reason, a.location_id) == ("shipped", shipment.number, None)
    assert (shipment.consignee, shipment.ship_to_address, shipment.ship_to_site, shipment.contact_name) == (
        clinic,
        "1 Karasuma, Kyoto",
        "Orthopaedics",
        "Dr Sato",
    )
    assert (shipment.shipped_by, shipment.reference) == (op, "YMT-123")
    assert [i.aliquot for i in shipment.items.all()] == [a]
    event = _events("aliquot.ship").get()
    assert event.actor == op and event.object_type == "aliquot" and event.object_id == str(a.pk)
    assert json.loads(event.before)["location"] == "P1"
    assert json.loads(event.after)["status"] == "shipped"
    assert json.loads(_events("shipment.create").get().after)["aliquots"] == [a.container_id]
    # leaving storage is also a move out of P1
    assert AliquotMove.objects.filter(aliquot=a, to_location=None).get().from_location.code == "P1"
    page = client.get(response["Location"]).content.decode()
    assert f"{a.container_id} shipped to Kyoto Knee Clinic ({shipment.number})." in page
    assert f">{shipment.number}</a> → Kyoto Knee Clinic (Orthopaedics)" in page
    assert 'id="ship-form"' not in page  # a shipped aliquot offers no second shipment
    listing = client.get("/inventory/shipments/").content.decode()
    assert shipment.number in listing and "Kyoto Knee Clinic" in listing
    detail = client.get(f"/inventory/shipments/{shipment.number}/").content.decode()
    assert "1 Karasuma, Kyoto" in detail and a.container_id in detail and "YMT-123" in detail


def test_missing_consignee_is_an_error_on_the_field_and_writes_nothing(client, op, aliquots, clinic):
    a = aliquots[0]
    client.force_login(op)
    _english(client)
    before = AuditEvent.objects.count()
    response = client.post(f"/inventory/aliquots/{a.container_id}/", {"action": "ship", "consignee": ""})
    assert response.status_code == 400
    assert response.context["ship_form"].errors == {"consignee": ["This field is required."]}
    body = response.content.decode()
    assert '<ul class="errorlist" role="alert" id="consignee-errors">' in body
    assert "<li>Consignee: This field is required.</li>" in body
    response = client.post(f"/inventory/aliquots/{a.container_id}/", {"action": "ship", "consignee": "NOPE"})
    assert response.status_code == 400 and list(response.context["ship_form"].errors) == ["consignee"]
    assert AuditEvent.objects.count() == before
    a.refresh_from_db()
    assert (a.status, a.location.code) == ("available", "P1")
    assert not Shipment.objects.exists()


def test_missing_consignee_in_japanese(client, op, aliquots, clinic):
    client.force_login(op)  # the site's default language is Japanese
    response = client.post(
        f"/inventory/aliquots/{aliquots[0].container_id}/", {"action": "ship", "consignee": ""}
    )
    assert response.status_code == 400
    assert "<li>出荷先: この項目は必須です。</li>" in response.content.decode()


def test_an_aliquot_that_left_storage_cannot_be_shipped(client, op, aliquots, clinic):
    a = aliquots[0]
    services.discard_aliquot(actor=op, aliquot=a, reason="cracked vial")
    client.force_login(op)
    _english(client)
    before = AuditEvent.objects.count()
    response = client.post(
        f"/inventory/aliquots/{a.container_id}/", {"action": "ship", "consignee": "KYOTO-CL"}
    )
    assert response.status_code == 400
    assert response.context["ship_form"].non_field_errors() == [
        f"aliquot {a.container_id} is Discarded: it cannot be shipped"
    ]
    assert f"aliquot {a.container_id} is Discarded: it cannot be shipped" in response.content.decode()
    assert AuditEvent.objects.count() == before
    a.refresh_from_db()
    assert (a.status, a.reason) == ("discarded", "cracked vial")


def test_a_reserved_aliquot_can_be_shipped(client, op, aliquots, clinic):
    a = aliquots[1]
    services.reserve_aliquot(actor=f.user("inv-web-doc", "physician"), aliquot=a, reason="PT-1")
    client.force_login(op)
    response = client.post(
        f"/inventory/aliquots/{a.container_id}/", {"action": "ship", "consignee": "KYOTO-CL"}
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == "shipped"


@pytest.mark.parametrize("role", ["physician", "qc_analyst", "auditor"])
def test_shipping_needs_the_stock_role(client, aliquots, clinic, role):
    a = aliquots[0]
    user = f.user(f"inv-web-{role}", role)
    client.force_login(user)
    page = client.get(f"/inventory/aliquots/{a.container_id}/")
    assert page.status_code == 200 and 'id="ship-form"' not in page.content.decode()
    before = AuditEvent.objects.count()
    response = client.post(
        f"/inventory/aliquots/{a.container_id}/", {"action": "ship", "consignee": "KYOTO-CL"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before
    assert Aliquot.objects.get(pk=a.pk).status == "available"


def test_consignee_register_page(client, op):
    client.force_login(op)
    _english(client)
    response = client.post(
        "/inventory/consignees/",
        {"code": "OSAKA/1", "name": "Osaka", "address": "x", "contact_name": "y"},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["code"]
    response = client.post(
        "/inventory/consignees/",
        {"code": "OSAKA-1", "name": "Osaka Hospital", "address": "2 Umeda", "contact_name": "Ms Ito"},
    )
    assert response.status_code == 302
    page = client.get("/inventory/consignees/").content.decode()
    assert "Osaka Hospital" in page and "Ms Ito" in page
    assert json.loads(_events("consignee.create").get().after)["address"] == "2 Umeda"
    client.force_login(f.user("inv-web-aud", "auditor"))
    assert client.post("/inventory/consignees/", {"code": "X"}).status_code == 403


# --- temperature excursions -------------------------------------------------------------------


def _excursion(**kw):
    data = {
        "started_at": "2024-06-01T08:00",
        "ended_at": "2024-06-01T09:30",
        "extreme_temperature_c": "-52.5",
        "description": "Door left ajar after restocking",
        "assessment": "Below -20 °C throughout; no impact on EV integrity",
    }
    data.update(kw)
    return data


def test_operator_records_an_excursion_and_sees_it_listed(client, op, store, aliquots):
    freezer = store["freezer"]
    client.force_login(op)
    _english(client)
    page = client.get("/inventory/locations/S1-F1/").content.decode()
    assert 'id="excursion-form"' in page and "No excursions recorded." in page
    # the aliquots an excursion may affect: everything stored inside the freezer
    assert all(a.container_id in page for a in aliquots)
    response = client.post("/inventory/locations/S1-F1/", _excursion())
    assert response.status_code == 302 and response["Location"] == "/inventory/locations/S1-F1/"
    exc = TemperatureExcursion.objects.get()
    tokyo = timezone.get_fixed_timezone(9 * 60)
    assert exc.location == freezer and exc.recorded_by == op
    assert exc.started_at == dt.datetime(2024, 6, 1, 8, 0, tzinfo=tokyo)
    assert exc.ended_at == dt.datetime(2024, 6, 1, 9, 30, tzinfo=tokyo)
    assert exc.extreme_temperature_c == Decimal("-52.5")
    event = _events("location.excursion").get()
    assert (event.actor, event.object_type, event.object_id) == (op, "storage_location", str(freezer.pk))
    after = json.loads(event.after)
    assert after["excursion_id"] == exc.pk and after["extreme_temperature_c"] == "-52.5"
    assert after["started_at"] == "2024-06-01T08:00:00+09:00"  # Asia/Tokyo, as entered
    page = client.get("/inventory/locations/S1-F1/").content.decode()
    assert "Temperature excursion recorded." in page
    rows = page.split('<table id="excursions">')[1].split("</table>")[0]
    assert "2024-06-01 08:00" in rows and "2024-06-01 09:30" in rows and "-52.5" in rows
    assert "Door left ajar after restocking" in rows and "no impact on EV integrity" in rows


def test_past_excursions_are_the_locations_own_latest_first(client, op, store):
    client.force_login(op)
    _english(client)
    for day, temp in ((3, "-60.0"), (10, "-41.0")):
        assert (
            client.post(
                "/inventory/locations/S1-F1/",
                _excursion(started_at=f"2024-07-{day:02d}T10:00", ended_at="", extreme_temperature_c=temp),
            ).status_code
            == 302
        )
    services.record_excursion(
        actor=op,
        location=store["other"],
        started_at=timezone.now(),
        extreme_temperature_c="-30",
        description="Other freezer alarm",
    )
    page = client.get("/inventory/locations/S1-F1/").content.decode()
    rows = page.split('<table id="excursions">')[1].split("</table>")[0]
    assert rows.index("2024-07-10 10:00") < rows.index("2024-07-03 10:00")
    assert rows.count("Ongoing") == 2  # no end time given
    assert "Other freezer alarm" not in rows
    listing = client.get("/inventory/locations/").content.decode()
    assert 'href="/inventory/locations/S1-F1/"' in listing
    assert '<span class="badge warn">2</span>' in listing and '<span class="badge warn">1</span>' in listing


def test_bad_excursion_input_names_each_field_and_writes_nothing(client, op, store):
    client.force_login(op)
    _english(client)
    before = AuditEvent.objects.count()
    response = client.post(
        "/inventory/locations/S1-F1/",
        _excursion(started_at="", extreme_temperature_c="very cold", description=""),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors == {
        "started_at": ["This field is required."],
        "extreme_temperature_c": ["Enter a number."],
        "description": ["This field is required."],
    }
    body = response.content.decode()
    assert "<li>Started at: This field is required.</li>" in body
    assert "<li>Extreme temperature (°C): Enter a number.</li>" in body
    assert "<li>Description: This field is required.</li>" in body
    # more precision than the record keeps is refused, not rounded
    response = client.post("/inventory/locations/S1-F1/", _excursion(extreme_temperature_c="-52.55"))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["extreme_temperature_c"]
    assert not TemperatureExcursion.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_end_before_the_start_is_the_services_error_on_the_end_field(client, op, store):
    client.force_login(op)
    _english(client)
    before = AuditEvent.objects.count()
    response = client.post("/inventory/locations/S1-F1/", _excursion(ended_at="2024-06-01T07:00"))
    assert response.status_code == 400
    assert response.context["form"].errors == {"ended_at": ["the end is before the start"]}
    assert "<li>Ended at: the end is before the start</li>" in response.content.decode()
    assert not TemperatureExcursion.objects.exists() and AuditEvent.objects.count() == before


def test_excursion_errors_in_japanese(client, op, store):
    client.force_login(op)
    response = client.post("/inventory/locations/S1-F1/", _excursion(ended_at="2024-06-01T07:00"))
    assert "<li>終了日時: 終了が開始より前です</li>" in response.content.decode()


@pytest.mark.parametrize("role", ["physician", "qc_analyst", "auditor"])
def test_recording_an_excursion_needs_the_role(client, store, role):
    client.force_login(f.user(f"inv-web-x-{role}", role))
    page = client.get("/inventory/locations/S1-F1/")
    assert page.status_code == 200 and 'id="excursion-form"' not in page.content.decode()
    before = AuditEvent.objects.count()
    assert client.post("/inventory/locations/S1-F1/", _excursion()).status_code == 403
    assert not TemperatureExcursion.objects.exists() and AuditEvent.objects.count() == before


def test_qa_reviewer_may_record_an_excursion(client, store):
    client.force_login(f.user("inv-web-qa", "qa_reviewer"))
    assert client.post("/inventory/locations/S1-F1/", _excursion()).status_code == 302
    assert _events("location.excursion").count() == 1


def test_unknown_location_is_404(client, op, store):
    client.force_login(op)
    assert client.get("/inventory/locations/NOPE/").status_code == 404
    assert client.post("/inventory/locations/NOPE/", _excursion()).status_code == 404


def test_an_empty_post_shows_the_required_fields(client, op, store):
    client.force_login(op)
    _english(client)
    response = client.post("/inventory/locations/S1-F1/", {})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"started_at", "extreme_temperature_c", "description"}
    assert not TemperatureExcursion.objects.exists()


# --- the other aliquot actions answer like ship: 400 when refused, 403 without the role ----------


def test_move_to_an_occupied_position_is_400_and_moves_nothing(client, op, store, aliquots):
    _english(client)
    client.force_login(op)
    first, second = aliquots
    r = client.post(
        f"/inventory/aliquots/{first.container_id}/",
        {"action": "move", "to_location": second.location.code, "reason": "tidy"},
    )
    assert r.status_code == 400 and "occupied" in r.content.decode().lower()
    first.refresh_from_db()
    assert first.location == store["positions"][0] and not _events("aliquot.move").exists()


def test_discard_without_a_reason_is_400_and_by_a_physician_403(client, op, aliquots):
    _english(client)
    client.force_login(op)
    url = f"/inventory/aliquots/{aliquots[0].container_id}/"
    assert client.post(url, {"action": "discard", "reason": ""}).status_code == 400
    client.force_login(f.user("inv-web-dr", "physician"))
    assert client.post(url, {"action": "discard", "reason": "broken"}).status_code == 403
    assert Aliquot.objects.get(pk=aliquots[0].pk).status == "available"
