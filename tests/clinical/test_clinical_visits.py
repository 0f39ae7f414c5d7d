"""Baselines before an administration, the follow-up visits planned from them, done and missed visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from evqms.audit.models import AuditEvent
from evqms.clinical import selectors, services
from evqms.clinical.models import Evaluation, FollowUpVisit
from evqms.clinical.services.visits import due_date, visit_state
from evqms.errors import InputError, RuleViolation

TOKYO = ZoneInfo("Asia/Tokyo")
# 31 January, so the month arithmetic meets short months.
GIVEN = dt.datetime(2025, 1, 31, 10, 0, tzinfo=TOKYO)


@pytest.fixture
def given(world):
    _op, doc, lot, aliquots, _p = world
    adm = services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id],
        administered_at=GIVEN,
        route="intra_articular",
    )
    use = services.enable_instrument(
        actor=doc, product=lot.product, instrument="nrs-pain", follow_up_months=[1, 3, 6, 12], window_days=14
    )
    return doc, adm, use


def test_due_dates_are_calendar_months():
    # Hand-computed: 31 Jan + 1 month = 28 Feb (2025 is not a leap year), + 3 = 30 Apr.
    assert due_date(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert due_date(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert due_date(dt.date(2025, 1, 31), 3) == dt.date(2025, 4, 30)
    assert due_date(dt.date(2025, 1, 31), 12) == dt.date(2026, 1, 31)


def test_a_baseline_plans_the_visits(given):
    doc, adm, use = given
    baseline = services.record_baseline(
        actor=doc,
        administration=adm,
        use=use,
        evaluated_at=GIVEN - dt.timedelta(hours=1),
        values={"pain": "7"},
    )
    assert baseline.kind == "baseline" and baseline.score == Decimal(7) and baseline.recorded_by == doc
    visits = list(FollowUpVisit.objects.filter(baseline=baseline).order_by("month"))
    # Hand-computed from 2025-01-31 with a window of ± 14 days.
    assert [(v.month, v.due_on, v.window_start, v.window_end) for v in visits] == [
        (1, dt.date(2025, 2, 28), dt.date(2025, 2, 14), dt.date(2025, 3, 14)),
        (3, dt.date(2025, 4, 30), dt.date(2025, 4, 16), dt.date(2025, 5, 14)),
        (6, dt.date(2025, 7, 31), dt.date(2025, 7, 17), dt.date(2025, 8, 14)),
        (12, dt.date(2026, 1, 31), dt.date(2026, 1, 17), dt.date(2026, 2, 14)),
    ]
    event = AuditEvent.objects.filter(action="evaluation.baseline").latest("id")
    assert '"score":"7"' in event.after.replace(" ", "")
    with pytest.raises(RuleViolation, match="already has a nrs-pain baseline"):
        services.record_baseline(
            actor=doc,
            administration=adm,
            use=use,
            evaluated_at=GIVEN - dt.timedelta(hours=2),
            values={"pain": "6"},
        )


def test_a_baseline_after_the_administration_or_off_the_scale_is_refused(given):
    doc, adm, use = given
    with pytest.raises(InputError, match="before the administration") as exc:
        services.record_baseline(
            actor=doc,
            administration=adm,
            use=use,
            evaluated_at=GIVEN + dt.timedelta(minutes=1),
            values={"pain": "7"},
        )
    assert exc.value.where == "evaluated_at"
    with pytest.raises(InputError, match="outside the scale 0 to 10") as exc:
        services.record_baseline(
            actor=doc,
            administration=adm,
            use=use,
            evaluated_at=GIVEN - dt.timedelta(hours=1),
            values={"pain": "12"},
        )
    assert exc.value.where == "item_pain"
    assert not Evaluation.objects.exists() and not FollowUpVisit.objects.exists()  # nothing half-written


def test_visit_states_by_the_day():
    visit = FollowUpVisit(
        status="scheduled",
        due_on=dt.date(2025, 2, 28),
        window_start=dt.date(2025, 2, 14),
        window_end=dt.date(2025, 3, 14),
    )
    assert visit_state(visit, dt.date(2025, 2, 13)) == "upcoming"
    assert visit_state(visit, dt.date(2025, 2, 14)) == "due"
    assert visit_state(visit, dt.date(2025, 3, 14)) == "due"
    assert visit_state(visit, dt.date(2025, 3, 15)) == "overdue"
    visit.status = "missed"
    assert visit_state(visit, dt.date(2025, 3, 15)) == "missed"


def test_follow_up_and_missed_visits(given, make_user):
    doc, adm, use = given
    baseline = services.record_baseline(
        actor=doc,
        administration=adm,
        use=use,
        evaluated_at=GIVEN - dt.timedelta(hours=1),
        values={"pain": "7"},
    )
    m1, m3, m6, m12 = baseline.visits.order_by("month")
    ev = services.record_follow_up(
        actor=doc, visit=m1, evaluated_at=dt.datetime(2025, 3, 1, 11, 0, tzinfo=TOKYO), values={"pain": "3"}
    )
    m1.refresh_from_db()
    assert (m1.status, m1.evaluation_id, ev.kind, ev.score) == ("done", ev.pk, "follow_up", Decimal(3))
    with pytest.raises(RuleViolation, match="visit month 1 of ADM-.* is already done"):
        services.record_follow_up(
            actor=doc,
            visit=m1,
            evaluated_at=dt.datetime(2025, 3, 2, 11, 0, tzinfo=TOKYO),
            values={"pain": "2"},
        )
    with pytest.raises(InputError, match="say why") as exc:
        services.record_missed_visit(actor=doc, visit=m3, reason="  ")
    assert exc.value.where == "reason"
    services.record_missed_visit(actor=doc, visit=m3, reason="Moved away; could not be reached by phone")
    m3.refresh_from_db()
    assert m3.status == "missed" and m3.closed_by == doc
    with pytest.raises(RuleViolation, match="recorded as missed: Moved away"):
        services.record_follow_up(
            actor=doc,
            visit=m3,
            evaluated_at=dt.datetime(2025, 5, 1, 11, 0, tzinfo=TOKYO),
            values={"pain": "2"},
        )
    # What is due on 2025-08-01: month 6 (window 17 Jul - 14 Aug); month 3 is missed, not overdue.
    rows = selectors.visits_due_for(doc, today=dt.date(2025, 8, 1))
    assert [(r.visit.month, r.state) for r in rows] == [(6, "due")]
    # On 2025-08-15 month 6 is overdue; month 12 is not due yet.
    rows = selectors.visits_due_for(doc, today=dt.date(2025, 8, 15), include_missed=True)
    assert sorted((r.visit.month, r.state) for r in rows) == [(3, "missed"), (6, "overdue")]
    # Another physician's work queue does not hold this patient's visits; an operator sees none.
    assert selectors.visits_due_for(make_user("cl-doc2", "physician"), today=dt.date(2025, 8, 15)) == []
    assert selectors.visits_due_for(make_user("cl-op2", "operator"), today=dt.date(2025, 8, 15)) == []
    assert selectors.visits_due_for(make_user("cl-qa2", "qa_reviewer"), today=dt.date(2025, 8, 15))


def test_a_disabled_instrument_takes_no_new_baseline(given):
    doc, adm, use = given
    with pytest.raises(InputError, match="reason"):
        services.disable_instrument(actor=doc, use=use, reason="")
    services.disable_instrument(actor=doc, use=use, reason="Replaced by the VAS")
    with pytest.raises(RuleViolation, match="no longer used for"):
        services.record_baseline(
            actor=doc,
            administration=adm,
            use=use,
            evaluated_at=GIVEN - dt.timedelta(hours=1),
            values={"pain": "7"},
        )
    with pytest.raises(RuleViolation, match="no longer used for"):
        services.disable_instrument(actor=doc, use=use, reason="again")


# --- an instrument that rates the change itself (PGIC): no baseline, visits from the administration


def test_pgic_visits_are_planned_with_the_administration(world):
    _op, doc, lot, aliquots, _p = world
    pgic = services.enable_instrument(
        actor=doc, product=lot.product, instrument="pgic", follow_up_months=[1, 3]
    )
    adm = services.record_administration(
        actor=doc, patient="P-100", aliquots=[aliquots[0].container_id], administered_at=GIVEN,
        route="intra_articular",
    )  # fmt: skip
    visits = list(FollowUpVisit.objects.filter(administration=adm).order_by("month"))
    # Hand-computed from 2025-01-31, window ± 14 days (the default).
    assert [(v.month, v.due_on, v.baseline_id, v.instrument_use_id) for v in visits] == [
        (1, dt.date(2025, 2, 28), None, pgic.pk),
        (3, dt.date(2025, 4, 30), None, pgic.pk),
    ]
    event = AuditEvent.objects.filter(action="administration.create").latest("id")
    assert '"month":1' in event.after.replace(" ", "") and '"month":3' in event.after.replace(" ", "")
    # a rating at its visit: 2 "much improved"; no baseline is asked for or taken
    rating = services.record_follow_up(
        actor=doc,
        visit=visits[0],
        evaluated_at=dt.datetime(2025, 3, 1, 10, tzinfo=TOKYO),
        values={"change": "2"},
    )
    assert rating.kind == "follow_up" and rating.score == Decimal(2) and rating.instrument == pgic.instrument
    with pytest.raises(RuleViolation, match="takes no baseline"):
        services.record_baseline(
            actor=doc, administration=adm, use=pgic, evaluated_at=GIVEN - dt.timedelta(hours=1),
            values={"change": "4"},
        )  # fmt: skip


def test_pgic_enabled_after_an_administration_is_planned_on_request(given):
    doc, adm, _nrs = given
    with pytest.raises(RuleViolation, match="no instrument without a baseline"):
        services.plan_visits_without_baseline(actor=doc, administration=adm)
    pgic = services.enable_instrument(
        actor=doc, product=adm.used.first().aliquot.lot.product, instrument="pgic", follow_up_months=[6]
    )
    assert not FollowUpVisit.objects.filter(administration=adm).exists()
    (visit,) = services.plan_visits_without_baseline(actor=doc, administration=adm)
    assert (visit.instrument_use_id, visit.month, visit.due_on) == (pgic.pk, 6, dt.date(2025, 7, 31))
    assert AuditEvent.objects.filter(action="visit.planned", object_id=str(adm.pk)).count() == 1
    with pytest.raises(RuleViolation, match="no instrument without a baseline"):
        services.plan_visits_without_baseline(actor=doc, administration=adm)  # not twice


def test_planning_visits_needs_the_evaluation_role(given, make_user):
    _doc, adm, _nrs = given
    from evqms.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.plan_visits_without_baseline(actor=make_user("op2", "operator"), administration=adm)
