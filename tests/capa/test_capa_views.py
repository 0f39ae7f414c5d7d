"""The deviation and CAPA pages through the test client: every form, a refusal shown where the
person looks (both languages), closures with the password, filters, and no 500 on odd input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.capa.models import Capa
from evqms.lots.models import Deviation

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def _post(client, url, action, **fields):
    data = {"action": action, **{f"{action}-{k}": v for k, v in fields.items()}}
    return client.post(url, data)


def test_open_by_hand_then_work_the_deviation_to_closure(client, world, english):
    lot = world.quarantined_lot("UCEV-V-001")
    client.force_login(world.qa)
    refused = client.post("/deviations/new/", {"description": "door open", "lots": "UCEV-NOPE"})
    assert refused.status_code == 400 and "no lot UCEV-NOPE" in refused.content.decode()
    response = client.post(
        "/deviations/new/",
        {
            "description": "cold room door left open 40 min",
            "lots": "ucev-v-001",
            "material_lots": world.medium.lot_number,
        },
    )
    dev = Deviation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/deviations/{dev.number}/"
    assert list(dev.affected_lots.all()) == [lot] and list(dev.affected_material_lots.all()) == [world.medium]
    url = f"/deviations/{dev.number}/"
    body = client.get(url).content.decode()
    assert "any other departure → minor" in body and 'id="close-form"' in body
    assert _post(client, url, "classify", classification="major", reason="").status_code == 400
    assert _post(client, url, "classify", classification="major", reason="GMP storage").status_code == 302
    # closing too early: the page answers 400 and names what is missing
    body = _post(client, url, "close", password=world.qa.raw_password, resolution="").content.decode()
    assert "cannot be closed" in body and "no impact assessment for lot UCEV-V-001" in body
    assert "needs a linked CAPA" in body
    _post(client, url, "investigate", root_cause_category="personnel", investigation="door alarm muted")
    _post(
        client, url, f"impact-{lot.pk}", assessment="no_impact", reasoning="product temperature logged 4 °C"
    )
    body = client.get(url).content.decode()
    assert "Create CAPA" in body and f"/capa/new/?deviation={dev.number}" in body
    response = client.post(
        "/capa/new/",
        {
            "title": "Door alarms",
            "kind": "corrective",
            "deviations": dev.number,
            "effectiveness_after_days": "30",
        },
    )
    capa = Capa.objects.get()
    assert response["Location"] == f"/capa/{capa.number}/"
    wrong = _post(client, url, "close", password="wrong", resolution="")
    assert wrong.status_code == 400 and "password is wrong" in wrong.content.decode()
    assert _post(client, url, "close", password=world.qa.raw_password, resolution="done").status_code == 302
    dev.refresh_from_db()
    assert dev.status == "closed" and dev.closed_by == world.qa
    body = client.get(url).content.decode()
    assert 'id="deviation-closed"' in body and capa.number in body


def test_the_capa_page_plans_completes_checks_and_closes(client, world, english):
    client.force_login(world.qa)
    client.post("/capa/new/", {"title": "Audit finding 3", "kind": "preventive", "source_reference": "AUD-24-3",
                               "effectiveness_after_days": "0"})  # fmt: skip
    capa = Capa.objects.get()
    url = f"/capa/{capa.number}/"
    today = timezone.localdate()
    bad = _post(client, url, "add-action", description="", owner=world.operator.pk, due_on=today.isoformat())
    assert bad.status_code == 400
    _post(
        client,
        url,
        "add-action",
        description="Revise SOP-12",
        owner=world.operator.pk,
        due_on=today.isoformat(),
    )
    action = capa.actions.get()
    body = client.get(url).content.decode()
    assert "Revise SOP-12" in body and "an action is still open" in body
    client.force_login(world.operator)  # the owner records it done
    assert _post(client, url, f"complete-{action.pk}", evidence="SOP-12 v4", done_on="").status_code == 302
    client.force_login(world.qa)
    _post(client, url, "effectiveness", result="effective", evidence="no recurrence at the next audit")
    assert _post(client, url, "close", password=world.qa.raw_password, resolution="").status_code == 302
    capa.refresh_from_db()
    assert capa.status == "closed"
    assert 'id="capa-closed"' in client.get(url).content.decode()


def test_lists_filter_and_survive_odd_queries(client, world):
    lot = world.in_qc("UCEV-V-002")
    client.force_login(world.auditor)
    from evqms.lots.services import open_deviation

    open_deviation(actor=world.qa, lots=[lot], description="gowning breach")
    open_deviation(actor=world.qa, source="storage", description="freezer F-3 excursion")
    body = client.get("/deviations/?source=storage").content.decode()
    assert "freezer F-3 excursion" in body and "gowning breach" not in body
    for query in ("?status=x%00", "?classification=huge", "?source=' OR 1", "?status=closed"):
        assert client.get("/deviations/" + query).status_code == 200
    for query in ("", "?show=open", "?show=overdue", "?show=closed", "?show=nonsense"):
        assert client.get("/capa/" + query).status_code == 200
    assert client.get("/deviations/DEV-99999/").status_code == 404
    assert client.get("/capa/CAPA-99999/").status_code == 404
    # the auditor reads but cannot write
    assert client.get("/deviations/new/").status_code == 403
    assert client.get("/capa/new/").status_code == 403
    dev = Deviation.objects.get(source="storage")
    response = _post(client, f"/deviations/{dev.number}/", "classify", classification="major", reason="x")
    assert response.status_code == 403


def test_overdue_filter(client, world):
    from evqms.capa import services

    capa = services.create_capa(actor=world.qa, title="late", kind="corrective", source_reference="C-1")
    services.add_action(
        actor=world.qa, capa=capa, description="a", owner=world.operator,
        due_on=timezone.localdate() - dt.timedelta(days=1),
    )  # fmt: skip
    services.create_capa(actor=world.qa, title="in time", kind="corrective", source_reference="C-2")
    client.force_login(world.qa)
    body = client.get("/capa/?show=overdue").content.decode()
    assert "late" in body and "in time" not in body


def test_pages_read_in_japanese(client, world):
    client.force_login(world.qa)
    dev = __import__("evqms.lots.services", fromlist=["x"]).open_deviation(
        actor=world.qa, description="扉の開放"
    )
    body = client.get(f"/deviations/{dev.number}/").content.decode()
    assert "分類を確定または変更" in body and "この逸脱の対象ロットはありません。" in body
    assert "CAPA(是正措置・予防措置)" in client.get("/capa/").content.decode()
