"""The yearly page of a product: what the yearly PDF shows (the hand-built product of
test_reports_evidence, its figures worked out there), in Japanese and English, linked from the
evidence page; issuing the report records it with the PDF's SHA-256; a PGIC in use asks for no
baseline on the evidence page."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

from evqms.clinical import services as clinical
from evqms.clinical.models import EvidenceReport

pytestmark = pytest.mark.django_db

_spec = importlib.util.spec_from_file_location(
    "evidence_world_yearly", Path(__file__).with_name("test_reports_evidence.py")
)
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)


@pytest.fixture
def hand():
    return world.hand_product()


def _get(client, user, url, lang="en"):
    from django.conf import settings

    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get(url)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_yearly_page_shows_what_the_report_shows(client, hand):
    product, _lots, doc = hand
    response = _get(client, doc, f"/reports/evidence/{product.code}/2025/")
    assert response.status_code == 200
    text = _text(response)
    # 10 administrations and patients in 2025, 6 events (2 serious); 3/10 patients, CP 6.7 - 65.2 %
    assert re.search(r'id="n-administrations">10<', text) and re.search(r'id="n-patients">10<', text)
    assert "6 (serious 2, not serious 4)" in text
    assert "3/10 = 30.0 %" in text and "95 % CI 6.7 – 65.2 %" in text
    # month 3: 10 expected, 7 done (test_reports_evidence)
    assert "7 of 10 expected" in text
    assert text.count("Flagged for investigation") == 1 and 'href="/lots/EVH-C/"' in text
    assert f"/reports/evidence/{product.code}/yearly.pdf?year=2025&amp;lang=ja" in text
    assert "Not issued yet." in text


def test_the_yearly_page_in_japanese_and_an_empty_year(client, hand):
    product, _lots, doc = hand
    text = _text(_get(client, doc, f"/reports/evidence/{product.code}/2025/", "ja"))
    assert "年次エビデンス報告" in text and "予定 10 件中 7 件" in text
    empty = _text(_get(client, doc, f"/reports/evidence/{product.code}/2024/", "en"))
    assert re.search(r'id="n-administrations">0<', empty) and "No administrations in this period." in empty


def test_the_evidence_page_links_to_the_yearly_pages(client, hand):
    from django.utils import timezone

    product, _lots, doc = hand
    this_year = timezone.localdate().year
    html = _get(client, doc, f"/reports/evidence/{product.code}/").content.decode()
    assert f'href="/reports/evidence/{product.code}/{this_year - 1}/"' in html


@pytest.mark.parametrize("year", ["1999", "2101"])
def test_a_year_out_of_range_is_404(client, hand, year):
    product, _lots, doc = hand
    assert _get(client, doc, f"/reports/evidence/{product.code}/{year}/").status_code == 404


def test_issuing_records_the_pdf_hash(client, hand, make_user):
    product, _lots, doc = hand
    client.force_login(doc)
    response = client.post(f"/reports/evidence/{product.code}/2025/issue/", {"lang": "en"})
    assert response.status_code == 302 and response["Location"].endswith("/2025/#issued")
    (issued,) = EvidenceReport.objects.all()
    assert (issued.year, issued.language, issued.issued_by) == (2025, "en", doc)
    # the hash is of the PDF as generated: the same report built again has the same text, so its
    # length and hash shape are checked; the hash is the file's, 64 hex digits
    assert re.fullmatch(r"[0-9a-f]{64}", issued.sha256)
    text = _text(_get(client, doc, f"/reports/evidence/{product.code}/2025/"))
    assert issued.number in text and "Not issued yet." not in text
    # an auditor reads the page but may not issue
    auditor = make_user("yearly-auditor", "auditor")
    client.force_login(auditor)
    assert client.post(f"/reports/evidence/{product.code}/2025/issue/", {"lang": "en"}).status_code == 403
    assert EvidenceReport.objects.count() == 1


def test_the_service_refuses_a_bad_hash_or_language(hand):
    from evqms.errors import InputError

    product, _lots, doc = hand
    with pytest.raises(InputError, match="SHA-256"):
        clinical.record_evidence_report(actor=doc, product=product, year=2025, language="en", sha256="xyz")
    with pytest.raises(InputError):
        clinical.record_evidence_report(
            actor=doc, product=product, year=2025, language="fr", sha256=hashlib.sha256(b"").hexdigest()
        )


def test_a_pgic_in_use_asks_for_no_baseline_on_the_evidence_page(client, hand):
    product, _lots, doc = hand
    clinical.enable_instrument(actor=doc, product=product, instrument="pgic", follow_up_months=[1, 3])
    html = _get(client, doc, f"/reports/evidence/{product.code}/").content.decode()
    assert 'id="outcome-pgic-no-baseline"' in html
    # its table holds the ratings and responders, no change from a baseline (none is taken)
    table = html.split('id="outcome-pgic"')[1].split("</table>")[0]
    assert "評価（評価値：患者数）" in table or "Ratings (rating: patients)" in table
    assert "Wilcoxon" not in table and "t = " not in table
    assert 'id="outcome-nrs-pain"' in html  # the pain rating keeps its table


def test_the_yearly_report_falls_due_on_the_physicians_queue(hand, make_user):
    import datetime as dt

    from evqms.clinical.selectors import tasks_for

    product, _lots, doc = hand

    # first administration 2025-02-03 (test_reports_evidence): due 12 months later, 2026-02-03,
    # listed from 30 days before
    def yearly(user):
        return [t for t in tasks_for(user) if t.kind == "evidence.yearly_report"]

    assert yearly(doc) and yearly(doc)[0].due == dt.date(2026, 2, 3)
    from evqms.clinical.selectors import evidence_report_tasks

    assert evidence_report_tasks(doc, today=dt.date(2026, 1, 3)) == []
    (task,) = evidence_report_tasks(doc, today=dt.date(2026, 1, 4))
    assert task.kind == "evidence.yearly_report" and product.code in task.title
    assert yearly(make_user("queue-operator", "operator")) == []
    clinical.record_evidence_report(actor=doc, product=product, year=2025, language="ja", sha256="b" * 64)
    assert yearly(doc) == []  # issued today: due again in 12 months
