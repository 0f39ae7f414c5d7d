"""The QMS-document and comparability sections of a product's compliance page (test client):
linking a document to a QMS element, recording and signing a comparability record, their audit
events and their effect on JSRM-2-R1 / JSRM-2-R2; bad input, a wrong password and a missing role
write nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evqms.audit.models import AuditEvent, Signature
from evqms.compliance import services
from evqms.compliance.models import ComparabilityRecord, QMSElementDocument

pytestmark = pytest.mark.django_db

CODE = "ucmsc-sev-oa"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


def client_for(client, user, lang="en"):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    return client


def document(world, code="SOP-EV-001", title="Aseptic processing of EV preparations", approve=True):
    from evqms.dossier import services as dossier

    doc = dossier.upload_document(
        actor=world.operator,
        code=code,
        kind="sop",
        title=title,
        content=f"{code} {title}\n".encode(),
        original_name=f"{code}.txt",
    )
    if approve:
        doc = dossier.approve_document(
            request=world.request, actor=world.qa, document=doc, password=world.qa.raw_password
        )
    return doc


def finding(world, item_id):
    """(status of the check that reads these records, reasons in English, evidence) of an item now."""
    _snapshot, [assessment] = services.evaluate(world.product)
    f = next(f for f in assessment.findings if f.item.id == item_id)
    checks = {c["name"]: c["status"] for c in f.checks}
    name = "qms_documents_current" if item_id == "JSRM-2-R1" else "process_change_comparability"
    return checks[name], [r["en"] for r in f.reasons], f.evidence


def counts():
    return (
        QMSElementDocument.objects.count(),
        ComparabilityRecord.objects.count(),
        Signature.objects.count(),
        AuditEvent.objects.count(),
    )


# --- QMS documents ------------------------------------------------------------------------------


def test_link_writes_the_audit_event_and_meets_the_aseptic_element(world, client):
    world.released_lot()
    doc = document(world)
    status_before, reasons_before, evidence_before = finding(world, "JSRM-2-R1")
    assert status_before == "not_met"
    assert "No approved document for aseptic processing SOP." in reasons_before
    assert "document SOP-EV-001 v1" not in evidence_before

    c = client_for(client, world.qa)
    response = c.post(
        reverse("compliance:qms-link", args=[CODE]),
        {"qms-element": "aseptic_processing", "qms-document": doc.pk, "qms-review_due": "2099-01-31"},
        follow=True,
    )
    assert response.status_code == 200
    link = QMSElementDocument.objects.get()
    assert (link.element, link.document, str(link.review_due), link.linked_by) == (
        "aseptic_processing",
        doc,
        "2099-01-31",
        world.qa,
    )
    event = AuditEvent.objects.get(action="qms_document.link")
    assert event.actor == world.qa and event.object_id == str(link.pk)
    html = response.content.decode()
    assert "SOP-EV-001 v1 linked to Aseptic processing SOP" in html
    assert 'id="qms-aseptic_processing-SOP-EV-001-v1"' in html and "2099-01-31" in html

    status_after, reasons_after, evidence_after = finding(world, "JSRM-2-R1")
    assert status_after == "met"
    assert reasons_after[0] == "Every required QMS element (1) has a current approved document."
    assert "No approved document for aseptic processing SOP." not in reasons_after
    assert "document SOP-EV-001 v1" in evidence_after


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"qms-element": "", "qms-document": "DOC"}, "element", "This field is required."),
        ({"qms-element": "cleaning", "qms-document": "DOC"}, "element", "Select a valid choice."),
        ({"qms-element": "training", "qms-document": ""}, "document", "This field is required."),
        ({"qms-element": "training", "qms-document": "DRAFT"}, "document", "Select a valid choice."),
        (
            {"qms-element": "training", "qms-document": "DOC", "qms-review_due": "31/01/2099"},
            "review_due",
            "Enter a valid date.",
        ),
    ],
)
def test_bad_link_input_names_the_field_and_writes_nothing(world, client, data, field, message):
    doc = document(world)
    draft = document(world, code="SOP-TR-001", title="Training", approve=False)
    data = {k: {"DOC": doc.pk, "DRAFT": draft.pk}.get(v, v) for k, v in data.items()}
    before = counts()
    response = client_for(client, world.qa).post(reverse("compliance:qms-link", args=[CODE]), data)
    assert response.status_code == 400
    errors = response.context["qms_form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert f'<label for="id_qms-{field}">' in response.content.decode()
    assert counts() == before


def test_linking_the_same_document_twice_is_refused_on_the_document_field(world, client):
    doc = document(world)
    c = client_for(client, world.qa)
    url = reverse("compliance:qms-link", args=[CODE])
    data = {"qms-element": "sop", "qms-document": doc.pk}
    assert c.post(url, data).status_code == 302
    before = counts()
    response = c.post(url, data)
    assert response.status_code == 400
    assert response.context["qms_form"].errors["document"] == [
        "this document is already linked to that element"
    ]
    assert counts() == before


# --- comparability -------------------------------------------------------------------------------


@pytest.fixture
def changed(world):
    """Process v2 after v1 (the xeno-free change), with an approved comparability report."""
    from evqms.testing import factories as f

    v2 = f.process(world.product, version=2)
    report = document(world, code="RPT-CMP-001", title="Comparability of process v1 and v2")
    return v2, report


def test_comparability_signed_audited_and_meets_the_process_change_check(world, client, changed):
    v2, report = changed
    status, reasons, _evidence = finding(world, "JSRM-2-R2")
    assert status == "not_met"
    assert "Process version 2 changed from 1 without an approved comparability record." in reasons

    c = client_for(client, world.qa)
    page = c.get(reverse("compliance:product", args=[CODE])).content.decode()
    assert 'id="comparability-v2"' in page and "No approved comparability record" in page
    response = c.post(
        reverse("compliance:comparability-approve", args=[CODE]),
        {
            "cmp-process": v2.pk,
            "cmp-summary": "  Size, markers and relative potency of v2 lots within the v1 range.  ",
            "cmp-document": report.pk,
            "cmp-password": world.qa.raw_password,
        },
        follow=True,
    )
    assert response.status_code == 200
    record = ComparabilityRecord.objects.get()
    assert record.process == v2 and record.document == report
    assert record.summary == "Size, markers and relative potency of v2 lots within the v1 range."
    signature = record.approval_signature
    assert (signature.signer, signature.meaning, signature.object_type, signature.object_id) == (
        world.qa,
        "approval",
        "process",
        str(v2.pk),
    )
    event = AuditEvent.objects.get(action="comparability.approve")
    assert event.object_id == str(record.pk) and event.actor == world.qa
    html = response.content.decode()
    assert "Comparability of process version 2 approved and signed." in html
    assert f"CMP-{record.pk}" in html and "RPT-CMP-001 v1" in html
    assert 'id="open-comparability"' not in html  # nothing left to approve

    status, reasons, evidence = finding(world, "JSRM-2-R2")
    assert status == "met"
    assert "Every process change has an approved comparability record before release." in reasons
    assert "comparability record RPT-CMP-001 v1" in evidence
    assert not any("without an approved comparability record" in r for r in reasons)


def test_wrong_password_is_refused_on_the_password_field_and_writes_nothing(world, client, changed):
    v2, _report = changed
    before = counts()
    response = client_for(client, world.qa).post(
        reverse("compliance:comparability-approve", args=[CODE]),
        {"cmp-process": v2.pk, "cmp-summary": "Comparable.", "cmp-password": "not-the-password"},
    )
    assert response.status_code == 400
    assert response.context["cmp_form"].errors["password"] == [
        "The password is wrong or the account is locked: not signed."
    ]
    assert response.context["dialog"] == "comparability"  # the signing dialog opens again
    assert counts() == before


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"cmp-summary": "   "}, "summary", "the summary is required"),
        ({"cmp-summary": ""}, "summary", "This field is required."),
        ({"cmp-process": "V1"}, "process", "Select a valid choice."),
        ({"cmp-password": ""}, "password", "This field is required."),
        ({"cmp-document": "999999"}, "document", "Select a valid choice."),
    ],
)
def test_bad_comparability_input_names_the_field_and_writes_nothing(
    world, client, changed, data, field, message
):
    v2, _report = changed
    form = {"cmp-process": v2.pk, "cmp-summary": "Comparable.", "cmp-password": world.qa.raw_password}
    form.update({k: world.process.pk if v == "V1" else v for k, v in data.items()})
    before = counts()
    response = client_for(client, world.qa).post(
        reverse("compliance:comparability-approve", args=[CODE]), form
    )
    assert response.status_code == 400
    errors = response.context["cmp_form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert counts() == before


@pytest.mark.parametrize("who", ["physician", "operator"])
def test_only_qa_may_link_or_approve(world, client, changed, who):
    v2, report = changed
    user = getattr(world, who)
    before = counts()
    c = client_for(client, user)
    link = c.post(
        reverse("compliance:qms-link", args=[CODE]),
        {"qms-element": "change_control", "qms-document": report.pk},
    )
    approve = c.post(
        reverse("compliance:comparability-approve", args=[CODE]),
        {"cmp-process": v2.pk, "cmp-summary": "Comparable.", "cmp-password": user.raw_password},
    )
    assert (link.status_code, approve.status_code) == (403, 403)
    assert counts() == before
    page = c.get(reverse("compliance:product", args=[CODE])).content.decode()
    assert 'id="qms-documents"' in page and 'id="comparability-v2"' in page  # may read
    assert 'id="qms-link-form"' not in page and 'id="comparability-dialog"' not in page


def test_sections_in_japanese(world, client, changed):
    v2, report = changed
    services.link_qms_document(actor=world.qa, element="change_control", document=report)
    html = client_for(client, world.qa, lang="ja").get(reverse("compliance:product", args=[CODE]))
    html = html.content.decode()
    for text in ("QMS文書", "工程変更後の同等性", "同等性評価記録の記録と承認…", "変更管理"):
        assert text in html, text


def test_documents_count_from_the_local_day_they_were_approved(world):
    """At 03:00 in Tokyo (18:00 UTC the day before) the assessment's date is Tokyo's, so a document
    approved that morning is already effective (the UTC date would leave it out until 09:00)."""
    import datetime as dt

    from django.utils import timezone

    doc = document(world)
    services.link_qms_document(actor=world.qa, element="aseptic_processing", document=doc)
    now = dt.datetime(2030, 1, 1, 18, 0, tzinfo=dt.UTC)
    doc.__class__.objects.filter(pk=doc.pk).update(uploaded_at=now - dt.timedelta(minutes=5))
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"
    _snapshot, [assessment] = services.evaluate(world.product, now=now)
    assert assessment.as_of == dt.date(2030, 1, 2)
    f = next(f for f in assessment.findings if f.item.id == "JSRM-2-R1")
    assert {c["name"]: c["status"] for c in f.checks}["qms_documents_current"] == "met"
