"""An attestation cites lots by typing their numbers: the compliance page no longer writes a
checkbox per lot (10,000 of them at 10,000 lots); the other records keep their boxes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from test_compliance_views import client_for

from evqms.compliance.models import Attestation
from evqms.compliance.snapshot import citable_records

pytestmark = pytest.mark.django_db

URL = reverse("compliance:product", args=["ucmsc-sev-oa"])
ATTEST = reverse("compliance:attest", args=["ucmsc-sev-oa"])


def _data(world, **extra):
    return {
        "ruleset": "jsrm-2024",
        "item_id": "JSRM-1-SC",
        "role": "responsible_physician",
        "statement": "Reviewed.",
        "cites": ["risk_register:RR-ucmsc-sev-oa"],
        "password": world.physician.raw_password,
        **extra,
    }


@pytest.mark.parametrize("lang,label", [("en", "lots cited"), ("ja", "引用するロット")])
def test_the_page_offers_no_box_per_lot(world, client, lang, label):
    world.register()
    world.released_lot("UCEV-T-001")
    world.released_lot("UCEV-T-002")
    page = client_for(client, world.physician, lang).get(URL).content.decode()
    assert 'value="risk_register:RR-ucmsc-sev-oa"' in page  # the other records keep their boxes
    assert 'value="lot:' not in page
    assert 'name="cited_lots"' in page and label in page
    assert "lot:UCEV-T-001" in citable_records(world.product)  # still citable
    assert "lot:UCEV-T-001" not in citable_records(world.product, lots=False)


def test_typed_lots_are_cited(world, client):
    world.register()
    world.released_lot("UCEV-T-001")
    world.released_lot("UCEV-T-002")
    c = client_for(client, world.physician)
    typed = "UCEV-T-002, UCEV-T-001\nUCEV-T-002"
    response = c.post(ATTEST, _data(world, cited_lots=typed))
    assert response.status_code == 302
    assert Attestation.objects.get().cites == [
        "lot:UCEV-T-001",
        "lot:UCEV-T-002",
        "risk_register:RR-ucmsc-sev-oa",
    ]


def test_a_lot_of_no_such_number_is_refused_by_name(world, client):
    world.register()
    world.released_lot("UCEV-T-001")
    c = client_for(client, world.physician)
    response = c.post(ATTEST, _data(world, cited_lots="UCEV-T-001 UCEV-NOPE"))
    assert response.status_code == 400 and Attestation.objects.count() == 0
    page = response.content.decode()
    assert "lot:UCEV-NOPE" in page
    assert "UCEV-T-001 UCEV-NOPE</textarea>" in page  # what was typed stays for correcting
    assert 'value="lot:' not in page
