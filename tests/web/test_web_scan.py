"""The scan page (web.scan): what a label's QR code, a hardware scanner or a typed code holds opens
its record; an address on another site, an address that is no page and an unknown code are named
back to the person, never followed."""

from __future__ import annotations

import datetime as dt

import pytest
import segno
from django.test import Client, override_settings

from evqms.inventory import selectors as inventory_selectors
from evqms.inventory import services as inventory_services
from evqms.testing import factories as f
from evqms.web import scan

pytestmark = pytest.mark.django_db


def _client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def bench(world):
    world.lot = world.in_qc("UCEV-T-001")
    released = f.lot("UCEV-T-009", status="released")
    (world.aliquot,) = inventory_services.create_aliquots(
        actor=world.operator, lot=released, count=1, volume_ml="0.5"
    )
    return world


@override_settings(EVQMS_BASE_URL="https://evqms.example.org")
def test_the_label_code_holds_the_absolute_address_of_the_aliquot_page(bench):
    expected = "https://evqms.example.org/inventory/aliquots/UCEV-T-009-A001/"
    assert inventory_selectors.label_url(bench.aliquot) == expected
    # The code drawn is the code of exactly that address (segno encodes; we choose what).
    drawn = inventory_selectors.label_svg(bench.aliquot)
    assert segno.make(expected, error="m").svg_inline(scale=3, dark="#000", title="UCEV-T-009-A001") == drawn
    assert "<title>UCEV-T-009-A001</title>" in drawn  # the code's text alternative


@override_settings(EVQMS_BASE_URL="https://evqms.example.org")
def test_a_scanned_address_opens_the_record_through_the_login(bench):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = "/inventory/aliquots/UCEV-T-009-A001/"
    response = anonymous.get(page)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=" + page
    signed_in = anonymous.post(
        "/accounts/login/?next=" + page,
        {"username": bench.operator.username, "password": bench.operator.raw_password},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == page
    # On the scan page the same address goes to the same page, at either host name.
    client = _client(bench.operator)
    for code in (
        "https://evqms.example.org" + page,
        "HTTPS://EVQMS.EXAMPLE.ORG" + page,
        "http://testserver" + page,  # the host the page was opened on (a workstation's address)
        page,
    ):
        response = client.get("/scan/", {"code": code})
        assert (response.status_code, response["Location"]) == (302, page), code


def test_identifiers_and_old_labels_open_their_record_like_the_search_box(bench):
    client = _client(bench.qa)
    for code in ("UCEV-T-001", " ucev-t-001\n", "ＵＣＥＶ－Ｔ－００１"):
        assert client.get("/scan/", {"code": code})["Location"] == "/lots/UCEV-T-001/", code
    # Labels printed before they held an address: EVQMS|<container id>|<lot>.
    response = client.get("/scan/", {"code": "EVQMS|UCEV-T-009-A001|UCEV-T-009"})
    assert response["Location"] == "/inventory/aliquots/UCEV-T-009-A001/"
    assert client.get("/scan/", {"code": "ucev-t-009-a001"})["Location"] == (
        "/inventory/aliquots/UCEV-T-009-A001/"
    )


@pytest.mark.parametrize(
    ("code", "english", "japanese"),
    [
        (
            "NO-SUCH-CODE-7",
            "Nothing found for “NO-SUCH-CODE-7”: no record you may open has this code.",
            "「NO-SUCH-CODE-7」は見つかりません。開ける記録にこのコードを持つものはありません。",
        ),
        (
            "https://phish.example.com/lots/UCEV-T-001/",
            "This code holds an address on another site (phish.example.com): it was not opened.",
            "このコードは他のサイトのアドレス（phish.example.com）です。開きませんでした。",
        ),
        (
            "/no/such/page/",
            "This code holds an address that is no page of evqms: “/no/such/page/”.",
            "このコードのアドレスは evqms のページではありません：「/no/such/page/」",
        ),
        (
            "//phish.example.com/",
            "This code holds an address that is no page of evqms: “//phish.example.com/”.",
            "このコードのアドレスは evqms のページではありません：「//phish.example.com/」",
        ),
    ],
)
def test_what_opens_nothing_is_named_in_both_languages(bench, code, english, japanese):
    for language, message in (("en", english), ("ja", japanese)):
        response = _client(bench.qa, language).get("/scan/", {"code": code})
        assert response.status_code == 200
        body = response.content.decode()
        assert message in body, (language, body[body.find('id="scan-problem"') :][:300])
        assert 'id="scan-code"' in body  # the box to try again


def test_a_code_opens_only_what_the_role_may_open(bench, make_user):
    from evqms.clinical.services.patients import register_patient

    physician = make_user("doc-scan", "physician")
    register_patient(
        actor=physician, code="PT-0042", clinic_identifier="chart 42", consented_on=dt.date(2026, 1, 5)
    )
    # Patient codes are for those who may see them (clinical.view_patient_codes), as in the search box.
    assert scan.read(physician, "PT-0042").url == "/clinical/?q=PT-0042"
    result = scan.read(bench.analyst, "PT-0042")
    assert result.url is None and result.problem == "not_found"
    # The API, static files and the admin are never a scan's destination.
    for path in ("/api/v1/lots/", "/static/web/evqms.css", "/admin/"):
        assert scan.read(bench.qa, path).problem == "no_page", path


def test_the_page_offers_the_box_and_the_camera_only_by_script(bench):
    body = _client(bench.operator).get("/scan/").content.decode()
    assert 'id="scan-form"' in body and 'name="code"' in body and "autofocus" in body
    assert '<div class="card" id="scan-camera" hidden' in body  # shown by scan.js where it works
    assert "/static/web/scan.js" in body and "<script>" not in body  # no inline script (CSP)
    assert 'id="scan-link"' in body  # in the header of every page
