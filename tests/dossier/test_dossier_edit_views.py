"""Edit pages of donors, cell banks and materials: roles, prefilled forms, errors next to their field,
the reason kept in the audit trail, and the links from the product's dossier page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.dossier import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(people, product):
    donor = services.create_donor(actor=people.operator, code="D-1", consent_on=dt.date(2024, 1, 10))
    bank = services.create_cell_bank(
        actor=people.operator, code="MCB-1", kind="MCB", donor=donor, passage=3, vials=20, location="Tank 1"
    )
    medium = services.create_material(
        actor=people.operator,
        name="Xeno-free medium",
        supplier="Acme",
        catalogue_number="XF-1",
        kind="basal_medium",
    )
    serum = services.create_material(
        actor=people.operator, name="FBS", supplier="Acme", catalogue_number="FBS-1", kind="serum"
    )
    services.receive_material_lot(
        actor=people.operator,
        material=serum,
        lot_number="FBS-23-11",
        grade="research",
        received_on=timezone.localdate() - dt.timedelta(days=2),
        expiry=timezone.localdate() + dt.timedelta(days=200),
        animal_species="bovine",
        animal_tissue="serum",
        animal_origin_justification="BSE-free country of origin",
    )
    return {"donor": donor, "bank": bank, "medium": medium, "serum": serum}


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def edit_urls(world):
    return [
        reverse("dossier:donor-edit", args=[world["donor"].pk]),
        reverse("dossier:cell-bank-edit", args=[world["bank"].pk]),
        reverse("dossier:material-edit", args=[world["medium"].pk]),
    ]


def test_roles_that_may_not_edit_get_403(client, people, world):
    donor_url, bank_url, material_url = edit_urls(world)
    client.force_login(people.auditor)
    for url in (donor_url, bank_url, material_url):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"reason": "x", "name": "y"}).status_code == 403, url
    client.force_login(people.physician)
    for url in (donor_url, bank_url, material_url):
        assert client.get(url).status_code == 403, url
    # the QC analyst manages materials, not donors or banks
    client.force_login(people.analyst)
    assert client.get(donor_url).status_code == 403
    assert client.get(bank_url).status_code == 403
    assert client.get(material_url).status_code == 200
    client.force_login(people.operator)
    for url in (donor_url, bank_url, material_url):
        assert client.get(url).status_code == 200, url
    world["donor"].refresh_from_db()
    assert world["donor"].consent_on == dt.date(2024, 1, 10)
    assert not AuditEvent.objects.filter(action__endswith=".update").exists()


def test_forms_are_prefilled_and_the_code_is_not_editable(client, people, world):
    client.force_login(people.operator)
    html = client.get(reverse("dossier:donor-edit", args=[world["donor"].pk])).content.decode()
    assert 'name="consent_on" value="2024-01-10"' in html
    assert 'value="D-1"' in html and 'name="code" value="D-1"' in html and "disabled" in html
    html = client.get(reverse("dossier:cell-bank-edit", args=[world["bank"].pk])).content.decode()
    assert 'name="location" value="Tank 1"' in html and 'name="vials" value="20"' in html
    assert f'<option value="{world["donor"].pk}" selected>D-1</option>' in html
    # a bank cannot be its own parent
    parent_select = html[html.index('name="parent"') : html.index("</select>", html.index('name="parent"'))]
    assert "MCB-1" not in parent_select and "---------" in parent_select
    html = client.get(reverse("dossier:material-edit", args=[world["medium"].pk])).content.decode()
    assert 'name="catalogue_number" value="XF-1"' in html and 'value="Xeno-free medium"' in html


def test_donor_edit_saves_with_the_reason_and_returns(client, people, world):
    client.force_login(people.operator)
    back = reverse("dossier:product-detail", args=["ucmsc-sev-oa"])
    url = reverse("dossier:donor-edit", args=[world["donor"].pk]) + f"?next={back}%23lineage"
    r = client.post(url, {"code": "D-HACK", "consent_on": "2024-01-09", "reason": "date copied wrongly"})
    assert r.status_code == 302 and r["Location"] == back + "#lineage"
    world["donor"].refresh_from_db()
    assert world["donor"].code == "D-1" and world["donor"].consent_on == dt.date(2024, 1, 9)
    ev = AuditEvent.objects.get(action="donor.update")
    assert ev.reason == "date copied wrongly" and ev.actor_name == "op1"


def test_errors_are_shown_next_to_their_field(client, people, world):
    client.force_login(people.operator)
    english(client)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    r = client.post(
        reverse("dossier:donor-edit", args=[world["donor"].pk]), {"consent_on": future, "reason": "x"}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_consent_on_errors"' in html and "the date is in the future" in html
    r = client.post(reverse("dossier:donor-edit", args=[world["donor"].pk]), {"consent_on": "2024-01-09"})
    assert r.status_code == 400 and 'id="id_reason_errors"' in r.content.decode()

    bank_url = reverse("dossier:cell-bank-edit", args=[world["bank"].pk])
    data = {"kind": "WCB", "donor": world["donor"].pk, "passage": "3", "vials": "20", "status": "quarantine"}
    r = client.post(bank_url, {**data, "reason": "kind"})
    html = r.content.decode()
    assert r.status_code == 400 and 'id="id_parent_errors"' in html
    assert "a working cell bank needs a parent bank" in html

    r = client.post(
        reverse("dossier:material-edit", args=[world["medium"].pk]),
        {"name": "Xeno-free medium", "supplier": "Acme", "catalogue_number": "FBS-1", "kind": "basal_medium"},
    )
    html = r.content.decode()
    assert r.status_code == 400 and 'id="id_reason_errors"' in html
    r = client.post(
        reverse("dossier:material-edit", args=[world["medium"].pk]),
        {
            "name": "Xeno-free medium",
            "supplier": "Acme",
            "catalogue_number": "FBS-1",
            "kind": "basal_medium",
            "reason": "r",
        },
    )
    html = r.content.decode()
    assert (
        r.status_code == 400
        and 'id="id_catalogue_number_errors"' in html
        and "Acme FBS-1 already exists" in html
    )
    world["medium"].refresh_from_db()
    assert world["medium"].catalogue_number == "XF-1"
    assert not AuditEvent.objects.filter(action__endswith=".update").exists()


def test_errors_in_japanese(client, people, world):
    client.force_login(people.operator)
    r = client.post(
        reverse("dossier:cell-bank-edit", args=[world["bank"].pk]),
        {"kind": "WCB", "donor": world["donor"].pk, "passage": "3", "vials": "20", "status": "quarantine"},
    )
    html = r.content.decode()
    assert r.status_code == 400
    assert "変更の理由" in html and 'id="id_reason_errors"' in html
    assert "セルバンク MCB-1 の編集" in html


def test_received_material_shows_fixed_fields_disabled_and_keeps_them(client, people, world):
    client.force_login(people.operator)
    english(client)
    url = reverse("dossier:material-edit", args=[world["serum"].pk])
    html = client.get(url).content.decode()
    assert html.count("fixed: lots of this material were received") == 4
    r = client.post(
        url,
        {
            "name": "Fetal bovine serum",
            "supplier": "Other",
            "catalogue_number": "FBS-9",
            "kind": "reagent",
            "reason": "full name",
        },
    )
    assert r.status_code == 302
    serum = world["serum"]
    serum.refresh_from_db()
    # disabled fields keep their recorded values whatever is posted; the name is corrected
    assert (serum.name, serum.supplier, serum.catalogue_number, serum.kind, serum.used_in_culture) == (
        "Fetal bovine serum",
        "Acme",
        "FBS-1",
        "serum",
        True,
    )
    assert AuditEvent.objects.get(action="material.update").reason == "full name"


def test_cell_bank_edit_saves_and_keeps_the_trail(client, people, world):
    client.force_login(people.qa)
    r = client.post(
        reverse("dossier:cell-bank-edit", args=[world["bank"].pk]),
        {
            "kind": "MCB",
            "donor": world["donor"].pk,
            "passage": "3",
            "vials": "18",
            "location": "Tank 2",
            "status": "available",
            "reason": "characterisation complete; 2 vials used for testing",
        },
    )
    assert r.status_code == 302
    bank = world["bank"]
    bank.refresh_from_db()
    assert (bank.vials, bank.location, bank.status) == (18, "Tank 2", "available")
    ev = AuditEvent.objects.get(action="cell_bank.update")
    assert ev.reason == "characterisation complete; 2 vials used for testing"


def test_dossier_page_links_to_the_edit_pages_for_those_who_may_edit(client, people, world):
    page = reverse("dossier:product-detail", args=["ucmsc-sev-oa"])
    client.force_login(people.operator)
    html = client.get(page).content.decode()
    for url in edit_urls(world):
        assert f'href="{url}?next={page}%23' in html, url
    assert reverse("dossier:material-edit", args=[world["serum"].pk]) in html
    client.force_login(people.auditor)
    html = client.get(page).content.decode()
    assert "Xeno-free medium" in html  # the material list shows materials without lots too
    for url in edit_urls(world):
        assert url not in html, url
