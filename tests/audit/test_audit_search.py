"""Searching the trail by business key finds the record's events and its children's, and nothing
else; local-day boundaries; a search's query count does not grow with the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from evqms.audit import keys
from evqms.audit.models import AuditEvent
from evqms.audit.search import TrailFilter, local_day_start, search
from evqms.audit.services import record_event
from evqms.errors import InputError
from evqms.testing.trail import build_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world, rf_request, make_user):
    return build_history(world, rf_request, make_user)


def _found(**params):
    return {(e.object_type, e.object_id) for e in search(TrailFilter.from_params(params)).events}


def _ids(model, **filters):
    return {str(pk) for pk in model.objects.filter(**filters).values_list("pk", flat=True)}


def test_a_lot_number_finds_the_lot_and_its_records_and_nothing_else(history):
    from evqms.inventory.models import Aliquot
    from evqms.lots.models import QCResult

    lot_a = history["lot_a"]
    found = _found(kind="lot", key="ucev-a")  # case and width are forgiven, as everywhere
    expected = (
        {("lot", str(lot_a.pk)), ("deviation", str(history["deviation"].pk))}
        | {("qc_result", i) for i in _ids(QCResult, lot=lot_a)}
        | {("aliquot", i) for i in _ids(Aliquot, lot=lot_a)}
        | {("hold", str(history["hold"].pk)), ("recall", str(history["recall"].pk))}
        # the administered aliquot's administration, and its adverse event
        | {("administration", str(history["adm"].pk)), ("adverse_event", str(history["ae"].pk))}
    )
    assert found == expected
    assert ("lot", str(history["lot_b"].pk)) not in found
    # Its own events include the steps, materials, release signature and the recall on the lot.
    actions = set(
        search(TrailFilter(kind="lot", key="UCEV-A", children=False)).events.values_list("action", flat=True)
    )
    assert {"lot.create", "lot.step", "lot.material_usage", "signature.release", "lot.recall"} <= actions
    assert not any(a.startswith("qc_result.") for a in actions)
    assert _found(key="UCEV-A") == expected  # any kind of key


def test_each_kind_of_key_finds_its_record(history, world):
    h = history
    assert _found(kind="aliquot", key=h["aliquots"][1].container_id) == {
        ("aliquot", str(h["aliquots"][1].pk))
    }
    administered = _found(kind="aliquot", key=h["aliquots"][0].container_id)
    assert ("administration", str(h["adm"].pk)) in administered
    assert _found(kind="patient", key="P-7") == {
        ("patient", str(h["patient"].pk)),
        ("administration", str(h["adm"].pk)),
        ("adverse_event", str(h["ae"].pk)),
    }
    assert _found(kind="deviation", key=h["deviation"].number) == {("deviation", str(h["deviation"].pk))}
    assert _found(kind="recall", key=h["recall"].number) == {("recall", str(h["recall"].pk))}
    assert _found(kind="hold", key=h["hold"].number) == {("hold", str(h["hold"].pk))}
    assert _found(kind="cell_bank", key=world.bank.code) == {("hold", str(h["hold"].pk))}  # no own event
    assert _found(kind="adverse_event", key=h["ae"].number) == {("adverse_event", str(h["ae"].pk))}
    assert _found(kind="user", key="doc1") == {("user", str(h["physician"].pk))}
    assert _found(kind="lot", key="UCEV-NONE") == set()
    assert search(TrailFilter(kind="lot", key="UCEV-NONE")).notes


def test_a_record_named_as_the_trail_names_it_the_history_links(history):
    lot_a = history["lot_a"]
    assert _found(object_type="lot", object_id=str(lot_a.pk)) == _found(kind="lot", key="UCEV-A")
    alone = _found(object_type="lot", object_id=str(lot_a.pk), children="0")
    assert alone == {("lot", str(lot_a.pk))}


def test_who_acted_action_area_and_words_in_the_reason(history, world):
    by_physician = search(TrailFilter(actor="doc1")).events
    assert set(by_physician.values_list("actor_name", flat=True)) == {"doc1"}
    assert by_physician.count() >= 3
    assert set(search(TrailFilter(action="signature.")).events.values_list("action", flat=True)) >= {
        "signature.release"
    }
    clinical = set(search(TrailFilter(area="clinical")).events.values_list("object_type", flat=True))
    assert clinical and clinical <= set(keys.area_types("clinical"))
    words = search(TrailFilter(text="endotoxin")).events  # reason "Endotoxin OOS", any case
    assert words.exists() and all("endotoxin" in e.reason.lower() for e in words)


def _event_at(monkeypatch, when: dt.datetime, reason: str) -> AuditEvent:
    monkeypatch.setattr("evqms.audit.services._utc_now", lambda: when)
    with transaction.atomic():
        return record_event(actor=None, action="test.dated", object_type="thing", object_id=1, reason=reason)


def test_dates_are_local_days(monkeypatch, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    timezone.activate("Asia/Tokyo")
    try:
        utc = dt.UTC
        # 23:30 UTC on 1 March is 08:30 JST on 2 March; 14:59:59 UTC is 23:59:59 JST the same day.
        _event_at(monkeypatch, dt.datetime(2026, 3, 1, 23, 30, tzinfo=utc), "late UTC")
        _event_at(monkeypatch, dt.datetime(2026, 3, 1, 14, 59, 59, tzinfo=utc), "last JST second")
        _event_at(monkeypatch, dt.datetime(2026, 3, 1, 15, 0, 0, tzinfo=utc), "first JST second")

        def reasons(**params):
            return set(
                search(TrailFilter.from_params({"action": "test.dated", **params})).events.values_list(
                    "reason", flat=True
                )
            )

        assert reasons(since="2026-03-02", until="2026-03-02") == {"late UTC", "first JST second"}
        assert reasons(until="2026-03-01") == {"last JST second"}
        assert reasons(since="2026-03-01", until="2026-03-01") == {"last JST second"}
        assert local_day_start(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 1, 15, 0, tzinfo=utc)
    finally:
        timezone.deactivate()


@pytest.mark.parametrize(
    "params,field",
    [
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"kind": "spaceship"}, "kind"),
        ({"area": "nowhere"}, "area"),
        ({"object_id": "3"}, "object_type"),
        ({"key": "x" * 201}, "key"),
    ],
)
def test_a_bad_filter_names_its_field(params, field):
    with pytest.raises(InputError) as exc:
        TrailFilter.from_params(params)
    assert exc.value.where == field


def _many(n):
    with transaction.atomic():
        for i in range(n):
            record_event(
                actor=None, action="lot.note", object_type="lot", object_id=999_999, reason=f"note {i}"
            )


@pytest.mark.parametrize("rows", [3, 120])
def test_the_search_page_reads_in_a_fixed_number_of_queries(
    history, client, world, django_assert_max_num_queries, rows
):
    """The same bound with 3 and 120 extra events, with a key whose record has many children."""
    _many(rows)
    client.force_login(world.auditor)
    url = reverse("audit:trail")
    with django_assert_max_num_queries(40):
        assert client.get(url, {"kind": "lot", "key": "UCEV-A"}).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(url, {"action": "lot.", "page": "2"}).status_code == 200


def test_the_page_shows_the_key_and_links_the_events(history, client, world):
    client.force_login(world.auditor)
    page = client.get(reverse("audit:trail"), {"kind": "lot", "key": "UCEV-A"}).content.decode()
    assert 'id="trail-scope"' in page and "UCEV-A" in page
    assert reverse("lots:lot-detail", args=["UCEV-A"]) in page
    assert 'class="event-link"' in page
    bad = client.get(reverse("audit:trail"), {"since": "yesterday"})
    assert bad.status_code == 400 and b"trail-error" in bad.content


def test_only_those_who_read_the_trail_search_it(history, client, world):
    client.force_login(world.operator)
    assert client.get(reverse("audit:trail"), {"key": "UCEV-A"}).status_code == 403


def test_every_detail_page_links_its_history(history, client, world, make_user):
    """The History link on each record's page opens the trail filtered to that record."""
    h = history
    client.force_login(world.auditor)
    pages = {
        reverse("lots:lot-detail", args=["UCEV-A"]): ("lot", h["lot_a"].pk),
        reverse("inventory:aliquot-detail", args=[h["aliquots"][0].container_id]): (
            "aliquot",
            h["aliquots"][0].pk,
        ),
        reverse("clinical:administration-detail", args=[h["adm"].number]): ("administration", h["adm"].pk),
        reverse("clinical:adverse-event-detail", args=[h["ae"].number]): ("adverse_event", h["ae"].pk),
        reverse("trace:recall-detail", args=[h["recall"].number]): ("recall", h["recall"].pk),
        reverse("trace:hold-detail", args=[h["hold"].number]): ("hold", h["hold"].pk),
        reverse("dossier:product-detail", args=[world.product.code]): ("product", world.product.pk),
    }
    for url, (object_type, pk) in pages.items():
        page = client.get(url).content.decode()
        assert f"?object_type={object_type}&amp;object_id={pk}" in page, url
    admin = make_user("admin-links", "administrator")
    client.force_login(admin)
    page = client.get(reverse("accounts:user-detail", args=["doc1"])).content.decode()
    assert f"?object_type=user&amp;object_id={h['physician'].pk}" in page
    client.force_login(world.operator)  # may open the lot, not the trail: no link
    assert 'id="history-link"' not in client.get(reverse("lots:lot-detail", args=["UCEV-A"])).content.decode()
