"""The header's search box (web.search): one identifier, straight to its record; a list when several
records carry it; "nothing found" otherwise; only records the person's role may open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from evqms.web import search

pytestmark = pytest.mark.django_db


def _client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def records(world, make_user):
    from evqms.clinical.services.patients import register_patient
    from evqms.dossier.models import Donor

    lot = world.in_qc("UCEV-T-001")
    physician = make_user("doc1", "physician")
    register_patient(
        actor=physician, code="PT-0042", clinic_identifier="chart 42", consented_on=dt.date(2026, 1, 5)
    )
    world.physician = physician
    world.lot = lot
    world.donor = Donor.objects.get(pk=world.bank.donor_id) if world.bank.donor_id else None
    return world


def test_one_match_goes_straight_to_the_record_ignoring_case_and_full_width(records):
    client = _client(records.qa)
    for typed in ("UCEV-T-001", "ucev-t-001", "  ＵＣＥＶ－Ｔ－００１ ", "\tucev-t-001\n"):
        response = client.get("/search/", {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == "/lots/UCEV-T-001/"
    assert client.get("/search/", {"q": "MCB-001"})["Location"] == "/trace/cell_bank/MCB-001/"
    assert client.get("/search/", {"q": "xf-24-001"})["Location"] == "/trace/material_lot/XF-24-001/"


def test_a_role_finds_only_what_it_may_open(records):
    # Patient codes: the physician and QA find the patient; a QC analyst and an operator do not.
    assert _client(records.physician).get("/search/", {"q": "pt-0042"})["Location"] == (
        "/clinical/?q=PT-0042"
    )
    assert _client(records.qa).get("/search/", {"q": "PT-0042"}).status_code == 302
    for user in (records.analyst, records.operator):
        response = _client(user).get("/search/", {"q": "PT-0042"})
        assert response.status_code == 200
        assert "Nothing found for “PT-0042”." in response.content.decode()
    # An operator may not trace: a cell bank leads to the dossier's lineage instead.
    response = _client(records.operator).get("/search/", {"q": "MCB-001"})
    assert response["Location"] == f"/dossier/p/{records.product.code}/#lineage"
    # Whatever a role finds, it may open.
    for user in (records.physician, records.operator, records.analyst, records.auditor):
        for text in ("UCEV-T-001", "MCB-001", "XF-24-001", "PT-0042"):
            for hit in search.find(user, text):
                assert _client(user).get(hit.url.split("#")[0]).status_code == 200, (user, hit)


def test_several_matches_are_listed_and_none_says_so(records):
    from evqms.testing import factories as f

    # A second material's lot with the same number (lot numbers are unique per material only).
    f.material_lot("Human platelet lysate", "XF-24-001", kind="supplement")
    response = _client(records.qa).get("/search/", {"q": "XF-24-001"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Records whose identifier is “XF-24-001”: 2" in html and html.count("/trace/material_lot/") == 2
    response = _client(records.qa).get("/search/", {"q": "UCEV-T-999"})
    assert "Nothing found for “UCEV-T-999”." in response.content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "/",
        "../../etc/passwd",
        "UCEV/T/001",
        "<script>alert(1)</script>",
        "x" * 5000,
        "é" * 300,
        "\x00",
        "UCEV\x00-T-001",
        "🧪",
    ],
)
def test_odd_input_never_fails(records, typed):
    response = _client(records.qa).get("/search/", {"q": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    if not typed.strip():
        assert 'id="search-empty"' in html
    else:
        assert 'id="search-none"' in html
    assert search.find(records.qa, typed) == []


def test_the_search_page_speaks_japanese(records):
    response = _client(records.qa, "ja").get("/search/", {"q": "ｕｃｅｖ-ｔ-９９９"})
    assert response.status_code == 200
    assert "「ucev-t-999」に一致する記録はありません。" in response.content.decode()


def test_a_deviation_without_a_lot_and_a_change_request_open_their_own_pages(records):
    from django.db import transaction

    from evqms.changes import services as changes
    from evqms.lots.services.deviations import new_quality_deviation

    with transaction.atomic():
        deviation = new_quality_deviation(
            actor=records.qa, source="manual", description="HVAC alarm in the corridor"
        )
    change = changes.propose_change(actor=records.qa, kind="facility", title="New HVAC", description="d")
    client = _client(records.qa)
    assert (
        client.get("/search/", {"q": deviation.number.lower()})["Location"]
        == f"/deviations/{deviation.number}/"
    )
    assert client.get("/search/", {"q": change.number})["Location"] == f"/changes/{change.number}/"
