"""Demo clinical records: pseudonymised patients, administrations of the demo aliquots and an
adverse event; then outcomes and safety reporting: the numeric pain rating enabled for the product,
baselines and follow-ups (one visit missed, with its reason), a serious event reported in time and
one reported late; then the cohort of 26 patients more (`demo_cohort`: 30 in all, a lot flagged by
the lot signal test). Idempotent; skipped quietly when the demo aliquots do not exist. Signing the
submissions needs the physician's demo password ($EVQMS_HOME/demo-logins.json); without it (or
with one that is not this physician's) the reports stay open."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.clinical import demo_cohort, services
from evqms.clinical.models import Administration, InstrumentUse, Patient
from evqms.core.demo import signing_request
from evqms.dossier.models import Product
from evqms.errors import EvqmsError
from evqms.inventory.models import Aliquot

log = logging.getLogger(__name__)


def load(users: dict) -> None:
    physician = users["physician"]
    if not Patient.objects.filter(code__in=("PT-0001", "PT-0002")).exists():
        _administrations(physician)
    if Patient.objects.filter(code="PT-0001").exists() and not InstrumentUse.objects.exists():
        try:
            _outcomes_and_safety(physician)
        except EvqmsError as exc:
            # e.g. too few aliquots in stock on this database: the rest of the demo stands
            log.warning("demo outcomes and safety reports not loaded: %s", exc)
            return
    try:
        demo_cohort.load(users)
    except EvqmsError as exc:
        # e.g. a demo lot expired on this machine's date: the first patients stand
        log.warning("demo cohort not loaded: %s", exc)


def _administrations(physician) -> None:
    first = Aliquot.objects.filter(lot__number="UCEV-24-001", status="available").order_by("container_id")
    fourth = Aliquot.objects.filter(lot__number="UCEV-24-004", status="available").order_by("container_id")
    if not first.exists():
        return
    today = timezone.localdate()
    for code, chart, year, sex in (
        ("PT-0001", "KNEE-CLINIC-10234", 1958, "female"),
        ("PT-0002", "KNEE-CLINIC-10877", 1963, "male"),
    ):
        services.register_patient(
            actor=physician,
            code=code,
            clinic_identifier=chart,
            birth_year=year,
            sex=sex,
            consented_on=today - dt.timedelta(days=30),
            consent_scope="Intra-articular UC-MSC sEV, knee OA; data use for safety follow-up",
        )
    now = timezone.now()
    try:
        adm1 = services.record_administration(
            actor=physician,
            patient="PT-0001",
            aliquots=[first[0].container_id],
            administered_at=now - dt.timedelta(days=14),
            route="intra_articular",
            site="right knee",
            body_weight_kg="58.5",
            notes="Ultrasound-guided",
        )
        second = [first[1].container_id] + ([fourth[0].container_id] if fourth.exists() else [])
        services.record_administration(
            actor=physician,
            patient="PT-0002",
            aliquots=second,
            administered_at=now - dt.timedelta(days=7),
            route="intra_articular",
            site="left knee",
            body_weight_kg="72",
        )
        services.record_adverse_event(
            actor=physician,
            patient="PT-0001",
            administration=adm1.number,
            onset=now - dt.timedelta(days=13, hours=18),
            description="Injection-site swelling and warmth of the right knee",
            ctcae_grade=1,
            causality="probable",
            outcome="recovered",
            investigation="Retained sample of the lot to be tested for endotoxin and sterility.",
        )
    except EvqmsError:
        return  # e.g. the demo lot has expired on this machine's date: nothing to show


def _passwords() -> dict:
    path = settings.EVQMS_HOME / "demo-logins.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _outcomes_and_safety(physician) -> None:
    product = Product.objects.filter(code="ucmsc-sev-oa").first()
    stock = list(
        Aliquot.objects.filter(lot__number__in=("UCEV-24-001", "UCEV-24-004"), status="available")
        .order_by("lot__number", "container_id")
        .values_list("container_id", flat=True)[:2]
    )
    if product is None or len(stock) < 2:
        return
    with transaction.atomic():  # all of it or none, so a later load tries again
        in_time, late = _records(physician, product, stock)
    password = _passwords().get(physician.get_username())
    # the file may belong to another demo database (a password the user here does not have): a
    # signature it cannot give leaves the reports open, as without the file
    if password and physician.check_password(password):
        _submit(physician, password, in_time, late)


def _records(physician, product, stock):
    """The outcome records (a pain rating at baseline and the one-month visit, one visit missed) and
    two serious adverse events; returns the events whose reports are submitted, in time and late."""
    given = _followed_patients(physician, product, stock)
    _first_visits(physician, given)
    return _serious_events(physician, given)


def _followed_patients(physician, product, stock) -> dict:
    """The pain rating enabled for the product with PT-0001's baseline, and two patients more given
    one aliquot each after their baseline: their administrations by patient code."""
    nrs = services.enable_instrument(
        actor=physician,
        product=product,
        instrument="nrs-pain",
        follow_up_months=[1, 3, 6, 12],
        window_days=14,
    )
    today = timezone.localdate()
    now = timezone.now()
    first = Administration.objects.filter(patient__code="PT-0001").order_by("administered_at").first()
    if first is not None:
        services.record_baseline(
            actor=physician,
            administration=first,
            use=nrs,
            evaluated_at=first.administered_at - dt.timedelta(hours=1),
            values={"pain": "6"},
        )
    given = {}
    for code, chart, year, sex, days_ago, aliquot in (
        ("PT-0003", "KNEE-CLINIC-11020", 1955, "female", 100, stock[0]),
        ("PT-0004", "KNEE-CLINIC-11311", 1949, "male", 75, stock[1]),
    ):
        services.register_patient(
            actor=physician,
            code=code,
            clinic_identifier=chart,
            birth_year=year,
            sex=sex,
            consented_on=today - dt.timedelta(days=days_ago + 10),
            consent_scope="Intra-articular UC-MSC sEV, knee OA; outcome and safety follow-up",
        )
        at = (now - dt.timedelta(days=days_ago)).replace(hour=1, minute=30, second=0, microsecond=0)
        adm = services.record_administration(
            actor=physician,
            patient=code,
            aliquots=[aliquot],
            administered_at=at,
            route="intra_articular",
            site="right knee",
        )
        services.record_baseline(
            actor=physician,
            administration=adm,
            use=nrs,
            evaluated_at=at - dt.timedelta(hours=1),
            values={"pain": "7"},
        )
        given[code] = adm
    return given


def _first_visits(physician, given: dict) -> None:
    # PT-0003 came at one month (pain 7 -> 4); PT-0004 moved away and missed it.
    m1 = given["PT-0003"].visits.get(month=1)
    services.record_follow_up(
        actor=physician,
        visit=m1,
        evaluated_at=timezone.make_aware(dt.datetime.combine(m1.due_on, dt.time(10, 0))),
        values={"pain": "4"},
    )
    services.record_missed_visit(
        actor=physician,
        visit=given["PT-0004"].visits.get(month=1),
        reason="Moved to another prefecture; two phone calls unanswered",
    )


def _serious_events(physician, given: dict):
    today = timezone.localdate()
    in_time = services.record_adverse_event(
        actor=physician,
        patient="PT-0003",
        administration=given["PT-0003"],
        onset=given["PT-0003"].administered_at + dt.timedelta(days=9),
        description="Septic arthritis of the right knee; admitted for arthroscopic lavage and IV antibiotics",
        ctcae_term="Joint infection",
        ctcae_grade=3,
        seriousness_criteria=["hospitalisation"],
        expectedness="unexpected",
        learned_on=today - dt.timedelta(days=90),
        causality="possible",
        outcome="recovered",
        outcome_on=today - dt.timedelta(days=70),
        investigation="Synovial fluid culture: Staphylococcus epidermidis. The retained sample of the lot was "
        "tested: sterile, endotoxin within its limit. Cause attributed to the injection procedure.",
    )
    late = services.record_adverse_event(
        actor=physician,
        patient="PT-0004",
        administration=given["PT-0004"],
        onset=given["PT-0004"].administered_at + dt.timedelta(days=15),
        description="Deep vein thrombosis of the left calf found at an outside clinic",
        ctcae_term="Thromboembolic event",
        ctcae_grade=2,
        seriousness_criteria=["other_important"],
        expectedness="unexpected",
        learned_on=today - dt.timedelta(days=58),
        causality="unlikely",
        outcome="recovering",
    )
    return in_time, late


def _submit(physician, password, in_time, late) -> None:
    request = signing_request("/clinical/demo/")
    for event, after_days, why in (
        (in_time, 10, ""),
        (late, 20, "The outside clinic's letter reached the physician only after the due date"),
    ):
        report = event.safety_reports.get(kind="initial")
        services.record_submission(
            request=request,
            actor=physician,
            report=report,
            password=password,
            submitted_on=report.clock_start + dt.timedelta(days=after_days),
            submitted_to="Certified committee for regenerative medicine",
            late_reason=why,
        )
