"""Numbers as people write them on every page, export and certificate of the demo: no '7E+1' or
'2.000e+10', no '48.000000', units as µg and °C (evqms.core.display, the `number`, `significant`
and `unit` template filters). The demo is loaded once and every page its links reach is read, as
QA, the physician and an operator see them."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

# 1E+10, 2.000e+10, 3.419e+08 (hashes are lower-case hex without a sign, so they never match)
EXPONENT = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]\d+\b")
# a run of three or more trailing zeros after the point: 48.000000, 25.000, 0.950000
ZERO_RUN = re.compile(r"\b\d+\.\d*?0{3,}(?![\d])")
# units as typed, not as printed: degC, ug, ug/mL, particles/ug
RAW_UNIT = re.compile(r"degC|(?<![\w])ug(?![\w])")
# The audit trail's before/after shows the stored canonical values verbatim, on purpose; the
# dossier form's help text names what to type ("ug"); the evidence report prints p-values to three
# places ("1.000"), as statistics are reported.
SKIP = ("/admin", "/static", "/i18n", "/accounts/logout", "/api", "/audit/events/")
HINT = "e.g. particles, ug (protein)"
P_VALUES = "/reports/evidence/"


def _text(body: str) -> str:
    """What a person reads: tags and scripts removed, entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _problems(url: str, text: str) -> list[str]:
    found = []
    for pattern in (EXPONENT, ZERO_RUN, RAW_UNIT):
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 60) : match.end() + 20]
            if (pattern is RAW_UNIT and HINT in text[match.start() - 20 : match.end() + 12]) or (
                pattern is ZERO_RUN and url.startswith(P_VALUES)
            ):
                continue
            found.append(f"{url}: {match.group(0)!r} in …{around}…")
    return found


def _walk(client: Client) -> tuple[dict[str, str], int]:
    """Every page and CSV export the links reach: {url: text}, and the number of pages read."""
    seen, todo, texts = set(), ["/"], {}
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        kind = response.get("Content-Type", "")
        if response.status_code != 200 or response.streaming:
            continue
        if "text/csv" in kind:
            texts[url] = response.content.decode("utf-8-sig")
            continue
        if "text/html" not in kind:
            continue
        body = response.content.decode()
        texts[url] = _text(body)
        for href in re.findall(r'href="(/[^"#]*)"', body):
            href = html.unescape(href)
            if not href.startswith(SKIP) and href not in seen:
                todo.append(href)
    return texts, len(seen)


def test_the_demo_writes_numbers_and_units_as_people_do():
    from evqms.lots.models import Lot
    from evqms.reports.coa import build_coa
    from evqms.web.demo import load_demo

    load_demo()
    users = get_user_model().objects
    problems: list[str] = []
    pages = {}
    for username in ("qa", "physician", "operator"):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(users.get(username=username))
        texts, _read = _walk(client)
        pages.update(texts)
        for url, text in texts.items():
            problems += _problems(url, text)
    for lot in Lot.objects.exclude(status="in_process"):
        for lang in ("en", "ja"):
            problems += _problems(f"CoA {lot.number} {lang}", _text(build_coa(lot, lang).html))
    assert not problems, "\n".join(sorted(set(problems))[:40])

    # The walk reached the bench pages, and their numbers and units read as printed.
    administration = pages["/clinical/administrations/ADM-000001/"]
    assert "2 × 10¹⁰" in administration and "µg" in administration
    aliquot = pages["/inventory/aliquots/UCEV-24-001-A001/"]
    assert "2 × 10¹⁰" in aliquot and "Volume (mL) 1 " in re.sub(r"\s+", " ", aliquot)
    frozen = pages["/lots/UCEV-24-004/"]
    assert "-80 °C" in frozen and "-90–-70 °C" in frozen
