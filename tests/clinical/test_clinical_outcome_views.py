"""Outcome and safety pages: each wrong path is refused with its message on the field, each success
redirects and is shown, in English and Japanese, and a role without the permission gets 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evqms.clinical import services
from evqms.clinical.models import Evaluation, FollowUpVisit, SafetyReport

GIVEN = timezone.localtime(timezone.now() - dt.timedelta(days=40)).replace(second=0, microsecond=0)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def setup(world, client):
    _op, doc, lot, aliquots, _p = world
    adm = services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id],
        administered_at=GIVEN,
        route="intra_articular",
    )
    client.force_login(doc)
    client.cookies["django_language"] = "en"
    return client, doc, lot, adm


def test_enable_record_baseline_follow_up_and_missed(setup):
    client, doc, lot, adm = setup
    url = reverse("clinical:instrument-uses")
    page = client.get(url).content.decode()
    assert "Numeric pain rating scale" in page and "Site licence needed" in page
    data = {
        "product": lot.product.code,
        "instrument": "nrs-pain",
        "follow_up_months": "1, 3",
        "window_days": "14",
    }
    assert client.post(url, data).status_code == 302
    form = client.post(url, {**data, "instrument": "koos"}).context["form"]
    assert "licence_reference" in form.errors
    use = lot.product.instrument_uses.get()
    detail = client.get(reverse("clinical:administration-detail", args=[adm.number])).content.decode()
    assert reverse("clinical:baseline-create", args=[adm.number, use.pk]) in detail
    base_url = reverse("clinical:baseline-create", args=[adm.number, use.pk])
    # After the administration: refused on the time field; off the scale: refused on the item.
    form = client.post(
        base_url, {"evaluated_at": _local(GIVEN + dt.timedelta(hours=1)), "item_pain": "7"}
    ).context["form"]
    assert "before the administration" in form.errors["evaluated_at"][0]
    form = client.post(
        base_url, {"evaluated_at": _local(GIVEN - dt.timedelta(hours=1)), "item_pain": "11"}
    ).context["form"]
    assert form.errors["item_pain"] == ["11 is outside the scale 0 to 10"]
    assert not Evaluation.objects.exists()
    response = client.post(
        base_url, {"evaluated_at": _local(GIVEN - dt.timedelta(hours=1)), "item_pain": "7"}
    )
    assert response.status_code == 302
    m1, m3 = FollowUpVisit.objects.order_by("month")
    detail = client.get(reverse("clinical:administration-detail", args=[adm.number])).content.decode()
    assert m1.due_on.isoformat() in detail and m3.due_on.isoformat() in detail
    visit_url = reverse("clinical:visit-detail", args=[m1.pk])
    evaluated = _local(GIVEN + dt.timedelta(days=30))
    assert (
        client.post(
            visit_url, {"action": "evaluate", "fu-evaluated_at": evaluated, "fu-item_pain": "3"}
        ).status_code
        == 302
    )
    m1.refresh_from_db()
    assert m1.status == "done" and m1.evaluation.score == 3
    # A follow-up for a visit already done: the page says so.
    response = client.post(
        visit_url, {"action": "evaluate", "fu-evaluated_at": evaluated, "fu-item_pain": "2"}
    )
    assert "is already done" in str(response.context["follow_form"].non_field_errors())
    form = client.post(
        reverse("clinical:visit-detail", args=[m3.pk]), {"action": "missed", "mv-reason": ""}
    ).context["missed_form"]
    assert "reason" in form.errors
    client.post(
        reverse("clinical:visit-detail", args=[m3.pk]), {"action": "missed", "mv-reason": "Declined by phone"}
    )
    m3.refresh_from_db()
    assert m3.status == "missed"
    listing = client.get(reverse("clinical:visit-list")).content.decode()
    assert "Declined by phone" in listing
    client.cookies["django_language"] = "ja"
    page = client.get(reverse("clinical:visit-detail", args=[m3.pk])).content.decode()
    assert "数値評価スケール" in page


def test_serious_event_report_and_signed_submission(setup):
    client, doc, _lot, adm = setup
    learnt = timezone.localdate() - dt.timedelta(days=20)
    response = client.post(
        reverse("clinical:adverse-event-create"),
        {
            "patient": "P-100",
            "administration": adm.number,
            "onset": _local(GIVEN + dt.timedelta(days=2)),
            "description": "Septic arthritis",
            "ctcae_term": "Joint infection",
            "ctcae_grade": "3",
            "seriousness_criteria": ["hospitalisation"],
            "learned_on": learnt.isoformat(),
            "expectedness": "unexpected",
            "causality": "possible",
            "outcome": "recovering",
        },
    )
    assert response.status_code == 302
    report = SafetyReport.objects.get()
    page = client.get(response.url).content.decode()
    # Hand-computed: learnt 20 days ago, due 15 days after: 5 days overdue.
    assert report.due_on.isoformat() in page and "Overdue: 5 days past due" in page
    url = reverse("clinical:safety-report-detail", args=[report.number])
    data = {
        "submitted_on": timezone.localdate().isoformat(),
        "submitted_to": "Certified committee",
        "password": "",
    }
    form = client.post(url, data).context["form"]
    assert form.errors["password"] == ["enter your password to sign"]
    form = client.post(url, {**data, "password": doc.raw_password}).context["form"]
    assert "say why it is late" in form.errors["late_reason"][0]
    response = client.post(
        url, {**data, "password": doc.raw_password, "late_reason": "Awaiting the culture result"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Submitted late" in page and "Cl-Physician" in page
    client.cookies["django_language"] = "ja"
    assert client.get(reverse("clinical:safety-report-list")).status_code == 200


def test_other_roles_cannot_write(setup, make_user):
    client, _doc, lot, adm = setup
    client.force_login(make_user("cl-auditor", "auditor"))
    assert client.get(reverse("clinical:instrument-uses")).status_code == 200
    assert client.post(reverse("clinical:instrument-uses"), {"product": lot.product.code}).status_code == 403
    report_url = reverse("clinical:safety-report-detail", args=["SR-99999"])
    assert client.get(report_url).status_code == 404


def test_stop_using_an_instrument_needs_a_reason(setup):
    client, doc, lot, _adm = setup
    use = services.enable_instrument(actor=doc, product=lot.product, instrument="vas-pain")
    url = reverse("clinical:instrument-uses")
    response = client.post(url, {"action": "disable", "use": str(use.pk), "reason": ""}, follow=True)
    assert "a reason is required" in response.content.decode()
    use.refresh_from_db()
    assert use.active is True
    client.post(url, {"action": "disable", "use": str(use.pk), "reason": "Replaced by the NRS"})
    use.refresh_from_db()
    assert use.active is False and use.disabled_by == doc
    assert client.post(url, {"action": "disable", "use": "99999999999999999999"}).status_code == 404
