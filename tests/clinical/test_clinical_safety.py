"""Serious adverse events: coded criteria, the reporting clock and the signed submission of a report."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.utils import timezone

from evqms.audit.models import Signature
from evqms.audit.services import SignatureRefused
from evqms.clinical import selectors, services
from evqms.clinical.models import SafetyReport
from evqms.clinical.services.safety import clock, report_due_on
from evqms.errors import InputError, RuleViolation

WHEN = timezone.now() - dt.timedelta(days=40)
LEARNT = timezone.localdate() - dt.timedelta(days=30)


@pytest.fixture
def adm(world):
    _op, doc, _lot, aliquots, _p = world
    return services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id],
        administered_at=WHEN,
        route="intra_articular",
    )


def _event(doc, adm, **kw):
    base = dict(
        actor=doc,
        patient="P-100",
        administration=adm.number,
        onset=WHEN + dt.timedelta(days=1),
        description="Septic arthritis of the treated knee",
        ctcae_term="Joint infection",
        ctcae_grade=3,
        causality="possible",
        learned_on=LEARNT,
    )
    return services.record_adverse_event(**{**base, **kw})


def test_the_clock_counts_from_the_day_the_clinic_learnt(settings):
    day = dt.date(2026, 3, 1)
    # Hand-computed: 1 March + 7 days = 8 March; + 15 days = 16 March.
    assert report_due_on(["death"], day) == dt.date(2026, 3, 8)
    assert report_due_on(["life_threatening", "hospitalisation"], day) == dt.date(2026, 3, 8)
    assert report_due_on(["hospitalisation"], day) == dt.date(2026, 3, 16)
    settings.EVQMS_SAE_DAYS_SERIOUS = 10
    assert report_due_on(["other_important"], day) == dt.date(2026, 3, 11)


def test_a_serious_event_opens_its_report(world, adm):
    _op, doc, *_ = world
    ae = _event(doc, adm, seriousness_criteria=["hospitalisation"], seriousness="Admitted for IV antibiotics")
    assert ae.serious is True and ae.seriousness_criteria == ["hospitalisation"]
    (report,) = ae.safety_reports.all()
    assert report.kind == "initial" and report.number.startswith("SR-")
    assert report.due_on == LEARNT + dt.timedelta(days=15)
    # Hand-computed: on the day it was learnt 15 days are left; 16 days later it is 1 day overdue.
    assert clock(report, LEARNT).days_left == 15
    late = clock(report, LEARNT + dt.timedelta(days=16))
    assert (late.state, late.days_left) == ("overdue", -1)
    fatal = _event(doc, adm, ctcae_grade=5, outcome="fatal", description="Died")
    assert fatal.seriousness_criteria == ["death"]  # grade 5 meets "death"
    assert fatal.safety_reports.get().due_on == LEARNT + dt.timedelta(days=7)
    mild = _event(doc, adm, ctcae_grade=1, description="Swelling")
    assert mild.serious is False and not mild.safety_reports.exists()


def test_criteria_are_checked(world, adm):
    _op, doc, *_ = world
    with pytest.raises(InputError, match="unknown seriousness criterion coma") as exc:
        _event(doc, adm, seriousness_criteria=["coma"])
    assert exc.value.where == "seriousness_criteria"
    with pytest.raises(InputError, match="at least one seriousness criterion"):
        _event(doc, adm, serious=True)
    with pytest.raises(InputError, match="before its onset"):
        _event(doc, adm, learned_on=timezone.localdate() - dt.timedelta(days=60))
    assert not SafetyReport.objects.exists()


def test_submission_is_signed_and_late_when_after_the_due_date(world, adm, rf_request):
    _op, doc, *_ = world
    ae = _event(doc, adm, seriousness_criteria=["hospitalisation"])
    report = ae.safety_reports.get()
    kw = dict(request=rf_request, actor=doc, report=report, submitted_to="Certified committee")
    with pytest.raises(InputError, match="password") as exc:
        services.record_submission(password="", submitted_on=report.due_on, **kw)
    assert exc.value.where == "password"
    with pytest.raises(SignatureRefused):
        services.record_submission(password="wrong", submitted_on=report.due_on, **kw)
    late_day = report.due_on + dt.timedelta(days=1)
    with pytest.raises(InputError, match="say why it is late") as exc:
        services.record_submission(password=doc.raw_password, submitted_on=late_day, **kw)
    assert exc.value.where == "late_reason"
    report.refresh_from_db()
    assert report.submitted_on is None and report.signature is None
    done = services.record_submission(password=doc.raw_password, submitted_on=report.due_on, **kw)
    assert done.late is False and done.signature.signer == doc and done.signature.meaning == "authorship"
    assert done.case["lots"] == ["L-C1"] and done.case["patient"]["code"] == "P-100"
    assert done.case["event"]["seriousness_criteria"] == ["hospitalisation"]
    assert clock(done).state == "submitted"
    with pytest.raises(RuleViolation, match="already submitted"):
        services.record_submission(password=doc.raw_password, submitted_on=report.due_on, **kw)
    # A second event, reported a day after its due date: late, with the reason kept.
    other = _event(doc, adm, seriousness_criteria=["disability"]).safety_reports.get()
    kw["report"] = other
    late = services.record_submission(
        password=doc.raw_password,
        submitted_on=other.due_on + dt.timedelta(days=1),
        late_reason="The physician was away",
        **kw,
    )
    assert late.late is True and clock(late).state == "late"
    assert Signature.objects.filter(object_type="safety_report").count() == 2
    open_rows = selectors.safety_reports_due_for(doc)
    assert open_rows == []


def test_follow_up_information_can_make_an_event_serious(world, adm):
    _op, doc, *_ = world
    ae = _event(doc, adm, ctcae_grade=2, description="Knee effusion")
    assert not ae.safety_reports.exists()
    day = LEARNT + dt.timedelta(days=3)
    services.record_ae_follow_up(
        actor=doc,
        adverse_event=ae,
        learned_on=day,
        information="Admitted for arthroscopic lavage",
        seriousness_criteria=["hospitalisation"],
    )
    ae.refresh_from_db()
    assert ae.serious is True
    (report,) = ae.safety_reports.all()
    assert (report.kind, report.clock_start, report.due_on) == ("initial", day, day + dt.timedelta(days=15))
    # New information on the serious event opens a follow-up report, due by the same criteria.
    later = day + dt.timedelta(days=4)
    services.record_ae_follow_up(
        actor=doc, adverse_event=ae, learned_on=later, information="Culture: S. aureus"
    )
    services.record_ae_follow_up(
        actor=doc, adverse_event=ae, learned_on=later, information="Typo corrected", needs_report=False
    )
    follow = ae.safety_reports.get(kind="follow_up")
    assert (follow.clock_start, follow.due_on) == (later, later + dt.timedelta(days=15))
    assert ae.follow_ups.count() == 3
    with pytest.raises(InputError, match="a follow-up comes after it"):
        services.record_ae_follow_up(
            actor=doc, adverse_event=ae, learned_on=LEARNT - dt.timedelta(days=1), information="x"
        )


def test_the_migration_codes_the_old_seriousness_text():
    migration = importlib.import_module("evqms.clinical.migrations.0004_outcomes_visits_safety_reports")
    code = migration.criteria_from_old_text
    assert code("Hospitalisation for 3 days", 3, True) == ["hospitalisation"]
    assert code("入院が延長された", 3, True) == ["hospitalisation"]
    assert code("", 5, True) == ["death"]
    assert code("", 4, True) == ["life_threatening"]
    assert code("required observation", 3, True) == ["other_important"]  # stays serious
    assert code("", 2, False) == []
    assert code("壊死", 3, True) == ["other_important"]  # necrosis is not death
