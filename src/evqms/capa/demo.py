"""Demo deviations and CAPA (idempotent, through the services).

- A centrifuge used past its calibration date (no lot named): QA classifies it major, records the
  investigation, opens a corrective CAPA whose two actions were done months ago; the effectiveness
  check, due 90 days after the last action, is recorded as effective; QA closes the deviation and
  the CAPA with signatures.
- The confirmed OOS of UCEV-24-003 (major, left open by the lots demo): the investigation and the
  lot's impact (reject) are recorded and a CAPA is opened, one action done and one due in five days.

Signing needs the QA user's password: `load(users, passwords=None)` reads it from
$EVQMS_HOME/demo-logins.json as the lots demo does.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.capa import services
from evqms.capa.models import Capa
from evqms.core.demo import signing_request
from evqms.lots import services as lot_services
from evqms.lots.models import Deviation, Lot

CENTRIFUGE = "Centrifuge CF-02 used on three days past its calibration due date"


def _note(message: str) -> None:
    print(f"capa demo: {message}", file=sys.stderr)


def _passwords(passwords: dict | None) -> dict:
    if passwords:
        return passwords
    path = settings.EVQMS_HOME / "demo-logins.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _closed_equipment_story(users, password: str) -> None:
    qa, operator = users["qa"], users["operator"]
    today = timezone.localdate()
    occurred = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=140), dt.time(9, 30)))
    deviation = lot_services.open_deviation(
        actor=operator,
        source="equipment",
        description=CENTRIFUGE + " (found at the monthly equipment log review; no lot was processed on it).",
        occurred_at=occurred,
        equipment="CF-02",
    )
    lot_services.classify_deviation(
        actor=qa,
        deviation=deviation,
        classification="major",
        reason="A critical instrument out of calibration: systemic failure of the calibration reminder.",
    )
    lot_services.record_investigation(
        actor=qa,
        deviation=deviation,
        root_cause_category="machine",
        investigation=(
            "The calibration reminder was kept on a paper list that was not reviewed during the holiday "
            "period. The centrifuge passed its calibration afterwards (as found in tolerance)."
        ),
    )
    capa = services.create_capa(
        actor=qa,
        title="Calibration reminders for critical instruments",
        kind="corrective",
        description="Move calibration due dates into the equipment register with reminders two weeks ahead.",
        deviations=[deviation],
        effectiveness_after_days=90,
    )
    for description, days_ago, done_ago, evidence in (
        ("Enter every critical instrument's calibration due date in the register", 130, 128, "Register v3"),
        ("Train the operators on the register's reminders", 110, 105, "Training record TR-24-019"),
    ):
        action = services.add_action(
            actor=qa,
            capa=capa,
            description=description,
            owner=operator,
            due_on=today - dt.timedelta(days=days_ago),
        )
        services.complete_action(
            actor=operator, action=action, evidence=evidence, done_on=today - dt.timedelta(days=done_ago)
        )
    services.record_effectiveness(
        actor=qa,
        capa=capa,
        result="effective",
        evidence="No instrument used past its calibration date in the 90 days after the last action.",
    )
    lot_services.close_deviation(
        request=signing_request("/capa/demo/"),
        actor=qa,
        deviation=deviation,
        password=password,
        resolution="Root cause removed by CAPA " + capa.number + ".",
    )
    services.close_capa(
        request=signing_request("/capa/demo/"),
        actor=qa,
        capa=capa,
        password=password,
        reason="Effective: no recurrence.",
    )


def _open_oos_story(users) -> None:
    qa, operator = users["qa"], users["operator"]
    lot = Lot.objects.filter(number="UCEV-24-003").first()
    deviation = (
        Deviation.objects.filter(affected_lots=lot, source="oos", status="open").first() if lot else None
    )
    if deviation is None:
        _note("no open OOS deviation of UCEV-24-003: no open CAPA")
        return
    today = timezone.localdate()
    lot_services.record_investigation(
        actor=qa,
        deviation=deviation,
        root_cause_category="method",
        investigation=(
            "Phase I: no laboratory error. Phase II: the endotoxin load came from the concentration step; "
            "the retest confirms the OOS."
        ),
    )
    lot_services.assess_impact(
        actor=qa,
        deviation=deviation,
        lot=lot,
        assessment="reject",
        reasoning="Confirmed endotoxin OOS: the lot was rejected.",
    )
    capa = services.create_capa(
        actor=qa,
        title="Aseptic processing of the concentration step",
        kind="corrective",
        description="Review and requalify the concentration step's aseptic handling.",
        deviations=[deviation],
        effectiveness_after_days=60,
    )
    done = services.add_action(
        actor=qa,
        capa=capa,
        description="Replace the tangential-flow filtration tubing set with a pre-sterilised one",
        owner=operator,
        due_on=today - dt.timedelta(days=10),
    )
    services.complete_action(
        actor=operator, action=done, evidence="Change record CR-24-044", done_on=today - dt.timedelta(days=12)
    )
    services.add_action(
        actor=qa,
        capa=capa,
        description="Aseptic process simulation of the concentration step",
        owner=operator,
        due_on=today + dt.timedelta(days=5),
    )


def load(users: dict, passwords: dict | None = None) -> None:
    if not {"qa", "operator"} <= set(users):
        _note("no demo QA or operator user: no CAPA")
        return
    password = _passwords(passwords).get("qa")
    if not password:
        _note("no password for the demo QA user: no CAPA")
        return
    if not Capa.objects.filter(title="Calibration reminders for critical instruments").exists():
        with transaction.atomic():
            _closed_equipment_story(users, password)
    if not Capa.objects.filter(title="Aseptic processing of the concentration step").exists():
        with transaction.atomic():
            _open_oos_story(users)
