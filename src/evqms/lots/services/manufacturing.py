"""Manufacturing records: the material lots a lot consumes and its process steps with their
parameter values; a departure from the approved process opens a deviation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.inputs import past_moment, required_text
from evqms.core.timefmt import local_date
from evqms.dossier.models import MaterialLot, ProcessDefinition, ProcessStep
from evqms.equipment.models import Instrument, Room
from evqms.equipment.status import check_use
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.models import Lot, MaterialUsage, ParameterValue, StepRecord
from evqms.lots.services._common import locked_lot, now, require_status
from evqms.lots.services.deviations import new_deviation, open_equipment_deviation
from evqms.training.selectors import require_qualified


@transaction.atomic
def record_material_usage(
    *, actor, lot: Lot, material_lot: MaterialLot, quantity, unit: str
) -> MaterialUsage:
    require(actor, "lots.record_manufacturing")
    lot = locked_lot(lot)
    require_status(lot, ("in_process",), _("record materials"))
    if material_lot.acceptance_status != "accepted":
        raise RuleViolation(
            _("material lot {lot} is not accepted ({status})").format(
                lot=material_lot.lot_number, status=material_lot.get_acceptance_status_display()
            )
        )
    if material_lot.expiry < timezone.localdate():
        raise RuleViolation(
            _("material lot {lot} expired on {date}").format(
                lot=material_lot.lot_number, date=material_lot.expiry.isoformat()
            )
        )
    quantity = evaluation.to_decimal(quantity, field="quantity")
    if quantity <= 0:
        raise InputError(_("the quantity must be positive"), where="quantity")
    unit = required_text(unit, "unit", _("a unit is required"))
    usage = MaterialUsage.objects.create(
        lot=lot,
        material_lot=material_lot,
        quantity=quantity,
        unit=unit,
        recorded_by=actor,
        recorded_at=now(),
    )
    record_event(
        actor=actor,
        action="lot.material_usage",
        object_type="lot",
        object_id=lot.pk,
        after={
            "usage_id": usage.pk,
            "material_lot": material_lot.lot_number,
            "material": material_lot.material.name,
            "quantity": quantity,
            "unit": unit,
            "animal_species": material_lot.animal_species,
        },
    )
    for description in _material_departures(lot.process, material_lot):
        new_deviation(actor=actor, lot=lot, source="material", description=description)
    return usage


def _material_departures(process: ProcessDefinition, material_lot: MaterialLot) -> list[str]:
    """How using `material_lot` departs from the approved process version: a material outside its
    bill of materials (when the version declares one), or an animal-derived lot on a xeno-free version.
    Each opens a deviation, so the lot is not released until QA has investigated and closed it."""
    out = []
    bill = set(process.bill_of_materials.values_list("pk", flat=True))
    if bill and material_lot.material_id not in bill:
        out.append(
            _("material lot {lot} ({material}) is not in the bill of materials of process v{version}").format(
                lot=material_lot.lot_number, material=material_lot.material.name, version=process.version
            )
        )
    if process.xeno_free and not material_lot.animal_component_free:
        out.append(
            _(
                "material lot {lot} ({material}) is of animal origin ({species}) but process v{version} is "
                "declared xeno-free"
            ).format(
                lot=material_lot.lot_number,
                material=material_lot.material.name,
                species=material_lot.animal_species,
                version=process.version,
            )
        )
    return out


def _step_times(lot: Lot, step: ProcessStep, started_at, finished_at) -> tuple[dt.datetime, dt.datetime]:
    """The step belongs to the lot's process version and finishes after it starts, both in the past."""
    if step.process_id != lot.process_id:
        raise InputError(
            _("step {step} is not a step of process v{version}").format(
                step=step.name, version=lot.process.version
            ),
            where="step",
        )
    started_at, finished_at = past_moment(started_at, "started_at"), past_moment(finished_at, "finished_at")
    if finished_at < started_at:
        raise InputError(_("the step finishes before it starts"), where="finished_at")
    return started_at, finished_at


def _parameter_values(step: ProcessStep, values: dict) -> list[tuple]:
    """(parameter, value in the parameter's unit, in range) for each given {parameter id: (value, unit)}."""
    parameters = {p.pk: p for p in step.parameters.all()}
    converted = []
    for pid, given in values.items():
        parameter = parameters.get(int(pid))
        field = f"values[{pid}]"
        if parameter is None:
            raise InputError(
                _("parameter {id} does not belong to step {step}").format(id=pid, step=step.name), where=field
            )
        try:
            raw, unit = given
        except (TypeError, ValueError):
            raise InputError(_("give each value as (value, unit)"), where=field) from None
        number = evaluation.to_decimal(raw, field=field)
        in_unit = evaluation.convert(number, unit or parameter.unit, parameter.unit, field=f"{field}.unit")
        in_unit = in_unit.quantize(Decimal("1e-6"))
        converted.append(
            (parameter, in_unit, evaluation.parameter_in_range(in_unit, parameter.low, parameter.high))
        )
    return converted


def _store_value(actor, lot: Lot, record: StepRecord, parameter, value: Decimal, in_range: bool) -> dict:
    """Store one parameter value; outside its range it opens a deviation. Returns what is audited."""
    deviation = None
    if not in_range:
        deviation = new_deviation(
            actor=actor,
            lot=lot,
            source="parameter",
            facts={"critical_parameter": parameter.critical},
            description=_("{parameter} = {value} {unit} outside {low}–{high} {unit} (step {step})").format(
                parameter=parameter.name,
                value=value.normalize(),
                unit=parameter.unit,
                low=parameter.low.normalize() if parameter.low is not None else "",
                high=parameter.high.normalize() if parameter.high is not None else "",
                step=record.step.name,
            ),
        )
    ParameterValue.objects.create(
        step_record=record,
        parameter=parameter,
        value=value,
        unit=parameter.unit,
        in_range=in_range,
        deviation=deviation,
    )
    return {
        "parameter": parameter.name,
        "value": value,
        "unit": parameter.unit,
        "in_range": in_range,
        "deviation": deviation.number if deviation else None,
    }


@transaction.atomic
def record_step(
    *,
    actor,
    lot: Lot,
    step: ProcessStep,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    values: dict | None = None,
    notes: str = "",
    room: Room | None = None,
    instruments: Iterable[Instrument] = (),
) -> StepRecord:
    """Record a manufacturing step with its parameter values {parameter id: (value, unit)}, the
    room it was done in and the instruments used.

    Values are converted to the parameter's unit; a value outside its range (inclusive) opens a
    deviation (source "parameter") in the same transaction. An instrument out of service, or past
    its calibration due date on the day the step started, is refused naming it, unless QA set its
    policy to "deviation": then the step is recorded and a deviation (source "equipment") opened.
    """
    require(actor, "lots.record_manufacturing")
    lot = locked_lot(lot)
    require_status(lot, ("in_process",), _("record a step"))
    started_at, finished_at = _step_times(lot, step, started_at, finished_at)
    require_qualified(actor, step=step, on=local_date(started_at), where="step")  # trained (and media fill)
    converted = _parameter_values(step, values or {})
    instruments = list(dict.fromkeys(instruments))
    lapses = check_use(instruments, used_at=started_at, room=room)
    record = StepRecord.objects.create(
        lot=lot,
        step=step,
        operator=actor,
        started_at=started_at,
        finished_at=finished_at,
        notes=notes or "",
        recorded_at=now(),
        room=room,
    )
    if instruments:
        record.instruments.set(instruments)
    logged = [_store_value(actor, lot, record, *entry) for entry in converted]
    record_event(
        actor=actor,
        action="lot.step",
        object_type="lot",
        object_id=lot.pk,
        after={
            "step_record_id": record.pk,
            "step": step.name,
            "order": step.order,
            "started_at": started_at,
            "finished_at": finished_at,
            "values": logged,
            "notes": record.notes,
            **({"room": room.code} if room else {}),
            **({"instruments": [i.identifier for i in instruments]} if instruments else {}),
        },
    )
    for lapse in lapses:
        open_equipment_deviation(
            actor=actor,
            lot=lot,
            lapse=lapse,
            used_for=_("step {step}").format(step=step.name),
            used_at=started_at,
        )
    return record
