"""The work queue of CAPA: an owner's open actions (due as planned) and QA's effectiveness checks
falling due within two weeks, decided by the permissions the services check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.capa import selectors, services

pytestmark = pytest.mark.django_db


def test_tasks_for_owner_and_qa(world):
    today = timezone.localdate()
    capa = services.create_capa(
        actor=world.qa, title="x", kind="corrective", source_reference="C-1", effectiveness_after_days=20
    )
    soon = services.add_action(
        actor=world.qa, capa=capa, description="soon", owner=world.operator, due_on=today
    )
    assert [(t.kind, t.due, t.url) for t in selectors.tasks_for(world.operator)] == [
        ("capa.action", today, f"/capa/{capa.number}/")
    ]
    assert selectors.tasks_for(world.analyst) == []
    assert selectors.tasks_for(world.qa) == []  # QA owns no action; no check falls due yet
    # done 10 days ago with a 20-day interval: the check is due in 10 days, inside the two weeks
    services.complete_action(
        actor=world.operator, action=soon, evidence="e", done_on=today - dt.timedelta(days=10)
    )
    assert selectors.tasks_for(world.operator) == []
    tasks = selectors.tasks_for(world.qa)
    assert [(t.kind, t.due) for t in tasks] == [("capa.effectiveness", today + dt.timedelta(days=10))]
    capa.effectiveness_after_days = 40
    capa.save(update_fields=["effectiveness_after_days"])
    assert selectors.tasks_for(world.qa) == []  # due in 30 days, beyond the two weeks
    assert selectors.tasks_for(world.auditor) == []


def test_dashboard_card_counts_open_and_major(world):
    from evqms.lots.services import classify_deviation, open_deviation

    open_deviation(actor=world.qa, description="a")
    b = open_deviation(actor=world.qa, description="b")
    classify_deviation(actor=world.qa, deviation=b, classification="critical", reason="grade A")
    card = selectors.dashboard_card(world.auditor)
    assert card["value"] == 2 and "(1 major or critical)" in str(card["caption"])


def test_qa_is_asked_for_a_capa_on_each_open_major_deviation_without_one(world):
    from evqms.lots.services import classify_deviation, open_deviation

    minor = open_deviation(actor=world.qa, description="a")
    major = open_deviation(actor=world.qa, description="b")
    classify_deviation(actor=world.qa, deviation=major, classification="major", reason="r")
    tasks = selectors.tasks_for(world.qa)
    assert [(t.kind, t.url) for t in tasks] == [("deviation.capa_needed", f"/deviations/{major.number}/")]
    assert selectors.tasks_for(world.operator) == []
    services.create_capa(actor=world.qa, title="x", kind="corrective", deviations=[major])
    assert selectors.tasks_for(world.qa) == [] and minor.classification == "minor"
