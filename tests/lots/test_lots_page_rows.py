"""The lot page's QC rows (`{% qc_result_row %}`) write exactly what the template wrote before them:
the old markup is kept here and both are rendered for rows in every state, in both languages."""

from __future__ import annotations

import itertools
import re

import pytest
from django.middleware.csrf import get_token
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

TEMPLATE_ROW = """{% load i18n %}<tr class="result {{ r.status }}{% if r.oos %} oos{% endif %}" id="result-{{ r.id }}">
        <td>#{{ r.id }}{% if r.retest_of %}<div class="small">{% translate "retest of" %} <a href="#result-{{ r.retest_of }}">#{{ r.retest_of }}</a></div>{% endif %}
          {% if r.retests %}<div class="small">{% translate "retested in" %} {% for x in r.retests %}<a href="#result-{{ x }}">#{{ x }}</a> {% endfor %}</div>{% endif %}</td>
        <td class="value">{{ r.shown }}{% if r.entered %}<div class="muted small">{% translate "entered" %}: {{ r.entered }}</div>{% endif %}<div class="muted small">{{ r.method }}</div></td>
        <td>{{ r.criterion_shown }}{% if r.alert_shown %}<div class="muted small">{% translate "alert" %}: {{ r.alert_shown }}</div>{% endif %}{% if r.limits.spec_version %}<div class="muted small">{% blocktranslate with v=r.limits.spec_version %}from specification v{{ v }}{% endblocktranslate %}</div>{% endif %}</td>
        <td><span class="badge {{ r.verdict }}">{{ r.verdict_display }}</span>{% if r.oos %} <span class="badge oos">OOS</span>{% if r.oos_deviation %}<div class="small">{{ r.oos_deviation }}</div>{% endif %}{% endif %}</td>
        <td>{% if r.status == "valid" %}{% translate "valid" %}{% if r.current %} <span class="badge ok">{% translate "current" %}</span>{% endif %}{% else %}<span class="badge bad">{% translate "invalidated" %}</span><div class="small">{{ r.invalidation_reason }}</div>{% endif %}</td>
        <td>{{ r.analyst.printed_name }}<div class="muted small">{{ r.tested_shown }}</div></td>
        <td>{% if r.verified_by %}{{ r.verified_by.printed_name }}<div class="muted small">{{ r.verified_shown }}</div>
            {% elif r.can_verify %}<form method="post" action="{% url 'lots:qc-verify' lot.number r.id %}">{% csrf_token %}<button type="submit" class="secondary small-btn verify">{% translate "Verify" %}</button></form>
            {% elif r.status == "valid" %}<span class="muted">{% translate "not verified" %}</span>{% endif %}</td>
        <td>{% if r.raw_file_sha256 %}{% if r.raw_file_url %}<a href="{{ r.raw_file_url }}" hx-boost="false">{{ r.raw_file_name }}</a>{% else %}{{ r.raw_file_name }}{% endif %}<div class="hash small">{{ r.raw_file_sha256 }}</div>{% else %}—{% endif %}</td>"""

TAG_ROW = "{% load lot_page %}{% qc_result_row r lot %}"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _same_token(html: str) -> str:
    """Each rendering masks the CSRF secret afresh; the field is compared without its value."""
    return TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)


# Every text carries characters that must be escaped, so a value left unescaped shows as a difference.


class _Lot:
    number = "UCEV-24-001"


def _row(**changes) -> dict:
    row = {
        "id": 1234,
        "status": "valid",
        "oos": False,
        "retest_of": None,
        "retests": [],
        "shown": "5.0×10¹⁰ particles/mL <&>",
        "entered": "",
        "method": "NTA <NanoSight> & co",
        "criterion_shown": "≥ 1.0×10¹⁰ particles/mL <&>",
        "alert_shown": "",
        "limits": {"spec_version": 2},
        "verdict": 'pass"x',
        "verdict_display": "Pass <&>",
        "oos_deviation": None,
        "current": True,
        "invalidation_reason": "",
        "analyst": {"username": "qc1", "printed_name": "Hanako <QC> Sato"},
        "tested_shown": "2024-06-01 14:05 JST <&>",
        "verified_by": None,
        "verified_shown": "2024-06-02 09:00 JST <&>",
        "can_verify": False,
        "raw_file_sha256": "",
        "raw_file_url": None,
        "raw_file_name": "",
    }
    row.update(changes)
    return row


VARIANTS = {
    "retest_of": [None, 17],
    "retests": [[], [1300, 1301]],
    "entered": ["", "0.12 µm <&>"],
    "alert_shown": ["", "≤ 3 EU/mL <&>"],
    "limits": [{"spec_version": 2}, {}, None, {"spec_version": 0}],
    "oos": [False, True],
    "oos_deviation": [None, "DEV-UCEV-24-001-01 <&>"],
    "status": ["valid", "invalidated"],
    "current": [True, False],
    "invalidation_reason": ["", "pipetting <error> & 'quotes'"],
    "verified_by": [None, {"username": "qc2", "printed_name": 'Taro "QC" Ito'}],
    "can_verify": [False, True],
    "raw_file_sha256": ["", "a" * 63 + "<"],
    "raw_file_url": [None, "/lots/X/results/1/raw/?a=1&b=<2>"],
    "raw_file_name": ["", "nta <run>.csv"],
}


def _rows():
    """Every value of each field once against the default row, and every combination of the fields
    that decide together (status, verification, OOS, raw file)."""
    for key, values in VARIANTS.items():
        for value in values:
            yield _row(**{key: value})
    decide = [
        "status",
        "verified_by",
        "can_verify",
        "oos",
        "oos_deviation",
        "raw_file_sha256",
        "raw_file_url",
    ]
    for combo in itertools.product(*(VARIANTS[k] for k in decide)):
        yield _row(**dict(zip(decide, combo, strict=True)))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_row_tag_writes_what_the_template_wrote(lang):
    engine = engines["django"]
    old, new = engine.from_string(TEMPLATE_ROW), engine.from_string(TAG_ROW)
    request = RequestFactory().get("/")
    get_token(request)  # the page's CSRF token, the same for both renderings
    rows = list(_rows())
    assert len(rows) > 100
    with translation.override(lang):
        for row in rows:
            context = {"r": row, "lot": _Lot()}
            assert _same_token(new.render(context, request)) == _same_token(old.render(context, request)), row


def test_the_verify_button_carries_the_pages_csrf_token():
    page = engines["django"].from_string("{% csrf_token %}" + TAG_ROW)
    request = RequestFactory().get("/")
    get_token(request)
    html = page.render({"r": _row(can_verify=True), "lot": _Lot()}, request)
    tokens = TOKEN.findall(html)
    assert len(tokens) == 2 and tokens[0] == tokens[1]


def test_japanese_rows_are_translated():
    """The comparison above would pass with both sides untranslated: the Japanese row must differ."""
    engine = engines["django"]
    row = _row(retest_of=17, status="invalidated", invalidation_reason="x")
    request = RequestFactory().get("/")
    with translation.override("en"):
        english = engine.from_string(TAG_ROW).render({"r": row, "lot": _Lot()}, request)
    with translation.override("ja"):
        japanese = engine.from_string(TAG_ROW).render({"r": row, "lot": _Lot()}, request)
    assert "retest of" in english and "invalidated" in english
    assert "retest of" not in japanese and ">invalidated<" not in japanese
