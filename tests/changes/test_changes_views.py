"""The change-control pages: a change proposed, approved, implemented and closed in the browser's
requests, each step offered only to who may do it, refusals shown on the form, both languages."""

from __future__ import annotations

import pytest

from evqms.changes import services
from evqms.changes.models import ChangeRequest

pytestmark = pytest.mark.django_db


def _login(client, user, lang="en"):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    return client


def test_propose_then_approve_on_the_page(client, people, product):
    _login(client, people.operator)
    page = client.get("/changes/new/")
    assert page.status_code == 200 and "Propose a change" in page.content.decode()
    refused = client.post(
        "/changes/new/",
        {"kind": "process", "title": "New medium", "description": "why", "quality_impact": "on"},
    )
    assert refused.status_code == 400
    assert "a change that may affect quality needs a comparability plan" in refused.content.decode()
    assert not ChangeRequest.objects.exists()
    done = client.post(
        "/changes/new/",
        {
            "kind": "process",
            "title": "New medium",
            "description": "why",
            "product_code": product.code,
            "impact_assessment": "validation of three lots",
            "quality_impact": "on",
            "comparability_plan": "compare three lots",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/changes/CC-00001/"
    detail = client.get("/changes/CC-00001/").content.decode()
    assert 'id="step-assess"' in detail and 'id="step-approve"' not in detail  # not the operator's step
    client.logout()
    _login(client, people.qa)
    detail = client.get("/changes/CC-00001/").content.decode()
    assert 'id="step-approve"' in detail and 'id="step-reject"' in detail
    wrong = client.post("/changes/CC-00001/", {"step": "approve", "approve-password": "nope"})
    assert wrong.status_code == 400
    signed = client.post(
        "/changes/CC-00001/", {"step": "approve", "approve-password": people.qa.raw_password}
    )
    assert signed.status_code == 302
    assert ChangeRequest.objects.get().status == "approved"


def test_list_filters_and_japanese(client, people):
    services.propose_change(actor=people.operator, kind="document", title="SOP revision", description="d")
    services.propose_change(actor=people.operator, kind="equipment", title="New incubator", description="d")
    _login(client, people.auditor, "ja")
    page = client.get("/changes/?kind=equipment").content.decode()
    assert "New incubator" in page and "SOP revision" not in page
    assert "変更管理" in page and "機器" in page and "変更を起案" not in page
    assert 'id="propose-change"' not in page  # the auditor reads only


def test_unknown_numbers_and_steps_are_404_and_other_roles_403(client, people):
    cr = services.propose_change(actor=people.operator, kind="document", title="t", description="d")
    _login(client, people.physician)
    assert client.get("/changes/").status_code == 200
    assert client.get("/changes/CC-99999/").status_code == 404
    assert client.get("/changes/new/").status_code == 403
    assert client.post(f"/changes/{cr.number}/", {"step": "approve"}).status_code == 403
    assert client.post(f"/changes/{cr.number}/", {"step": "explode"}).status_code == 404
    assert client.get("/changes/CC%2F1/").status_code == 404


def test_the_process_page_links_a_change_request(client, people, product, rf_request):
    from evqms.dossier import services as dossier

    v1 = dossier.create_process_version(actor=people.operator, product=product)
    dossier.add_process_step(actor=people.operator, process=v1, kind="culture", name="Culture")
    dossier.approve_process(request=rf_request, actor=people.qa, process=v1, password=people.qa.raw_password)
    v2 = dossier.create_process_version(actor=people.operator, product=product)
    cr = services.propose_change(
        actor=people.operator,
        kind="process",
        title="TFF",
        description="d",
        product_code=product.code,
        impact_assessment="a",
    )
    services.approve_change(
        request=rf_request, actor=people.qa, change_request=cr, password=people.qa.raw_password
    )
    _login(client, people.operator)
    page = client.get(f"/dossier/process/{v2.pk}/").content.decode()
    assert "Not linked to a change request" in page and 'id="link-change-request"' in page
    form = client.get(f"/dossier/process/{v2.pk}/change-request/").content.decode()
    assert "CC-00001" in form
    assert (
        client.post(f"/dossier/process/{v2.pk}/change-request/", {"change_request": cr.pk}).status_code == 302
    )
    page = client.get(f"/dossier/process/{v2.pk}/").content.decode()
    assert 'id="linked-change-request"' in page and "CC-00001" in page
    on_change = client.get("/changes/CC-00001/").content.decode()
    assert "process v2" in on_change
