"""One event's page: the whole before and after side by side, changed fields marked, local time
with the zone, the chain position, the signature; an odd stored value never makes it answer 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from evqms.audit.chain import event_hash
from evqms.audit.eventview import compare
from evqms.audit.models import AuditEvent, ChainHead
from evqms.audit.services import record_event, sign

pytestmark = pytest.mark.django_db


def _event(**kw):
    fields = dict(actor=None, action="test.change", object_type="thing", object_id=1)
    fields.update(kw)
    with transaction.atomic():
        return record_event(**fields)


@pytest.fixture
def auditor_client(client, make_user):
    client.force_login(make_user("aud-page", "auditor"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _page(client, event) -> str:
    response = client.get(reverse("audit:event", args=[event.seq]))
    assert response.status_code == 200
    return response.content.decode()


def test_fields_side_by_side_changed_ones_marked_nested_ones_by_name():
    rows = {
        r.name: r
        for r in compare(
            '{"status":"qc","limits":{"low":"1","high":"9"},"gone":1}',
            '{"status":"quarantine","limits":{"low":"1","high":"10"},"new":[1,2]}',
        )
    }
    assert rows["status"].state == "changed" and rows["status"].after == "quarantine"
    assert rows["limits.high"].state == "changed" and rows["limits.low"].state == "same"
    assert rows["gone"].state == "removed" and rows["new"].state == "added"
    assert rows["new"].after == "[\n  1,\n  2\n]"


def test_the_page_shows_everything_uncut_with_local_time_and_the_chain(auditor_client, settings):
    long_text = "x" * 5000 + "END"
    event = _event(
        before={"status": "qc", "note": "short"},
        after={"status": "quarantine", "note": long_text},
        reason="QC complete",
    )
    page = _page(auditor_client, event)
    assert "END" in page  # no 160-character cut
    assert '<tr class="changed">' in page and '<tr class="same">' not in page
    assert "JST" in page and "Asia/Tokyo" in page
    assert event.hash in page and event.prev_hash in page
    assert 'id="hash-ok"' in page


def test_a_signature_event_shows_the_signature_and_its_meaning(auditor_client, make_user, rf_request):
    signer = make_user("qa-sign", "qa_reviewer")
    signature = sign(
        request=rf_request,
        signer=signer,
        password=signer.raw_password,
        meaning="approval",
        object_type="thing",
        object_id=5,
        record={"v": 1},
    )
    event = AuditEvent.objects.get(action="signature.approval")
    page = _page(auditor_client, event)
    assert signature.printed_name in page and "Approval" in page
    assert signature.record_hash in page


@pytest.mark.parametrize(
    "stored",
    [
        {"after": {"blob": "é" * 200_000}},  # huge
        {"after": {"名前": "細胞外小胞 🧪", "n": None, "x": [None, {"deep": {"er": {"still": 1}}}]}},
        {"before": None, "after": None},
        {"after": ["a", "list", 1]},
        {"after": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": 1}}}}}}}}}},
        {"object_type": "lot", "object_id": 987654321},  # a record that does not exist
        {"object_type": "no_such_type", "object_id": "</script>"},
        {"action": "signature.release", "after": {"signature_id": 10**30}},
        {"action": "signature.release", "after": {"signature_id": "7"}},
    ],
)
def test_an_odd_stored_value_never_makes_the_page_fail(auditor_client, stored):
    page = _page(auditor_client, _event(**stored))
    assert "Audit event" in page


def _raw_event(before: str, after: str) -> AuditEvent:
    """A row whose stored text is not what the services write (as a restore of damaged data might
    hold): appended with its hash, as the chain requires."""
    head = ChainHead.objects.get(pk=1)
    fields = dict(
        seq=head.seq + 1,
        occurred_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC),
        actor_id=None,
        actor_name="system",
        action="test.raw",
        object_type="thing",
        object_id="1",
        before=before,
        after=after,
        reason="",
        prev_hash=head.hash,
    )
    with transaction.atomic():
        event = AuditEvent.objects.create(**fields, hash=event_hash(**fields))
        ChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


@pytest.mark.parametrize(
    "before,after",
    [("not json {", "[" * 5000 + "]" * 5000), ('"just a string"', "12"), ("", "null"), ("{}", "\u0007 bell")],
)
def test_stored_text_that_is_not_an_object_is_shown_as_text(auditor_client, before, after):
    _event()  # a head to append to
    page = _page(auditor_client, _raw_event(before, after))
    assert "(value)" in page


def test_an_unknown_or_huge_event_number_is_not_found(auditor_client):
    assert auditor_client.get(reverse("audit:event", args=[424242])).status_code == 404
    assert auditor_client.get("/audit/events/99999999999999999999999/").status_code == 404
