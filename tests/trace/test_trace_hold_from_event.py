"""A hold from an adverse event: its candidates (the event's lots and their siblings by cell bank and
material lot), the signed one-step hold of the chosen lots, its refusals (nothing written), the
physician's permission, and the pages.

Lineage (conftest): AE-1 follows ADM-1, which used L1 (WCB-1A-X < WCB-1A < MCB-1) and L2 (WCB-1B <
MCB-1); L4 is made from MCB-1 directly; L3 from MCB-2. MED-1 is in every lot, HPL-1 in L1 and L2,
ENZ-1 in L4, FBS-1 in L3.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.errors import InputError, PermissionDenied
from evqms.inventory.models import Aliquot
from evqms.lots.models import LotHold
from evqms.trace import selectors
from evqms.trace.models import Hold
from evqms.trace.services.event_holds import place_event_hold
from evqms.trace.services.holds import place_hold

pytestmark = pytest.mark.django_db


def test_candidates_are_the_event_lots_and_their_siblings(lineage):
    c = selectors.event_hold_candidates(lineage.ae.number)
    assert [lot.number for lot in c.event_lots] == ["L1", "L2"]
    groups = {(g.kind, g.code): [lot.number for lot in g.lots] for g in c.groups}
    assert groups[("cell_bank", "MCB-1")] == ["L4"]  # L1 and L2 are the event's own
    assert groups[("cell_bank", "WCB-1A-X")] == []
    assert groups[("material_lot", "MED-1")] == ["L3", "L4"]
    assert groups[("material_lot", "HPL-1")] == []
    assert ("cell_bank", "MCB-2") not in groups
    # The lot's own bank comes before the banks above it.
    banks = [g.code for g in c.groups if g.kind == "cell_bank"]
    assert banks.index("WCB-1A-X") < banks.index("WCB-1A") < banks.index("MCB-1")
    assert c.numbers == {"L1", "L2", "L3", "L4"}
    l1 = c.event_lots[0]
    assert l1.administrations == 2  # ADM-1 and ADM-2 used L1


def test_places_a_signed_hold_on_the_chosen_lots_and_audits_it(lineage, make_user, rf_request):
    physician = make_user("ae-hold-physician", "physician")
    hold = place_event_hold(
        request=rf_request,
        actor=physician,
        adverse_event=lineage.ae.number,
        lots=["L2", "L4"],
        reason="Suspected contamination",
        password=physician.raw_password,
    )
    assert hold.scope == "adverse_event" and hold.subject == lineage.ae.number
    assert hold.adverse_event_id == lineage.ae.pk
    assert hold.lots == ["L2", "L4"]
    held = {h.lot.number: h for h in LotHold.objects.filter(source=hold.number).select_related("lot")}
    assert set(held) == {"L2", "L4"}
    assert held["L2"].reason == f"{lineage.ae.number}: Suspected contamination"
    assert not LotHold.objects.filter(lot__number__in=["L1", "L3"]).exists()
    # The unit still in stock is on hold; the lots not chosen keep theirs in use.
    assert Aliquot.objects.get(container_id="L2-A002").status == "on_hold"
    assert Aliquot.objects.get(container_id="L3-A002").status == "available"
    signature = Signature.objects.get(pk=hold.signature_id)
    assert signature.signer == physician and signature.meaning == "approval"
    assert (signature.object_type, signature.object_id) == ("hold", str(hold.pk))
    place = AuditEvent.objects.get(action="hold.place", object_id=str(hold.pk))
    after = json.loads(place.after)
    assert after["adverse_event"] == lineage.ae.number and after["lots"] == ["L2", "L4"]
    assert place.actor == physician
    lot_events = [json.loads(e.after) for e in AuditEvent.objects.filter(action="lot.hold")]
    assert sorted(e["number"] for e in lot_events if e["hold"] == hold.number) == ["L2", "L4"]
    assert [h.number for h in selectors.event_holds_by_number(lineage.ae.number)] == [hold.number]


def _refused(lineage, actor, rf_request, exc, **kw):
    args = dict(lots=["L1"], reason="Suspected contamination", password=actor.raw_password) | kw
    before = (Hold.objects.count(), LotHold.objects.count(), Signature.objects.count())
    with pytest.raises(exc) as caught:
        place_event_hold(request=rf_request, actor=actor, adverse_event=lineage.ae.number, **args)
    assert (Hold.objects.count(), LotHold.objects.count(), Signature.objects.count()) == before
    return caught.value


def test_refusals_write_nothing(lineage, make_user, rf_request):
    from evqms.testing import factories as f

    qa = make_user("ae-hold-qa", "qa_reviewer")
    assert _refused(lineage, qa, rf_request, InputError, password="").where == "password"
    _refused(lineage, qa, rf_request, SignatureRefused, password="not-the-password")
    assert _refused(lineage, qa, rf_request, InputError, lots=[]).where == "lots"
    assert _refused(lineage, qa, rf_request, InputError, reason="  ").where == "reason"
    f.lot("L9", status="released")  # not behind the event nor a sibling
    refusal = _refused(lineage, qa, rf_request, InputError, lots=["L1", "L9"])
    assert refusal.where == "lots" and "L9" in str(refusal) and "L1" not in str(refusal).split(":")[0]
    assert _refused(lineage, qa, rf_request, InputError, lots=["NOPE"]).where == "lots"


def test_who_may_hold_from_an_event(lineage, make_user, rf_request):
    operator = make_user("ae-hold-operator", "operator")
    analyst = make_user("ae-hold-analyst", "qc_analyst")
    physician = make_user("ae-hold-doctor", "physician")
    _refused(lineage, operator, rf_request, PermissionDenied)
    _refused(lineage, analyst, rf_request, PermissionDenied)
    assert physician.has_perm("trace.hold_from_event")
    # The physician may hold from an event, but lifting a hold (or any other hold) stays with QA.
    assert not physician.has_perm("trace.hold")


def test_the_downstream_hold_refuses_the_event_scope(lineage, make_user):
    qa = make_user("ae-hold-qa2", "qa_reviewer")
    with pytest.raises(InputError) as caught:
        place_hold(actor=qa, scope="adverse_event", code=lineage.ae.number, reason="x")
    assert caught.value.where == "scope"


def test_pages(lineage, make_user, client):
    physician = make_user("ae-hold-page", "physician")
    client.force_login(physician)
    url = f"/trace/adverse-events/{lineage.ae.number}/hold/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="L1" id="lot-L1" checked' in html and 'value="L4" id="lot-L4">' in html
    refused = client.post(url, {"lots": ["L1", "L4"], "reason": "Suspected contamination", "password": "x"})
    assert refused.status_code == 400 and not Hold.objects.exists()
    assert 'value="L4" id="lot-L4" checked' in refused.content.decode()  # the choice survives a refusal
    done = client.post(
        url, {"lots": ["L1", "L4"], "reason": "Suspected contamination", "password": physician.raw_password}
    )
    hold = Hold.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/trace/holds/{hold.number}/"
    detail = client.get(done["Location"]).content.decode()
    assert f"/clinical/adverse-events/{lineage.ae.number}/" in detail
    listing = client.get(f"/trace/adverse-events/{lineage.ae.number}/holds/").content.decode()
    assert hold.number in listing and "/lots/L4/" in listing
    # the trace page's holds export on their own parameters, beside the (here empty) recalls
    held = client.get("/trace/?holds-sort=-number&holds-format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(held.streaming_content).decode("utf-8-sig"))))
    assert [(r[0], r[3]) for r in rows[1:]] == [(hold.number, "L1, L4")]
    recalls = b"".join(client.get("/trace/?holds-sort=-number&format=csv").streaming_content)
    assert len(recalls.decode("utf-8-sig").splitlines()) == 1  # the header: no recall
    assert client.get("/trace/adverse-events/AE-999999/holds/").status_code == 404
    assert client.get("/trace/adverse-events/AE-999999/hold/").status_code == 404
    operator = make_user("ae-hold-page-op", "operator")
    client.force_login(operator)
    assert client.get(url).status_code == 403


def test_the_event_page_offers_the_hold_to_whom_it_may(lineage, make_user, client):
    page = f"/clinical/adverse-events/{lineage.ae.number}/"
    client.force_login(make_user("ae-page-doctor", "physician"))
    html = client.get(page).content.decode()
    assert f'href="/trace/adverse-events/{lineage.ae.number}/hold/"' in html
    assert f'href="/trace/adverse-events/{lineage.ae.number}/holds/"' in html
    # A QC analyst opens the event they investigate and may see its holds, but not place one.
    client.force_login(make_user("ae-page-analyst", "qc_analyst"))
    html = client.get(page).content.decode()
    assert 'id="hold-from-event"' not in html and 'id="event-holds"' in html


def test_the_api_refuses_a_downstream_hold_on_an_event(lineage, make_user):
    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(user=make_user("ae-hold-api-qa", "qa_reviewer"))
    r = api.post(
        "/api/v1/trace/holds/",
        {"scope": "adverse_event", "code": lineage.ae.number, "reason": "x"},
        format="json",
    )
    assert r.status_code == 400 and not Hold.objects.exists()
