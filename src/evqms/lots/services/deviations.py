"""Deviations: opened by a service that finds a departure (a parameter out of range, a material
outside the approved process, an OOS result, an environmental result at action level, an
instrument past its calibration, a storage excursion) or by hand; each names the lots and material
lots it may affect and gets a proposed classification from `lots.deviation_rules`."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.db import lock_for_update
from evqms.core.inputs import past_moment, required_text
from evqms.core.numbering import next_number
from evqms.dossier.models import MaterialLot
from evqms.equipment.status import Lapse
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.deviation_rules import propose_classification
from evqms.lots.models import Deviation, Lot, QCResult
from evqms.lots.records import deviation_record
from evqms.lots.services._common import audited_update, locked_lots, now

CLASSIFICATIONS = tuple(code for code, _label in Deviation.CLASSIFICATIONS if code)


def _distinct(records) -> list:
    seen, out = set(), []
    for record in records:
        if record is not None and record.pk not in seen:
            seen.add(record.pk)
            out.append(record)
    return out


def new_quality_deviation(
    *,
    actor,
    source: str,
    description: str,
    lots=(),
    material_lots=(),
    occurred_at=None,
    classification: str = "",
    classification_rule: str = "",
    facts: dict | None = None,
    equipment: str = "",
    qc_result: QCResult | None = None,
) -> Deviation:
    """Open a deviation inside the caller's transaction. No permission is checked here: the calling
    service has checked its own (recording a step, a QC result, an environmental result...).

    `lots` every lot it names (one lot: numbered DEV-<lot>-NN and `lot` is that lot; none or several:
    DEV-nnnnn); `material_lots` the material lots it names; the named lots are locked. Without a
    `classification` the first rule of `deviation_rules` that matches `source` and `facts` (e.g.
    {"critical_parameter": True}, {"grade": "A", "level": "action"}) proposes one, and its id is
    stored in `classification_rule`."""
    if source not in dict(Deviation.SOURCES):
        raise InputError(_("unknown deviation source {source}").format(source=source), where="source")
    description = required_text(description, "description", _("describe the deviation"))
    if classification and classification not in CLASSIFICATIONS:
        raise InputError(
            _("unknown classification {value}").format(value=classification), where="classification"
        )
    opened_at = now()
    occurred_at = opened_at if occurred_at is None else past_moment(occurred_at, "occurred_at")
    lots = _distinct(lots)
    material_lots = _distinct(material_lots)
    locked = locked_lots(lots)
    lots = [locked[lot.pk] for lot in lots]
    if not classification:
        classification, classification_rule = propose_classification(source, facts)
    if len(lots) == 1:
        number = next_number(Deviation, f"DEV-{lots[0].number}-", width=2)  # locked counter per lot
    else:
        number = next_number(Deviation, "DEV-", width=5)
    deviation = Deviation.objects.create(
        lot=lots[0] if len(lots) == 1 else None,
        number=number,
        source=source,
        description=description,
        occurred_at=occurred_at,
        opened_by=actor,
        opened_at=opened_at,
        classification=classification,
        classification_rule=classification_rule or "",
        affected_equipment=(equipment or "").strip(),
        qc_result=qc_result,
    )
    deviation.affected_lots.set(lots)
    deviation.affected_material_lots.set(material_lots)
    record_event(
        actor=actor,
        action="deviation.open",
        object_type="deviation",
        object_id=deviation.pk,
        after=deviation_record(deviation),
    )
    return deviation


def new_deviation(
    *,
    actor,
    lot: Lot,
    source: str,
    description: str,
    qc_result: QCResult | None = None,
    facts: dict | None = None,
) -> Deviation:
    """Open a deviation on one lot inside the caller's transaction (the lot row is locked by the caller)."""
    return new_quality_deviation(
        actor=actor, source=source, description=description, lots=(lot,), qc_result=qc_result, facts=facts
    )


def open_equipment_deviation(*, actor, lot: Lot, lapse: Lapse, used_for: str, used_at=None) -> Deviation:
    """The deviation QA's "deviation" policy asks for when an instrument past its calibration is
    used: the record is kept and the departure investigated (inside the caller's transaction)."""
    return new_quality_deviation(
        actor=actor,
        source="equipment",
        lots=(lot,),
        occurred_at=used_at,
        equipment=lapse.instrument.identifier,
        description=_("{lapse}; used for {what} under the QA policy to record with a deviation").format(
            lapse=lapse.text(), what=used_for
        ),
    )


@transaction.atomic
def open_deviation(
    *,
    actor,
    description: str,
    lot: Lot | None = None,
    lots=(),
    material_lots=(),
    occurred_at=None,
    source: str = "manual",
    equipment: str = "",
) -> Deviation:
    """A deviation reported by hand, naming `lot` and/or `lots` (any number, none too)."""
    require(actor, "lots.open_deviation")
    description = required_text(description, "description", _("describe the deviation"))
    if source not in dict(Deviation.SOURCES):
        raise InputError(_("unknown deviation source {source}").format(source=source), where="source")
    named = ([lot] if lot is not None else []) + list(lots)
    for material_lot in material_lots:
        if not isinstance(material_lot, MaterialLot):
            raise InputError(_("unknown material lot"), where="material_lots")
    return new_quality_deviation(
        actor=actor,
        source=source,
        description=description,
        lots=named,
        material_lots=material_lots,
        occurred_at=occurred_at,
        equipment=equipment,
    )


def locked_deviation(deviation: Deviation) -> Deviation:
    """The deviation's lots locked (in id order, as every batch locks), then the deviation row."""
    locked_lots(list(deviation.affected_lots.all()))
    return lock_for_update(Deviation.objects.filter(pk=deviation.pk)).get()


@transaction.atomic
def close_deviation(*, actor, deviation: Deviation, resolution: str) -> Deviation:
    require(actor, "lots.close_deviation")
    resolution = required_text(
        resolution, "resolution", _("a resolution (investigation and CAPA) is required")
    )
    deviation = locked_deviation(deviation)
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
