"""The evidence page and the yearly report: the hand-built product of test_reports_evidence (its
figures worked out there) read in a browser's stead in Japanese and English, the PDF's text
(pypdf), bad input answered 404/400, and who may open them."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from evqms.reports import evidence

pytestmark = pytest.mark.django_db

_spec = importlib.util.spec_from_file_location(
    "evidence_world", Path(__file__).with_name("test_reports_evidence.py")
)
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def hand():
    return world.hand_product()


def _get(client, user, url, lang):
    from django.conf import settings

    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get(url)


def test_page_in_english(client, hand):
    product, _lots, doc = hand
    html = _get(client, doc, f"/reports/evidence/{product.code}/", "en").content.decode()
    text = re.sub(r"\s+", " ", html)
    # 3/10 patients, Clopper-Pearson 6.7 - 65.2 % (see test_reports_evidence); 6 events per 10
    # administrations = 60.0 per 100, Garwood 22.0 - 130.6.
    assert "3/10 = 30.0 %" in text and "95 % CI 6.7 – 65.2 %" in text
    assert "6/10 = 60.0 per 100 administrations" in text and "95 % CI 22.0 – 130.6" in text
    assert "Clopper-Pearson exact interval" in text and "Garwood exact Poisson interval" in text
    # The flagged lot: p = 0.3^6 = 0.000729 (< 0.001), adjusted 3 x 0.000729 = 0.002187 -> 0.002.
    assert 'href="/lots/EVH-C/"' in html and "Flagged for investigation" in text
    assert text.count("Flagged for investigation") == 1  # the one flagged row
    assert "p &lt; 0.001; adjusted p-value: 0.002" in text
    assert "against 0 in 7 administrations of the other lots" in text
    # EVH-C: 3 of its 3 patients had an event; at x = n the Clopper-Pearson lower limit is
    # (0.025)^(1/3) = 0.2924 and the upper 1.
    assert "3/3 = 100.0 %" in text and "95 % CI 29.2 – 100.0 %" in text
    # Month 3: 7 of 10 expected (1 missed, 2 overdue); mean change -4.00, CI -6.00 - -2.00;
    # responders 6/7 = 85.7 %, CI 42.1 - 99.6 %, between 60.0 % and 90.0 % of all 10.
    assert "7 of 10 expected" in text and "missed 1, overdue 2" in text
    assert "-4.00 (n = 7)" in text and "95 % CI -6.00 – -2.00" in text
    assert (
        "6/7 = 85.7 %" in text
        and "95 % CI 42.1 – 99.6 %" in text
        and "60.0 % – 90.0 % of all 10 expected" in text
    )
    assert "paired t-test" in text and "Wilcoxon signed-rank test (exact)" in text


def test_page_in_japanese(client, hand):
    product, _lots, doc = hand
    text = re.sub(r"\s+", " ", _get(client, doc, f"/reports/evidence/{product.code}/", "ja").content.decode())
    for expected in (
        "エビデンスの要約",
        "因果関係を問わず",  # the counting rules
        "<th>95 % 信頼区間</th>",
        "調査対象",
        "Clopper-Pearson 正確信頼区間",
        "3/10 = 30.0 %",
        "95 % 信頼区間 6.7 – 65.2 %",
        "予定 10 件中 7 件",
        "未実施 1、期限超過 2",
    ):
        assert expected in text, expected


def test_unknown_product_is_404_and_the_page_needs_clinical_view(client, hand, make_user):
    product, _lots, doc = hand
    assert _get(client, doc, "/reports/evidence/no-such-product/", "en").status_code == 404
    operator = make_user("ev-op", "operator")
    assert _get(client, operator, f"/reports/evidence/{product.code}/", "en").status_code == 403


def test_product_page_links_to_the_evidence(client, hand, make_user):
    product, _lots, doc = hand
    html = _get(client, doc, f"/dossier/p/{product.code}/", "en").content.decode()
    assert f'href="/reports/evidence/{product.code}/"' in html
    operator = make_user("ev-op2", "operator")
    assert "evidence-link" not in _get(client, operator, f"/dossier/p/{product.code}/", "en").content.decode()


@pytest.mark.parametrize("year", ["abc", "1999", "", "2025x"])
def test_a_malformed_year_is_400(client, hand, year):
    product, _lots, doc = hand
    response = _get(client, doc, f"/reports/evidence/{product.code}/yearly.pdf?year={year}&lang=en", "en")
    assert response.status_code == 400 and b"year" in response.content


def test_yearly_pdf_in_english(client, hand):
    from evqms.lots.models import Deviation
    from evqms.trace.models import Recall  # noqa: F401  (none recorded: the section says None)

    product, lots, doc = hand
    Deviation.objects.create(
        lot=lots["EVH-B"], number="DEV-EVH-B-01", source="manual", description="Freezer door left open",
        opened_by=doc, opened_at=timezone.make_aware(dt.datetime(2025, 4, 2, 9, 30)),
    ).affected_lots.add(lots["EVH-B"])  # fmt: skip
    response = _get(client, doc, f"/reports/evidence/{product.code}/yearly.pdf?year=2025&lang=en", "en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    for expected in (
        "Yearlyevidencereport",
        "2025-01-01–2025-12-31",
        "3/10=30.0%",
        "95%CI6.7–65.2%",
        "6/10=60.0per100administrations",
        "Requiresorprolongshospitalisation",
        "7of10expected",
        "-4.00(n=7)",
        "6/7=85.7%",
        "EVH-C",
        "Flaggedforinvestigation",
        "DEV-EVH-B-01",
        "Freezerdoorleftopen",
        "2025-04-0209:30JST",  # local time with the zone
        "Recallsintheperiod",
        "conditionalbinomialtest",
        "Holm",
    ):
        assert expected in text, expected


def test_yearly_pdf_in_japanese_and_an_empty_year(client, hand):
    product, _lots, doc = hand
    text = _pdf_text(evidence.build_yearly(product, evidence.Period.year(2025), "ja").pdf())
    for expected in ("年次エビデンス報告", "3/10=30.0%", "調査対象", "EVH-C"):
        assert expected in text, expected
    empty = _pdf_text(evidence.build_yearly(product, evidence.Period.year(2024), "en").pdf())
    assert "Noadministrationsinthisperiod" in empty


def test_odd_stored_values_do_not_break_the_page(client, hand):
    from evqms.clinical.models import AdverseEvent, InstrumentUse

    product, _lots, doc = hand
    InstrumentUse.objects.filter(product=product).update(follow_up_months={"not": "a list"})
    AdverseEvent.objects.filter(serious=True).update(seriousness_criteria="hospitalisation")
    response = _get(client, doc, f"/reports/evidence/{product.code}/", "en")
    assert response.status_code == 200
    # the visits still give their months; the events still count as serious
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "7 of 10 expected" in text and "(serious 2, not serious 4)" in text
