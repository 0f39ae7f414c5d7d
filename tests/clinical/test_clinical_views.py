"""Clinical pages: a service's refusal is shown where the user looks (an InputError on its field, a
rule above the form, a refusal of the investigation page as a message), a success redirects with
the new record's number, and a role without the write permission gets 403 before any service runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from evqms.clinical.models import Administration, Patient, RetainedSampleTest
from evqms.testing import factories as f

WHEN = timezone.localtime(timezone.now() - dt.timedelta(days=1))


def _flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def physician(world, client):
    _op, doc, _lot, _aliquots, _patient = world
    client.force_login(doc)
    client.cookies["django_language"] = "en"
    return client


def test_registering_a_patient_twice_is_refused_on_the_clinic_identifier(physician):
    url = reverse("clinical:patient-list")
    response = physician.post(url, {"code": "P-200", "clinic_identifier": "chart-200"})
    assert response.status_code == 302 and response.url == url
    assert _flashed(response) == ["Patient registered."]
    response = physician.post(url, {"code": "P-201", "clinic_identifier": " CHART-200 "})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["clinic_identifier"]
    assert "already registered as P-200" in response.context["form"].errors["clinic_identifier"][0]
    assert Patient.objects.filter(code="P-201").count() == 0


def test_an_administration_is_refused_on_its_field_or_above_the_form_and_recorded(world, physician):
    _op, _doc, lot, aliquots, _patient = world
    url = reverse("clinical:administration-create")
    data = {
        "patient": "P-100",
        "aliquots": "NOPE-A001",
        "administered_at": WHEN.strftime("%Y-%m-%dT%H:%M"),
        "route": "intra_articular",
        "dose_unit": "particles",
        "protein_unit": "ug",
    }
    form = physician.post(url, data).context["form"]
    assert form.errors == {"aliquots": ["unknown aliquot NOPE-A001"]}
    lot.status = "qc"
    lot.save(update_fields=["status"])
    form = physician.post(url, {**data, "aliquots": aliquots[0].container_id}).context["form"]
    assert list(form.errors) == ["__all__"] and "is not released" in form.non_field_errors()[0]
    lot.status = "released"
    lot.save(update_fields=["status"])
    response = physician.post(url, {**data, "aliquots": aliquots[0].container_id})
    adm = Administration.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("clinical:administration-detail", args=[adm.number])
    assert _flashed(response) == [f"Administration {adm.number} recorded."]


def test_the_investigation_page_saves_and_flashes_a_refusal(world, physician, reported):
    op, _doc, _lot, aliquots, _patient = world
    ae = reported
    url = reverse("clinical:adverse-event-detail", args=[ae.number])
    response = physician.post(
        url,
        {"action": "investigate", "investigation": "LAL", "outcome": "recovered", "causality": "unlikely"},
    )
    assert response.status_code == 302 and response.url == url
    assert _flashed(response) == ["Saved."]
    physician.get(url)  # shows, and so clears, the message
    ae.refresh_from_db()
    assert (ae.investigation, ae.outcome, ae.causality) == ("LAL", "recovered", "unlikely")
    test = {"test": "Endotoxin", "result": "<0.05 EU/mL", "tested_on": "2026-01-05", "conclusion": ""}
    response = physician.post(url, {**test, "retention_sample": "999999"})
    assert response.status_code == 200 and _flashed(response) == [
        "retention_sample: unknown retention sample"
    ]
    other = f.lot("L-ELSEWHERE", status="released")
    from evqms.inventory import services as inventory

    (elsewhere,) = inventory.create_aliquots(actor=op, lot=other, count=1, volume_ml="1")
    unrelated = inventory.record_retention_sample(actor=op, aliquot=elsewhere)
    response = physician.post(url, {**test, "retention_sample": str(unrelated.pk)})
    assert response.status_code == 200
    assert _flashed(response) == [
        "retention_sample: this retention sample is not of the administered lot or its materials"
    ]
    kept = inventory.record_retention_sample(actor=op, aliquot=aliquots[3])
    response = physician.post(url, {**test, "retention_sample": str(kept.pk)})
    assert response.status_code == 302 and RetainedSampleTest.objects.get().retention_sample == kept


def test_a_role_without_the_write_permission_is_refused_before_the_service(world, client):
    client.force_login(f.user("cl-auditor", "auditor"))
    assert client.get(reverse("clinical:patient-list")).status_code == 200
    assert (
        client.post(reverse("clinical:patient-list"), {"code": "P-9", "clinic_identifier": "x"}).status_code
        == 403
    )
    assert client.get(reverse("clinical:administration-create")).status_code == 403
    assert client.get(reverse("clinical:adverse-event-create")).status_code == 403
    assert not Patient.objects.filter(code="P-9").exists()
