"""An adverse event cannot begin before the administration it is reported against; the administration's
notes are shown on its page and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evqms.clinical import services
from evqms.clinical.models import AdverseEvent
from evqms.errors import InputError
from evqms.inventory import services as inventory
from evqms.testing import factories as f

WHEN = timezone.now() - dt.timedelta(days=1)
NOTE = "Knee aspirated first; 2 mL clear synovial fluid.\nPatient observed 30 min."


@pytest.fixture
def adm(db):
    op = f.user("on-operator", "operator")
    doc = f.user("on-physician", "physician")
    lot = f.lot("L-ON1", status="released")
    aliquots = inventory.create_aliquots(actor=op, lot=lot, count=1, volume_ml="1", particle_count="2e10")
    services.register_patient(
        actor=doc, code="P-300", clinic_identifier="chart-300", consented_on=dt.date(2024, 1, 1)
    )
    return services.record_administration(
        actor=doc,
        patient="P-300",
        aliquots=[aliquots[0].container_id],
        administered_at=WHEN,
        route="intra_articular",
        notes=NOTE,
    ), doc


@pytest.mark.parametrize("before", [dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(hours=23)])
def test_onset_before_the_administration_is_refused_on_the_onset(adm, before):
    administration, doc = adm
    with pytest.raises(InputError) as e:
        services.record_adverse_event(
            actor=doc,
            patient="P-300",
            administration=administration.number,
            onset=WHEN - before,
            description="Knee pain",
            ctcae_grade=1,
            causality="unlikely",
        )
    assert e.value.where == "onset"
    assert AdverseEvent.objects.count() == 0


def test_onset_at_the_administration_is_accepted(adm):
    administration, doc = adm
    ae = services.record_adverse_event(
        actor=doc,
        patient="P-300",
        administration=administration.number,
        onset=WHEN,
        description="Injection-site pain",
        ctcae_grade=1,
        causality="possible",
    )
    assert ae.onset == WHEN


def test_notes_on_the_page_and_in_the_api(adm, client):
    administration, doc = adm
    assert (
        client.post("/accounts/login/", {"username": doc.username, "password": doc.raw_password}).status_code
        == 302
    )
    page = client.get(reverse("clinical:administration-detail", args=[administration.number]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Knee aspirated first; 2 mL clear synovial fluid.<br>Patient observed 30 min." in html
    api = client.get(f"/api/v1/clinical/administrations/{administration.number}/")
    assert api.status_code == 200
    assert api.json()["notes"] == NOTE


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_form_shows_an_onset_before_the_administration_on_the_onset(adm, client, lang):
    """The page puts the refusal next to the onset the physician typed, in the page's language."""
    from django.conf import settings

    administration, doc = adm
    client.force_login(doc)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    before = timezone.localtime(WHEN - dt.timedelta(hours=2))
    response = client.post(
        reverse("clinical:adverse-event-create"),
        {
            "patient": "P-300",
            "administration": administration.number,
            "onset": before.strftime("%Y-%m-%dT%H:%M"),
            "description": "Knee pain",
            "ctcae_grade": "1",
            "causality": "unlikely",
            "outcome": "unknown",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["onset"]
    expected = "投与" if lang == "ja" else "is before the administration"
    assert expected in form.errors["onset"][0]
    assert AdverseEvent.objects.count() == 0
