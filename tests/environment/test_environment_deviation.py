"""An action-level result opens a deviation in the same transaction, naming the lots made in the
room that day (a step recorded there overlapping the local day), classified by the room's grade."""

from __future__ import annotations

import datetime as dt

import pytest

from evqms.environment import services
from evqms.environment.models import Sample
from evqms.errors import InputError
from evqms.lots.models import Deviation
from evqms.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lots_made(rooms, local, step_in_room):
    """L-B1 in the grade B room on 2 Nov; L-B2 there from the evening of 1 Nov into 2 Nov; L-B3 there on
    3 Nov only; L-C1 in the grade C room on 2 Nov."""
    made = {n: factories.lot(n) for n in ("L-B1", "L-B2", "L-B3", "L-C1")}
    step_in_room(made["L-B1"], rooms["B"], local(2026, 11, 2, 8), local(2026, 11, 2, 12))
    step_in_room(made["L-B2"], rooms["B"], local(2026, 11, 1, 22), local(2026, 11, 2, 1))
    step_in_room(made["L-B3"], rooms["B"], local(2026, 11, 3, 8), local(2026, 11, 3, 12))
    step_in_room(made["L-C1"], rooms["C"], local(2026, 11, 2, 8), local(2026, 11, 2, 12))
    return made


def test_action_in_grade_b_opens_a_critical_deviation_naming_that_days_lots(people, points, lots_made, local):
    s = services.record_result(
        actor=people["analyst"], point=points["B"], method="settle_plate", sampled_at=local(2026, 11, 2, 10),
        count=6, exposure_minutes=240,
    )  # fmt: skip
    assert s.verdict == "action"
    deviation = s.deviation
    assert deviation.source == "environment" and deviation.status == "open"
    assert deviation.classification == "critical"
    assert deviation.classification_rule == "environment-grade-a-b-action"
    assert sorted(lot.number for lot in deviation.affected_lots.all()) == ["L-B1", "L-B2"]
    assert deviation.occurred_at == local(2026, 11, 2, 10)
    assert s.number in deviation.description and "L-B1, L-B2" in deviation.description


def test_action_in_grade_c_is_proposed_major(people, points, lots_made, local):
    s = services.record_result(
        actor=people["analyst"], point=points["C"], method="settle_plate", sampled_at=local(2026, 11, 2, 10),
        count=51, exposure_minutes=120,
    )  # fmt: skip
    assert s.deviation.classification == "major"
    assert [lot.number for lot in s.deviation.affected_lots.all()] == ["L-C1"]


def test_action_with_no_lot_that_day_still_opens_a_deviation(people, points, local):
    s = services.record_result(
        actor=people["analyst"], point=points["B"], method="particles_5", occupancy="at_rest",
        sampled_at=local(2026, 11, 8, 7), particles_per_m3=30,
    )  # fmt: skip
    assert s.verdict == "action" and s.deviation is not None
    assert s.deviation.affected_lots.count() == 0


def test_alert_and_at_limit_results_open_none(people, points, lots_made, local):
    for count in (3, 5):  # alert; exactly the action limit
        s = services.record_result(
            actor=people["analyst"], point=points["B"], method="contact_plate",
            sampled_at=local(2026, 11, 2, 9 + count), count=count,
        )  # fmt: skip
        assert s.deviation is None
    assert not Deviation.objects.filter(source="environment").exists()


def test_a_refused_result_leaves_neither_sample_nor_deviation(people, points, lots_made, local, monkeypatch):
    from evqms.environment import services as em

    def refuse(**kwargs):
        raise InputError("refused", where="description")

    monkeypatch.setattr(em, "new_quality_deviation", refuse)
    with pytest.raises(InputError):
        services.record_result(
            actor=people["analyst"], point=points["B"], method="settle_plate", sampled_at=local(2026, 11, 2, 10),
            count=9, exposure_minutes=240,
        )  # fmt: skip
    assert not Sample.objects.exists()
    assert not Deviation.objects.filter(source="environment").exists()


def test_the_import_opens_the_deviation_too(people, points, lots_made):
    from evqms.environment.importer import import_results

    data = (
        "point,method,sampled_at,count,volume_litres\n"
        f"B1-SP01,active_air,{dt.date(2026, 11, 3).isoformat()}T10:00,11,1000\n"
    ).encode()
    report = import_results(actor=people["analyst"], filename="air.csv", data=data)
    assert report.ok
    s = Sample.objects.get(number=report.created[0])
    assert s.verdict == "action"  # 11 cfu/m3 above 10
    assert [lot.number for lot in s.deviation.affected_lots.all()] == ["L-B3"]


def test_the_sample_page_links_its_deviation_and_that_days_lots(client, people, points, lots_made, local):
    s = services.record_result(
        actor=people["analyst"], point=points["B"], method="settle_plate", sampled_at=local(2026, 11, 2, 10),
        count=6, exposure_minutes=240,
    )  # fmt: skip
    client.force_login(people["qa"])
    html = client.get(f"/environment/samples/{s.number}/").content.decode()
    assert f'href="/deviations/{s.deviation.number}/"' in html
    assert 'href="/lots/L-B1/"' in html and 'href="/lots/L-B2/"' in html


def test_the_lot_page_names_the_excursion_that_holds_it_until_closed(
    client, people, points, lots_made, local
):
    s = services.record_result(
        actor=people["analyst"], point=points["B"], method="settle_plate", sampled_at=local(2026, 11, 2, 10),
        count=6, exposure_minutes=240,
    )  # fmt: skip
    client.force_login(people["qa"])
    html = client.get("/lots/L-B1/").content.decode()
    assert 'id="lot-excursions"' in html and f'href="/deviations/{s.deviation.number}/"' in html
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    html = client.get("/lots/L-B1/").content.decode()
    assert "QAが逸脱を完了するまで" in html
    assert 'id="lot-excursions"' not in client.get("/lots/L-B3/").content.decode()  # made on 3 Nov
    Deviation.objects.filter(pk=s.deviation.pk).update(status="closed")
    assert 'id="lot-excursions"' not in client.get("/lots/L-B1/").content.decode()
