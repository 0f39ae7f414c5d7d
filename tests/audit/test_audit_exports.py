"""Exports of a filtered view: every matching event in the CSV (ISO 8601 with the offset,
formula-safe), the PDF's first page with the verification at export and the head hash; each
export is itself an audited event."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.db import transaction
from django.urls import reverse

from evqms.audit.models import AuditEvent
from evqms.audit.selectors import head_hash
from evqms.audit.services import EXPORT_ACTION, record_event

pytestmark = pytest.mark.django_db


def _events(monkeypatch):
    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo: the CSV says so, with the offset.
    monkeypatch.setattr(
        "evqms.audit.services._utc_now", lambda: dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    )
    with transaction.atomic():
        record_event(
            actor=None,
            action="lot.note",
            object_type="lot",
            object_id=41,
            before={"status": "qc"},
            after={"status": "quarantine", "名前": "細胞外小胞"},
            reason='=HYPERLINK("http://evil.example","click")',
        )
        for i in range(3):
            record_event(actor=None, action="lot.note", object_type="lot", object_id=42, reason=f"-{i} plain")
        record_event(
            actor=None, action="other.thing", object_type="thing", object_id=1, reason="not in the view"
        )
    monkeypatch.undo()


@pytest.fixture
def auditor(client, make_user):
    user = make_user("aud-export", "auditor")
    client.force_login(user)
    return user


def _csv(client, **params):
    response = client.post(reverse("audit:export-csv"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_holds_every_matching_event_formula_safe_in_local_iso_time(client, auditor, monkeypatch):
    _events(monkeypatch)
    rows = _csv(client, action="lot.")
    header, body = rows[0], rows[1:]
    assert header[:4] == ["seq", "occurred_at", "actor", "action"]
    assert len(body) == 4 and {r[3] for r in body} == {"lot.note"}
    first = next(r for r in body if r[5] == "41")
    assert first[1] == "2026-03-02T08:30:00+09:00"
    assert first[7] == '\'=HYPERLINK("http://evil.example","click")'  # neutralised
    assert json.loads(first[9])["名前"] == "細胞外小胞"  # the stored after, whole
    assert [r[7] for r in body if r[5] == "42"] == ["'-2 plain", "'-1 plain", "'-0 plain"]  # newest first


def test_each_export_is_an_audited_event_naming_the_head(client, auditor, monkeypatch):
    _events(monkeypatch)
    seq, digest = head_hash()
    _csv(client, action="lot.", text="plain")
    export = AuditEvent.objects.filter(action=EXPORT_ACTION).get()
    after = json.loads(export.after)
    assert export.actor_name == "aud-export"
    assert after == {
        "format": "csv",
        "filter": {"action": "lot.", "text": "plain"},
        "events": 3,
        "head_seq": seq,
        "head_hash": digest,
    }


def test_the_pdf_first_page_has_the_verification_and_the_head_hash(client, auditor, monkeypatch):
    from pypdf import PdfReader

    _events(monkeypatch)
    for lang, intact in (("en", "Intact"), ("ja", "改ざんなし")):
        seq, digest = head_hash()
        response = client.post(reverse("audit:export-pdf"), {"action": "lot.", "lang": lang})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        first = reader.pages[0].extract_text()
        assert intact in first
        assert digest[:32] in first.replace("\n", "")
        assert "aud-export" in first
        rest = "".join(page.extract_text() for page in reader.pages[1:])
        assert "lot.note" in rest
        export = AuditEvent.objects.filter(action=EXPORT_ACTION).order_by("-seq").first()
        assert json.loads(export.after)["chain_intact"] is True
        assert json.loads(export.after)["head_seq"] == seq


def test_a_bad_filter_is_refused_and_nothing_is_recorded(client, auditor):
    assert client.post(reverse("audit:export-csv"), {"since": "soon"}).status_code == 400
    assert not AuditEvent.objects.filter(action=EXPORT_ACTION).exists()


def test_those_who_may_not_read_the_trail_cannot_export_it(client, make_user):
    client.force_login(make_user("op-export", "operator"))
    assert client.post(reverse("audit:export-csv")).status_code == 403
    assert client.post(reverse("audit:export-pdf")).status_code == 403


def test_an_export_is_a_post_never_a_link_to_follow(client, auditor):
    """It writes an event: a crawler or a prefetching browser following links must not export."""
    assert client.get(reverse("audit:export-csv")).status_code == 405
    assert client.get(reverse("audit:export-pdf")).status_code == 405
    assert not AuditEvent.objects.filter(action=EXPORT_ACTION).exists()
