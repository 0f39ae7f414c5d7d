"""The work queue (web.worklist): each role sees exactly the tasks it may do, each task's page opens
for it (200) and the service behind the task would accept it; ordered oldest due first; the count of
queries does not grow with the number of tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evqms.core.tasks import Task, ordered
from evqms.testing.world import passing_controls
from evqms.web import worklist
from evqms.web.demo import load_demo

pytestmark = pytest.mark.django_db

# The permission the service behind each kind checks (what the person would be refused without it).
ACTION = {
    "qc.verify": "lots.verify_qc_result",
    "lot.release": "lots.release_lot",
    "deviation.close": "lots.close_deviation",
    "retention.take": "inventory.record_retention",
    "retention.missing": "inventory.record_retention",
    "retention.end": "inventory.record_retention",
    "safety.report": "clinical.record_safety_report",
    "visit.due": "clinical.record_evaluation",
    "recall.unit": "trace.recall_effectiveness",
    "recall.close": "trace.recall",
    "hold.review": "trace.hold",
    "change.close": "changes.close",
    "capa.action": "capa.view",  # the owner completes it (capa.complete_action is per action)
    "deviation.capa_needed": "capa.manage",
    "em.review": "environment.review",
    "em.sample_due": "environment.record",
    "equipment.calibration": "equipment.record_calibration",
    "equipment.maintenance": "equipment.record_maintenance",
    "training.due": "training.view",  # to be trained: QA records it
    "media_fill.requalify": "training.view",
}

RETENTION = {"retention.take", "retention.missing", "retention.end"}
# Who sees which kind in the scenario below (qa made the recall and the hold; qa2 touched nothing).
# The demo's quality records: the operator owns a CAPA action, a freezer due for maintenance and a
# training on the new gowning SOP; the analyst owns the overdue plate reader and samples the rooms;
# QA closes the implemented change, reviews EM results, requalifies the lapsed operator.
QA_QUALITY = {
    "change.close",
    "deviation.capa_needed",
    "em.review",
    "equipment.calibration",
    "equipment.maintenance",
    "media_fill.requalify",
    "training.due",
}
EXPECTED = {
    "operator": RETENTION | {"capa.action", "equipment.maintenance", "training.due"},
    # analyst2's results; never their own (asserted below)
    "analyst": {"qc.verify", "em.sample_due", "equipment.calibration"} | RETENTION,
    "analyst2": {"qc.verify", "em.sample_due"} | RETENTION,
    "qa": {"qc.verify", "deviation.close", "recall.close", "recall.unit", "hold.review"}
    | RETENTION
    | QA_QUALITY,  # + release?
    "qa2": {"qc.verify", "lot.release", "deviation.close", "recall.close", "recall.unit", "hold.review"}
    | RETENTION
    | QA_QUALITY,
    "physician": {"safety.report", "visit.due"},
    "auditor": set(),
    "admin": set(),
}


def _scenario(make_user, rf_request):
    """The demo, plus one record of every kind of task, made through the services."""
    from evqms.clinical.services.safety import schedule_periodic_report
    from evqms.dossier.models import CellBank, Product
    from evqms.inventory.models import RetentionSample
    from evqms.lots import services as lots
    from evqms.lots.models import Lot, QCResult
    from evqms.testing.world import PASSING
    from evqms.trace.services.holds import place_hold
    from evqms.trace.services.recalls import close_recall_unit, recall_lot

    logins = {row["username"]: row["password"] for row in load_demo()}
    users = {u.username: u for u in get_user_model().objects.all()}
    qa2 = make_user("qa2", "qa_reviewer")
    users["qa2"] = qa2
    lot2 = Lot.objects.get(number="UCEV-24-002")
    drift = lots.open_deviation(actor=users["operator"], lot=lot2, description="pH drift during harvest")
    # A major deviation with no CAPA yet: QA's "link or create a CAPA" task (the demo's own
    # excursion is worked to closure through its CAPA).
    lots.classify_deviation(
        actor=users["qa"], deviation=drift, classification="major", reason="pH outside CPP"
    )
    # UCEV-24-002 (in QC) completes QC with one result still unverified: awaiting both the second
    # person's check and QA's decision. Missing release results are entered by the second analyst.
    have = set(QCResult.objects.filter(lot=lot2, status="valid").values_list("attribute_id", flat=True))
    for attribute in lot2.specification.attributes.filter(stage="release").exclude(pk__in=have):
        value, unit, text = PASSING.get(attribute.code, (None, "", ""))
        _passing_result(lots, users["analyst2"], lot2, attribute, value, unit, text)
    lots.complete_qc(actor=users["analyst2"], lot=lot2)
    # One recall with a shipped unit still to confirm, one with nothing shipped (ready to close).
    from evqms.inventory.models import Aliquot, Consignee
    from evqms.inventory.services import create_aliquots, ship_aliquot
    from evqms.lots.models import Lot

    # the demo's cohort may have given every unit of the lot: fill one more to ship
    unit = (
        Aliquot.objects.filter(lot__number="UCEV-24-004", status="available").order_by("container_id").first()
        or create_aliquots(
            actor=users["operator"], lot=Lot.objects.get(number="UCEV-24-004"), count=1, volume_ml="1.0"
        )[0]
    )
    ship_aliquot(actor=users["operator"], aliquot=unit, consignee=Consignee.objects.order_by("code").first())
    for number in ("UCEV-24-004", "UCEV-24-001"):
        recall = recall_lot(
            request=rf_request, actor=users["qa"], lot=number, reason="endotoxin trend", password=logins["qa"]
        )
    for open_unit in recall.units.filter(outcome="open").select_related("aliquot"):
        close_recall_unit(
            actor=users["qa"],
            recall=recall,
            aliquot=open_unit.aliquot.container_id,
            outcome="administered",
            note="clinic",
        )
    bank = CellBank.objects.order_by("code").first()
    place_hold(actor=users["qa"], scope="cell_bank", code=bank.code, reason="mycoplasma suspected")
    schedule_periodic_report(
        actor=users["physician"],
        product=Product.objects.get(code="ucmsc-sev-oa"),
        period_start=timezone.localdate() - dt.timedelta(days=180),
        period_end=timezone.localdate() - dt.timedelta(days=1),
        due_on=timezone.localdate() + dt.timedelta(days=20),
    )
    # Kept samples: one whose period ends soon, and a released lot whose sample was used up.
    RetentionSample.objects.filter(lot__number="UCEV-24-004").update(
        retain_until=timezone.localdate() + dt.timedelta(days=10)
    )
    RetentionSample.objects.filter(lot__number="UCEV-24-001").update(status="consumed")
    return users, logins


def _passing_result(lots, analyst, lot, attribute, value, unit, text):
    from evqms.dossier.models import SpecAttribute

    if value is None and not text:  # an attribute the world's table does not know: its own limits
        spec = SpecAttribute.objects.get(pk=attribute.pk)
        if spec.kind == "qualitative":
            text = (spec.acceptable or spec.choices or ["negative"])[0]
        else:
            low, high = spec.lower, spec.upper
            if low is None and high is None:
                value = 1
            else:
                value = high if low is None else (low if high is None else (low + high) / 2)
            unit = spec.unit
    return lots.record_qc_result(
        actor=analyst,
        lot=lot,
        attribute=attribute,
        value=value,
        unit=unit,
        text_value=text,
        method="",
        tested_at=timezone.now(),
        controls=passing_controls(attribute),
    )


def test_each_role_sees_exactly_its_tasks_and_each_opens_and_would_be_accepted(make_user, rf_request):
    users, logins = _scenario(make_user, rf_request)
    from evqms.lots.models import Lot, QCResult
    from evqms.lots.services.qc_verification import verification_refusal
    from evqms.lots.services.release import prohibited_signers

    seen = {}
    lot2 = Lot.objects.get(number="UCEV-24-002")
    qa_may_release = users["qa"].pk not in {uid for uid, _why in prohibited_signers(lot2)}
    for username, expected in EXPECTED.items():
        if username == "qa" and qa_may_release:
            expected = expected | {"lot.release"}
        user = get_user_model().objects.get(username=username)
        tasks = worklist.tasks_for(user)
        kinds = {t.kind for t in tasks}
        assert kinds == expected, (username, kinds ^ expected)
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        for task in tasks:
            assert user.has_perm(ACTION[task.kind]), (username, task)
            path = task.url.split("#")[0]
            assert client.get(path).status_code == 200, (username, task.url)
            if task.kind == "qc.verify":  # the lot's results to select and verify with one signature
                assert path.startswith("/lots/qc/verify/?lot="), task.url
                number = path.split("?lot=")[1]
                assert number in client.get(path).content.decode()
                pending = QCResult.objects.filter(
                    lot__number=number, verified_by__isnull=True, status="valid"
                )
                for r in pending.exclude(analyst=user):
                    lot = r.lot
                    assert (
                        verification_refusal(
                            user, lot=lot, analyst=r.analyst.username, status=r.status, verified=False
                        )
                        is None
                    )
            if task.kind == "lot.release":
                lot = Lot.objects.get(number=path.strip("/").split("/")[-1])
                assert user.pk not in {uid for uid, _why in prohibited_signers(lot)}
        seen[username] = tasks
    # the analyst is offered only the results analyst2 entered, not their own
    [own] = [t for t in seen["analyst"] if t.kind == "qc.verify"]
    theirs = QCResult.objects.filter(lot=lot2, verified_by__isnull=True, status="valid")
    mine = theirs.exclude(analyst=users["analyst"]).count()
    assert theirs.filter(analyst=users["analyst"]).exists() and f"({mine} to verify)" in own.title
    assert [t.title for t in seen["qa2"] if t.kind == "lot.release"] == ["Release or reject lot UCEV-24-002"]
    # every kind of task is offered to someone
    assert {t.kind for tasks in seen.values() for t in tasks} == set(ACTION)
    # the dashboard lists them, linked, oldest due first
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["qa2"])
    html = client.get("/").content.decode()
    # (the oldest ten: the demo's quality records fall due before this lot's release)
    assert 'id="my-tasks"' in html and seen["qa2"][0].url in html
    assert "/lots/UCEV-24-002/#release-gate" in client.get("/tasks/").content.decode()
    dues = [t.due_day() or dt.date.max for t in seen["qa2"]]
    assert dues == sorted(dues)


def test_the_queue_takes_the_same_number_of_queries_for_one_task_or_many(
    world, make_user, django_assert_max_num_queries
):
    from evqms.lots import services as lots
    from evqms.trace.services.holds import place_hold

    qa = world.qa
    lot = world.in_qc("UCEV-T-001")
    world.test_all(lot, verify=False)
    lots.open_deviation(actor=world.operator, lot=lot, description="first")

    def count() -> int:
        user = get_user_model().objects.get(pk=qa.pk)  # fresh: roles read once, as on a request
        with CaptureQueriesContext(connection) as ctx:
            tasks = worklist.tasks_for(user)
        return len(ctx.captured_queries), len(tasks)

    few_queries, few = count()
    for n in range(2, 6):
        other = world.in_qc(f"UCEV-T-00{n}")
        world.test_all(other, verify=False)
        lots.open_deviation(actor=world.operator, lot=other, description=f"deviation {n}")
    place_hold(actor=qa, scope="cell_bank", code=world.bank.code, reason="review")
    many_queries, many = count()
    assert many >= few + 8
    assert many_queries == few_queries
    user = get_user_model().objects.get(pk=qa.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    with django_assert_max_num_queries(few_queries + 50):  # the cards of every area, a fixed number
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(few_queries + 25):
        assert client.get("/tasks/").status_code == 200


def test_deviation_due_thirty_days_after_it_was_opened_and_overdue_after(world, settings):
    from evqms.lots import services as lots
    from evqms.lots.models import Deviation

    lot = world.in_qc("UCEV-T-001")
    dev = lots.open_deviation(actor=world.operator, lot=lot, description="late")
    opened = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # 2026-03-02 08:30 in Tokyo
    Deviation.objects.filter(pk=dev.pk).update(opened_at=opened)
    [task] = [t for t in worklist.tasks_for(world.qa) if t.kind == "deviation.close"]
    # 2026-03-02 (the local day it was opened) + 30 days = 2026-04-01, counted by hand
    assert task.due == dt.date(2026, 4, 1)
    assert task.overdue(dt.date(2026, 4, 2)) and not task.overdue(dt.date(2026, 4, 1))
    settings.EVQMS_TASK_DAYS = {"deviation.close": 10}
    [task] = [t for t in worklist.tasks_for(world.qa) if t.kind == "deviation.close"]
    assert task.due == dt.date(2026, 3, 12)


def test_no_one_is_offered_their_own_result_or_the_release_of_a_lot_they_tested(world):
    lot = world.in_qc("UCEV-T-001")
    world.test_all(lot, verify=False)
    assert not [t for t in worklist.tasks_for(world.analyst) if t.kind == "qc.verify"]
    [task] = [t for t in worklist.tasks_for(world.analyst2) if t.kind == "qc.verify"]
    assert task.title == "Verify the QC results of lot UCEV-T-001 (5 to verify)"
    assert task.url == "/lots/qc/verify/?lot=UCEV-T-001"
    released = world.quarantined_lot("UCEV-T-002")
    assert [t.url for t in worklist.tasks_for(world.qa) if t.kind == "lot.release"] == [
        f"/lots/{released.number}/#release-gate"
    ]
    assert not worklist.tasks_for(world.auditor)


def test_ordered_puts_the_oldest_due_first_and_undated_last():
    a = Task("x", "a", "/a/", dt.date(2026, 1, 3))
    b = Task("x", "b", "/b/", None)
    c = Task("x", "c", "/c/", dt.datetime(2026, 1, 1, 20, 0, tzinfo=dt.UTC))  # 2026-01-02 in Tokyo
    assert [t.title for t in ordered([a, b, c])] == ["c", "a", "b"]
    s = worklist.summary(ordered([a, b, c]), today=dt.date(2026, 1, 3))
    assert (s.total, s.overdue, s.due_today) == (3, 1, 1)


def test_the_tasks_page_filters_by_kind(world):
    from evqms.lots import services as lots

    lot = world.in_qc("UCEV-T-001")
    world.test_all(lot, verify=False)
    lots.open_deviation(actor=world.operator, lot=lot, description="one")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.qa)
    html = client.get("/tasks/?kind=deviation.close").content.decode()
    assert "Investigate and close deviation DEV-UCEV-T-001-01" in html
    assert "Verify the QC results" not in html
    html = client.get("/tasks/").content.decode()
    assert "Investigate and close deviation" in html and "Verify the QC results" in html
    assert client.get("/tasks/?kind=%3Cscript%3E").status_code == 200


def test_every_areas_tasks_for_is_gathered_into_the_queue():
    """An area that offers `selectors.tasks_for` and is not in TASK_SOURCES fails here, naming it,
    instead of its tasks silently missing from every dashboard and e-mail."""
    import importlib

    from django.apps import apps

    offered = {}
    for app in apps.get_app_configs():
        if not app.name.startswith("evqms."):
            continue
        try:
            module = importlib.import_module(f"{app.name}.selectors")
        except ModuleNotFoundError:
            continue
        if callable(getattr(module, "tasks_for", None)):
            offered[app.name] = module.tasks_for
    missing = sorted(name for name, fn in offered.items() if fn not in worklist.TASK_SOURCES)
    assert missing == [], f"add {missing} selectors.tasks_for to web/worklist.py TASK_SOURCES"
    assert {"evqms.lots", "evqms.inventory", "evqms.clinical", "evqms.trace"} <= set(offered)
