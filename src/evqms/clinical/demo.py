"""Demo clinical records: two pseudonymised patients, administrations of the demo aliquots and one
adverse event. Idempotent; skipped quietly when the demo aliquots do not exist."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from evqms.clinical import services
from evqms.clinical.models import Patient
from evqms.errors import EvqmsError
from evqms.inventory.models import Aliquot


def load(users: dict) -> None:
    physician = users["physician"]
    if Patient.objects.filter(code__in=("PT-0001", "PT-0002")).exists():
        return
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
