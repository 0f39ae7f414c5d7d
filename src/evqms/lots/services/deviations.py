"""Deviations: opened by a service that finds a departure (a parameter out of range, a material
outside the approved process, an OOS result) or by hand, closed by QA with a resolution."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.core.numbering import next_number
from evqms.equipment.status import Lapse
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.models import Deviation, Lot, QCResult
from evqms.lots.records import deviation_record
from evqms.lots.services._common import audited_update, locked_lot, now


def new_deviation(
    *, actor, lot: Lot, source: str, description: str, qc_result: QCResult | None = None
) -> Deviation:
    """Open a deviation inside the caller's transaction (the lot row is locked by the caller)."""
    deviation = Deviation.objects.create(
        lot=lot,
        number=next_number(Deviation, f"DEV-{lot.number}-", width=2),  # locked counter per lot
        source=source,
        description=description,
        opened_by=actor,
        opened_at=now(),
        qc_result=qc_result,
    )
    record_event(
        actor=actor,
        action="deviation.open",
        object_type="deviation",
        object_id=deviation.pk,
        after=deviation_record(deviation),
    )
    return deviation


def open_equipment_deviation(*, actor, lot: Lot, lapse: Lapse, used_for: str) -> Deviation:
    """The deviation QA's "deviation" policy asks for when an instrument past its calibration is
    used: the record is kept and the departure investigated (inside the caller's transaction)."""
    return new_deviation(
        actor=actor,
        lot=lot,
        source="equipment",
        description=_("{lapse}; used for {what} under the QA policy to record with a deviation").format(
            lapse=lapse.text(), what=used_for
        ),
    )


@transaction.atomic
def open_deviation(*, actor, lot: Lot, description: str, source: str = "manual") -> Deviation:
    require(actor, "lots.open_deviation")
    description = required_text(description, "description", _("describe the deviation"))
    if source not in dict(Deviation.SOURCES):
        raise InputError(_("unknown deviation source {source}").format(source=source), where="source")
    lot = locked_lot(lot)
    return new_deviation(actor=actor, lot=lot, source=source, description=description)


@transaction.atomic
def close_deviation(*, actor, deviation: Deviation, resolution: str) -> Deviation:
    require(actor, "lots.close_deviation")
    resolution = required_text(
        resolution, "resolution", _("a resolution (investigation and CAPA) is required")
    )
    locked_lot(deviation.lot)
    deviation = lock_for_update(Deviation.objects.filter(pk=deviation.pk)).select_related("lot").get()
    if deviation.status != "open":
        raise RuleViolation(_("deviation {number} is already closed").format(number=deviation.number))
    return audited_update(
        deviation,
        actor=actor,
        action="deviation.close",
        reason=resolution,
        status="closed",
        resolution=resolution,
        closed_by=actor,
        closed_at=now(),
    )
