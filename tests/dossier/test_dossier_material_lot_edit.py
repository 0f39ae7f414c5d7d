"""Correcting a received material lot: expiry, certificate of analysis, animal-origin justification.
Identity and origin stay as received; every correction carries its reason into the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.dossier import models as m
from evqms.dossier import services
from evqms.errors import EditConflict, InputError, PermissionDenied

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def serum(people):
    fbs = services.create_material(
        actor=people.operator, name="FBS", supplier="Acme", catalogue_number="FBS-1", kind="serum"
    )
    return services.receive_material_lot(
        actor=people.operator,
        material=fbs,
        lot_number="FBS-23-11",
        grade="research",
        received_on=TODAY() - dt.timedelta(days=2),
        expiry=TODAY() + dt.timedelta(days=200),
        animal_species="bovine",
        animal_tissue="serum",
        animal_origin_justification="BSE-free origin",
    )


def _document(people, kind, code):
    return services.upload_document(
        actor=people.qa, code=code, title=code, kind=kind, content=code.encode(), original_name=f"{code}.pdf"
    )


def test_attach_the_certificate_and_correct_the_expiry_with_a_reason(people, serum):
    coa = _document(people, "coa", "COA-FBS-23-11")
    new_expiry = TODAY() + dt.timedelta(days=300)
    services.update_material_lot(
        actor=people.operator, lot=serum, coa_document=coa, expiry=new_expiry, reason="CoA arrived"
    )
    lot = m.MaterialLot.objects.get(pk=serum.pk)
    assert lot.coa_document == coa and lot.expiry == new_expiry
    (event,) = AuditEvent.objects.filter(action="material_lot.update")
    before, after = json.loads(event.before), json.loads(event.after)
    assert before["coa_document"] is None and after["coa_document"] == str(coa)
    assert event.reason == "CoA arrived"


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"expiry": "before-receipt"}, "expiry"),
        ({"coa_document": "sop"}, "coa_document"),
        ({"animal_origin_justification": "  "}, "animal_origin_justification"),
        ({"animal_species": ""}, "material_lot"),  # origin stays as received
    ],
)
def test_bad_corrections_name_the_field_and_write_nothing(people, serum, changes, field):
    if changes.get("expiry") == "before-receipt":
        changes = {"expiry": serum.received_on - dt.timedelta(days=1)}
    if changes.get("coa_document") == "sop":
        changes = {"coa_document": _document(people, "sop", "SOP-X")}
    with pytest.raises(InputError) as exc:
        services.update_material_lot(actor=people.operator, lot=serum, reason="fix", **changes)
    assert exc.value.where == field
    assert not AuditEvent.objects.filter(action="material_lot.update").exists()
    assert m.MaterialLot.objects.get(pk=serum.pk).animal_species == "bovine"


def test_reason_role_and_stale_form(people, serum):
    with pytest.raises(InputError) as exc:
        services.update_material_lot(actor=people.operator, lot=serum, reason=" ", expiry=TODAY())
    assert exc.value.where == "reason"
    with pytest.raises(PermissionDenied):
        services.update_material_lot(actor=people.physician, lot=serum, reason="x", expiry=TODAY())
    from evqms.core.concurrency import fingerprint
    from evqms.dossier import records

    stale = fingerprint(records.material_lot_record(serum))
    services.update_material_lot(actor=people.operator, lot=serum, reason="typo", expiry=TODAY())
    with pytest.raises(EditConflict):
        services.update_material_lot(
            actor=people.qa, lot=serum, reason="other", seen=stale, animal_origin_justification="EDQM CEP"
        )
    assert m.MaterialLot.objects.get(pk=serum.pk).animal_origin_justification == "BSE-free origin"


def test_edit_page_from_the_dossier(client, people, product, serum):
    coa = _document(people, "coa", "COA-FBS-23-11")
    client.force_login(people.operator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    dossier = client.get(reverse("dossier:product-detail", args=[product.code])).content.decode()
    url = reverse("dossier:material-lot-edit", args=[serum.pk])
    assert f'id="edit-material-lot-{serum.pk}"' in dossier and url in dossier
    seen = re.search(r'name="seen" value="([0-9a-f]{64})"', client.get(url).content.decode()).group(1)
    data = {"expiry": serum.expiry.isoformat(), "coa_document": coa.pk, "seen": seen}
    r = client.post(url, {**data, "animal_origin_justification": "BSE-free origin"})
    assert r.status_code == 400 and 'id="id_reason_errors"' in r.content.decode()
    r = client.post(url, {**data, "animal_origin_justification": "BSE-free origin", "reason": "CoA arrived"})
    assert r.status_code == 302
    assert m.MaterialLot.objects.get(pk=serum.pk).coa_document == coa
    client.force_login(people.physician)
    assert client.get(url).status_code == 403
