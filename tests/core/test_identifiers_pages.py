"""No stored or typed identifier makes a page answer 500: lot creation (form and API), the lists,
the lot page, search and trace, with legacy rows stored before the identifier rule and with
arbitrary Unicode typed by a person (hypothesis)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from evqms.core import identifiers
from evqms.inventory.models import Aliquot, StorageLocation
from evqms.lots.models import Lot
from evqms.testing import factories

pytestmark = pytest.mark.django_db

LEGACY = ["UCEV/24/002", "</script><b>x", "ＵＣＥＶ－２４－００３", "UCEV 24 🧪", "..", "ucev-24-001"]


@pytest.fixture
def world(make_user):
    prod = factories.product()
    return {
        "user": make_user("everyone", "operator", "qc_analyst", "qa_reviewer", "physician", "auditor"),
        "product": prod,
        "process": factories.process(prod),
        "specification": factories.specification(prod),
        "bank": factories.cell_bank(),
    }


def _client(user, language="en"):
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(user)
    return c


def _legacy_rows(user):
    """Rows as an older version stored them: straight into the tables, no rule."""
    factories.lot("UCEV-24-001", status="released")
    for number in LEGACY[:-1]:
        factories.lot(number, status="released")
    site = StorageLocation.objects.create(code="Freezer/1 <A>", name="Freezer", kind="site")
    lot = Lot.objects.get(number="UCEV/24/002")
    now = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    Aliquot.objects.create(
        container_id="UCEV/24/002-A001", lot=lot, volume_ml=1, location=site, created_by=user, created_at=now
    )
    factories.donor("D/0002")


def test_list_pages_survive_legacy_rows(world):
    _legacy_rows(world["user"])
    c = _client(world["user"])
    pages = [
        "/lots/",
        "/lots/?q=UCEV",
        "/lots/?q=%EF%BC%B5%EF%BC%A3",  # full-width "ＵＣ" finds the lots as stored
        "/lots/UCEV-24-001/",
        "/inventory/",
        "/inventory/?lot=UCEV/24/002",
        "/inventory/locations/",
        "/trace/",
        "/trace/donor/D-0001/",
        "/trace/lot/UCEV-24-001/",
        "/trace/?direction=lot&code=UCEV/24/002",
        "/dossier/",
        "/identifiers/",
        "/api/v1/lots/",
        "/api/v1/lots/?search=/",
    ]
    for url in pages:
        r = c.get(url)
        assert r.status_code in (200, 404), (url, r.status_code)
        if r["Content-Type"].startswith("text/html"):  # JSON carries the value as data
            assert b"</script><b>x" not in r.content, url
    lots = c.get("/lots/").content.decode()
    # the bad number is shown, escaped and unlinked; the good one is linked
    assert "&lt;/script&gt;&lt;b&gt;x" in lots
    assert 'href="/lots/UCEV-24-001/"' in lots
    assert 'href="/lots/UCEV/24/002/"' not in lots
    assert c.get("/lots/?q=%EF%BC%B5%EF%BC%A3").context["page"].paginator.count == len(LEGACY)
    check = c.get("/identifiers/").content.decode()
    for value in (
        "UCEV/24/002",
        "&lt;/script&gt;&lt;b&gt;x",
        "ＵＣＥＶ－２４－００３",
        "Freezer/1 &lt;A&gt;",
        "D/0002",
    ):
        assert value in check


def test_qa_corrects_a_legacy_identifier_with_a_reason(world):
    from evqms.audit.models import AuditEvent

    _legacy_rows(world["user"])
    c = _client(world["user"])
    bad = Lot.objects.get(number="UCEV/24/002")
    form = {"kind": "lot", "pk": bad.pk, "old": "UCEV/24/002", "new": "ucev-24-001", "reason": ""}
    r = c.post("/identifiers/", form)
    assert r.status_code == 400 and "reason" in r.context["form"].errors
    r = c.post("/identifiers/", {**form, "reason": "typo at entry"})
    assert r.status_code == 400 and "new" in r.context["form"].errors  # the same as UCEV-24-001 ignoring case
    r = c.post(
        "/identifiers/", {**form, "new": "ＵＣＥＶ－２４－００２", "reason": "slash typed for a hyphen"}
    )
    assert r.status_code == 302
    bad.refresh_from_db()
    assert bad.number == "UCEV-24-002"
    event = AuditEvent.objects.filter(action="identifier.correct").get()
    assert json.loads(event.before) == {"number": "UCEV/24/002"}
    assert json.loads(event.after) == {"number": "UCEV-24-002"}
    assert event.reason == "slash typed for a hyphen"
    assert c.get("/lots/UCEV-24-002/").status_code == 200
    # only QA corrects
    other = factories.user("op-only", "operator")
    assert _client(other).post("/identifiers/", {**form, "reason": "x"}).status_code == 403


TRICKY = st.sampled_from(
    [
        "UCEV/24/9",
        "</script>",
        "ＵＣＥＶ－２４－９",
        "ucev-24-9",
        "UCEV-24-9",
        "🧪",
        "..",
        " a ",
        "a\x00b",
        "Ǆ-1",
        "ß",
    ]
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=st.one_of(TRICKY, st.text(max_size=40)))
def test_any_typed_identifier_round_trips_or_is_refused_on_its_field(world, value):
    user = world["user"]
    c = _client(user)
    form = {
        "number": value,
        "product": world["product"].pk,
        "process": world["process"].pk,
        "specification": world["specification"].pk,
        "cell_bank": world["bank"].pk,
        "manufactured_on": "2024-06-01",
    }
    r = c.post("/lots/new/", form)
    assert r.status_code in (302, 400), r.status_code
    if r.status_code == 302:
        stored = identifiers.normalise(value)
        lot = Lot.objects.get(number=stored)
        assert identifiers.is_valid("lot", lot.number)
        assert c.get(reverse("lots:lot-detail", args=[lot.number])).status_code == 200
        assert lot.number in c.get("/lots/").content.decode()
    else:
        assert list(r.context["form"].errors) == ["number"], r.context["form"].errors
    assert c.get("/lots/", {"q": value}).status_code == 200
    assert c.get("/trace/", {"direction": "lot", "code": value}).status_code in (200, 302, 404)
    assert c.get("/lots/" + quote(value, safe="") + "/").status_code in (200, 301, 302, 404)

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(user=user)
    body = {
        "product": world["product"].code,
        "process_version": 1,
        "specification_version": 1,
        "cell_bank": world["bank"].code,
        "number": value,
        "manufactured_on": "2024-06-01",
    }
    r = api.post("/api/v1/lots/", body, format="json")
    assert r.status_code in (201, 400), (r.status_code, r.content)
    if r.status_code == 400:
        assert r.json()["where"] == "number", r.json()
    else:
        assert r.json()["number"] == identifiers.normalise(value)
    assert api.get("/api/v1/lots/", {"search": value}).status_code == 200
    assert api.get("/api/v1/lots/" + quote(value, safe="") + "/").status_code in (200, 404)
