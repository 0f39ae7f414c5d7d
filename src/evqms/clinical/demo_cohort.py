"""The demo's cohort: 26 more pseudonymised patients, so the product has 30, each given one aliquot
of UCEV-24-001 or UCEV-24-004, with a pain baseline, the global impression of change (PGIC, no
baseline: enabled before the cohort, so its visits at 1, 3 and 6 months are planned with each
administration; the first demo's four administrations predate it) and the follow-ups their windows
allow (some missed with the reason, one visit left overdue, the latest still due; a missed or
overdue visit misses both instruments), and adverse events arranged so
that UCEV-24-001 (made on process v1 with fetal bovine serum) is flagged by the lot signal test.

The counts, checked by hand (tests/clinical/test_clinical_demo.py recomputes them):
UCEV-24-001 is given in 15 administrations (PT-0001 to PT-0004, PT-0002's split with UCEV-24-004,
and 11 here) with 10 adverse events (3 from the first demo, 7 here); UCEV-24-004 in 16 (PT-0002's
and 15 here) with 1. The conditional binomial test of UCEV-24-001 against the rest:
P(X >= 10 | X ~ Bin(11, 15/31)) = 11 p^10 q + p^11 = 0.0043, Holm-adjusted over the two lots
tested 2 x 0.0043 = 0.0087 < 0.05: flagged. UCEV-24-004: P(X >= 1 | Bin(11, 16/31)) = 0.9997,
not flagged.

Idempotent (nothing happens once PT-0030 exists), all or nothing, through the services: no onset
before its administration, no evaluation in the future, no follow-up before its administration.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.clinical import services
from evqms.clinical.models import InstrumentUse, Patient
from evqms.clinical.services.visits import visit_state
from evqms.inventory.models import Aliquot
from evqms.inventory.services import aliquots as inventory
from evqms.lots.models import Lot

LOTS = ("UCEV-24-001", "UCEV-24-004")
# Days before today each new patient was given the lot; UCEV-24-001 from 230 days back, UCEV-24-004
# (released later) from 110.
GIVEN = {
    "UCEV-24-001": (230, 215, 200, 185, 170, 150, 130, 110, 90, 60, 45),
    "UCEV-24-004": (110, 104, 98, 92, 86, 80, 74, 68, 60, 52, 44, 36, 28, 20, 12),
}
# Which of the UCEV-24-001 patients (by their place above) had an injection-site reaction.
REACTIONS = {0: 2, 1: 1, 2: 2, 3: 1, 4: 1, 5: 2, 6: 1}  # place -> CTCAE grade
MISSED = {
    (3, 3): "Moved to another prefecture; letter returned",
    (9, 1): "Declined further visits (satisfied with the result)",
    (14, 1): "Admitted to another hospital for an unrelated fracture",
    (20, 1): "Could not be reached by phone (three attempts)",
}
OVERDUE = {(12, 1)}  # (patient place, month): window closed, nothing recorded (a finding to act on)


def load(users: dict) -> None:
    physician, operator = users["physician"], users.get("operator")
    if operator is None or Patient.objects.filter(code="PT-0030").exists():
        return
    nrs = InstrumentUse.objects.filter(
        product__code="ucmsc-sev-oa", instrument__code="nrs-pain", active=True
    ).first()
    lots = {lot.number: lot for lot in Lot.objects.filter(number__in=LOTS, status="released")}
    if nrs is None or len(lots) != len(LOTS):
        return
    with transaction.atomic():  # all of it or none, so a later load tries again
        if not InstrumentUse.objects.filter(
            product=nrs.product, instrument__code="pgic", active=True
        ).exists():
            # the global impression of change: no baseline, its visits planned with each administration
            services.enable_instrument(
                actor=physician, product=nrs.product, instrument="pgic", follow_up_months=[1, 3, 6]
            )
        _cohort(physician, operator, nrs, lots)


def _stock(operator, lot, needed: int) -> list[str]:
    """`needed` available containers of `lot`, aliquoting more from the lot when too few are left."""
    available = list(
        Aliquot.objects.filter(lot=lot, status="available")
        .order_by("container_id")
        .values_list("container_id", flat=True)
    )
    if len(available) < needed:
        made = inventory.create_aliquots(
            actor=operator, lot=lot, count=needed - len(available), volume_ml="1.0",
            particle_count="2.0e10", protein_ug="25",
        )  # fmt: skip
        available += [a.container_id for a in made]
    return available[:needed]


def _cohort(physician, operator, nrs, lots) -> None:
    today = timezone.localdate()
    now = timezone.now()
    place = 0
    for lot_number, days in GIVEN.items():
        stock = _stock(operator, lots[lot_number], len(days))
        for lot_place, (days_ago, container) in enumerate(zip(days, stock, strict=True)):
            code = f"PT-{place + 5:04d}"
            services.register_patient(
                actor=physician,
                code=code,
                clinic_identifier=f"KNEE-CLINIC-{12000 + place * 37}",
                birth_year=1945 + (place * 7) % 30,
                sex="female" if place % 3 else "male",
                consented_on=today - dt.timedelta(days=days_ago + 7),
                consent_scope="Intra-articular UC-MSC sEV, knee OA; outcome and safety follow-up",
            )
            at = (now - dt.timedelta(days=days_ago)).replace(hour=1, minute=0, second=0, microsecond=0)
            adm = services.record_administration(
                actor=physician,
                patient=code,
                aliquots=[container],
                administered_at=at,
                route="intra_articular",
                site="right knee" if place % 2 else "left knee",
                body_weight_kg=str(52 + (place * 5) % 30),
            )
            baseline = 5 + (place * 3) % 4
            services.record_baseline(
                actor=physician,
                administration=adm,
                use=nrs,
                evaluated_at=at - dt.timedelta(hours=1),
                values={"pain": str(baseline)},
            )
            _visits(physician, adm, place, baseline, today)
            if lot_number == "UCEV-24-001" and lot_place in REACTIONS:
                _reaction(physician, code, adm, REACTIONS[lot_place], lot_place)
            if lot_number == "UCEV-24-004" and lot_place == 2:
                services.record_adverse_event(
                    actor=physician, patient=code, administration=adm, onset=at + dt.timedelta(days=3),
                    description="Transient stiffness of the treated knee", ctcae_term="Joint range of motion decreased",
                    ctcae_grade=1, learned_on=(at + dt.timedelta(days=6)).date(), causality="unlikely",
                    outcome="recovered", outcome_on=(at + dt.timedelta(days=10)).date(),
                )  # fmt: skip
            place += 1


def _visits(physician, adm, place: int, baseline: int, today: dt.date) -> None:
    """Each visit whose window has closed: done inside it (pain lower by 1 to 4), or missed with
    the reason, or (once) left overdue; visits whose window is open or ahead stay scheduled."""
    for visit in adm.visits.select_related("instrument_use__instrument").order_by("month", "id"):
        if visit_state(visit, today) != "overdue" or (place, visit.month) in OVERDUE:
            continue
        reason = MISSED.get((place, visit.month))
        if reason:
            services.record_missed_visit(actor=physician, visit=visit, reason=reason)
            continue
        day = visit.due_on + dt.timedelta(days=(place % 7) - 3)
        if visit.instrument_use.instrument.code == "pgic":  # 1 very much improved ... 4 no change
            values = {"change": str(1 + (place + visit.month) % 4)}
        else:
            values = {"pain": str(max(0, baseline - 1 - (place + visit.month) % 4))}
        services.record_follow_up(
            actor=physician,
            visit=visit,
            evaluated_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0))),
            values=values,
        )


def _reaction(physician, code, adm, grade: int, lot_place: int) -> None:
    onset = adm.administered_at + dt.timedelta(hours=6 + 5 * lot_place)
    services.record_adverse_event(
        actor=physician,
        patient=code,
        administration=adm,
        onset=onset,
        description="Swelling, warmth and effusion of the injected knee",
        ctcae_term="Injection site reaction",
        ctcae_grade=grade,
        learned_on=(onset + dt.timedelta(days=1)).date(),
        causality="probable" if grade == 2 else "possible",
        outcome="recovered",
        outcome_on=(onset + dt.timedelta(days=7)).date(),
        investigation="Lot UCEV-24-001 under review by the lot signal; retained sample kept for testing.",
    )
