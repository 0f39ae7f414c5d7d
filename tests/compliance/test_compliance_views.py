"""Compliance pages through the test client: listing, assessing, the page, the report in both
languages (PDF text), the risk register with its approval dialog, and attestations."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from evqms.compliance.models import Assessment, Attestation, RiskRegister

pytestmark = pytest.mark.django_db


def client_for(client, user, lang="en"):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    return client


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_index_assess_and_product_page(world, client):
    world.released_lot()
    c = client_for(client, world.qa)
    page = c.get(reverse("compliance:index"))
    assert (
        page.status_code == 200
        and "ucmsc-sev-oa" in page.content.decode()
        and "not assessed yet" in page.content.decode()
    )
    response = c.post(
        reverse("compliance:assess", args=["ucmsc-sev-oa"]), {"ruleset": "jsrm-2024"}, follow=True
    )
    html = response.content.decode()
    stored = Assessment.objects.get()
    assert stored.assessed_by == world.qa
    assert f"score {stored.score:.1f}" in html
    assert 'id="item-JSRM-1-R1"' in html and "No risk register is recorded." in html
    assert "Start a risk register from the starter hazard list" in html  # what to do next
    assert reverse("lots:lot-detail", args=["UCEV-T-001"]) in html  # evidence links to the lot page
    assert "This is the first assessment" in html
    # Second run after approving a register: the change is shown.
    world.register()
    html = c.post(
        reverse("compliance:assess", args=["ucmsc-sev-oa"]), {"ruleset": "jsrm-2024"}, follow=True
    ).content.decode()
    assert 'href="#item-JSRM-1-R1"' in html
    assert "risk_register" in html and "added" in html


def test_operator_may_read_but_not_assess(world, client):
    c = client_for(client, world.operator)
    assert c.get(reverse("compliance:product", args=["ucmsc-sev-oa"])).status_code == 200
    assert c.post(reverse("compliance:assess", args=["ucmsc-sev-oa"])).status_code == 403
    assert Assessment.objects.count() == 0


def test_unknown_ruleset_from_the_page_stores_nothing(world, client):
    c = client_for(client, world.qa)
    html = c.post(
        reverse("compliance:assess", args=["ucmsc-sev-oa"]), {"ruleset": "jsrm-2099"}, follow=True
    ).content.decode()
    assert "Not assessed" in html and "jsrm-2099" in html
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize(
    "lang,expected",
    [
        (
            "en",
            [
                "Compliance report",
                "JSRM-1-R1",
                "not met",
                "Responsible physician",
                "Dr1",
                "database: product ucmsc-sev-oa",
            ],
        ),
        ("ja", ["適合性評価報告書", "JSRM-1-R1", "不適合", "責任医師", "リスク登録簿"]),
    ],
)
def test_report_pdf_text_in_both_languages(world, client, lang, expected):
    from evqms.compliance import services

    world.released_lot()
    services.run_assessment(actor=world.qa, product=world.product)
    c = client_for(client, world.qa)
    response = c.get(reverse("compliance:report", args=["ucmsc-sev-oa", "pdf"]) + f"?lang={lang}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for phrase in expected:
        assert phrase in text, phrase
    stored = Assessment.objects.get()
    assert stored.snapshot_sha256[:16] in text.replace("\n", "")
    assert c.get(reverse("compliance:report", args=["ucmsc-sev-oa", "docx"])).status_code == 404


def test_register_pages_and_approval_dialog(world, client):
    c = client_for(client, world.qa)
    url = reverse("compliance:register", args=["ucmsc-sev-oa"])
    assert "No risk register yet." in c.get(url).content.decode()
    c.post(reverse("compliance:register-create", args=["ucmsc-sev-oa"]), {"starter": "1"})
    register = RiskRegister.objects.get()
    assert register.items.count() == 20
    response = c.post(
        reverse("compliance:item-add", args=["ucmsc-sev-oa"]),
        {
            "stage": "culture",
            "hazard": "Incubator CO2 failure",
            "severity": "4",
            "occurrence": "2",
            "detectability": "2",
            "status": "open",
            "control_parameters": [world.param("Culture time").pk],
        },
    )
    assert response.status_code == 302
    item = register.items.get(hazard="Incubator CO2 failure")
    assert (item.rpn, item.code) == (16, "R-21")
    assert "Incubator CO2 failure" in c.get(url).content.decode()
    # Wrong password: the dialog comes back open with the message; nothing approved.
    response = c.post(
        reverse("compliance:register-approve", args=["ucmsc-sev-oa"]), {"approve-password": "nope"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "The password is wrong" in html and 'data-open-dialog="approve-dialog"' in html
    )  # reopened by web/behaviours.js (CSP: no inline script)
    assert RiskRegister.objects.get().status == "draft"
    response = c.post(
        reverse("compliance:register-approve", args=["ucmsc-sev-oa"]),
        {"approve-password": world.qa.raw_password, "approve-reason": "initial"},
    )
    assert response.status_code == 302 and RiskRegister.objects.get().status == "approved"
    assert "Qa1" in c.get(url).content.decode()


def test_attestation_dialog(world, client):
    world.register()
    c = client_for(client, world.physician)
    page = c.get(reverse("compliance:product", args=["ucmsc-sev-oa"])).content.decode()
    assert 'id="attest-dialog"' in page and "risk_register:RR-ucmsc-sev-oa" in page
    data = {
        "ruleset": "jsrm-2024",
        "item_id": "JSRM-1-SC",
        "role": "responsible_physician",
        "statement": "Reviewed.",
        "cites": ["risk_register:RR-ucmsc-sev-oa"],
        "password": "wrong",
    }
    response = c.post(reverse("compliance:attest", args=["ucmsc-sev-oa"]), data)
    assert response.status_code == 400 and Attestation.objects.count() == 0
    data["password"] = world.physician.raw_password
    response = c.post(reverse("compliance:attest", args=["ucmsc-sev-oa"]), data)
    assert response.status_code == 302
    assert Attestation.objects.get().cites == ["risk_register:RR-ucmsc-sev-oa"]
    # QA cannot sign as the responsible physician.
    c = client_for(client, world.qa)
    data["password"] = world.qa.raw_password
    response = c.post(reverse("compliance:attest", args=["ucmsc-sev-oa"]), data)
    assert response.status_code == 400 and "responsible physician" in response.content.decode()
    assert Attestation.objects.count() == 1
