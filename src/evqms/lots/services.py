"""Writes for lots: creation, manufacturing records, QC results, deviations, release and rejection.

Every function takes keyword arguments and an explicit acting user, checks the user's role
(`lots/rules.py`), runs in one transaction with the lot row locked, and writes its audit event
(object_type "lot" / "qc_result" / "deviation", object_id = the row's primary key) in that
same transaction. Nothing is deleted: a result is invalidated with a reason, a retest is a new
result linked to the one it repeats.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core import identifiers, keptfiles
from evqms.core.canonical import sha256_hex
from evqms.core.db import lock_for_update
from evqms.core.numbering import next_number
from evqms.dossier.models import (
    CellBank,
    MaterialLot,
    ProcessDefinition,
    ProcessStep,
    SpecAttribute,
    Specification,
)
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.models import Deviation, Lot, MaterialUsage, ParameterValue, QCResult, StepRecord
from evqms.lots.records import deviation_record, lot_record, lot_release_record, qc_result_record

# A lot takes, loses and verifies QC results only while it is in QC or in quarantine.
QC_OPEN_STATUSES = ("qc", "quarantine")
VALUE_PLACES = Decimal("1e-10")


class ReleaseBlocked(RuleViolation):
    """The release gate found problems; `problems` lists them (each with a code and a message)."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(p.text for p in self.problems))


# --- helpers ------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _locked_lot(lot: Lot) -> Lot:
    return (
        lock_for_update(Lot.objects.filter(pk=lot.pk))
        .select_related("product", "process", "specification", "cell_bank")
        .get()
    )


def _status_refusal(lot: Lot, allowed: tuple[str, ...], action: str) -> str | None:
    if lot.status in allowed:
        return None
    return _("lot {lot} is {status}: cannot {action}").format(
        lot=lot.number, status=lot.get_status_display(), action=action
    )


def _require_status(lot: Lot, allowed: tuple[str, ...], action: str) -> None:
    refusal = _status_refusal(lot, allowed, action)
    if refusal:
        raise RuleViolation(refusal)


def _text_required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(message, where=field)
    return value


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InputError(_("a date and time is required"), where=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > _now() + dt.timedelta(minutes=5):
        raise InputError(_("{when} is in the future").format(when=value.isoformat()), where=field)
    return value


def _new_deviation(
    *, actor, lot: Lot, source: str, description: str, qc_result: QCResult | None = None
) -> Deviation:
    """Open a deviation inside the caller's transaction (the lot row is locked by the caller)."""
    deviation = Deviation.objects.create(
        lot=lot,
        number=next_number(Deviation, f"DEV-{lot.number}-", width=2),  # locked counter per lot
        source=source,
        description=description,
        opened_by=actor,
        opened_at=_now(),
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


# --- lot creation and manufacturing -------------------------------------------------------


@transaction.atomic
def create_lot(
    *,
    actor,
    product,
    process: ProcessDefinition,
    specification: Specification,
    cell_bank: CellBank,
    number: str,
    manufactured_on: dt.date,
    volume_ml: Decimal | None = None,
    expiry: dt.date | None = None,
    notes: str = "",
) -> Lot:
    require(actor, "lots.create_lot")
    number = identifiers.clean("lot", number, field="number")
    if process.product_id != product.pk:
        raise InputError(
            _("process v{version} belongs to another product").format(version=process.version),
            where="process",
        )
    if process.status != "approved":
        raise RuleViolation(
            _("process v{version} is not approved ({status})").format(
                version=process.version, status=process.get_status_display()
            )
        )
    if specification.product_id != product.pk:
        raise InputError(
            _("specification v{version} belongs to another product").format(version=specification.version),
            where="specification",
        )
    if specification.status != "approved":
        raise RuleViolation(
            _("specification v{version} is not approved ({status})").format(
                version=specification.version, status=specification.get_status_display()
            )
        )
    if cell_bank.status != "available":
        raise RuleViolation(
            _("cell bank {code} is not available ({status})").format(
                code=cell_bank.code, status=cell_bank.get_status_display()
            )
        )
    if expiry is not None and expiry <= manufactured_on:
        raise InputError(_("the expiry must be after the manufacturing date"), where="expiry")
    if volume_ml is not None:
        volume_ml = evaluation.to_decimal(volume_ml, field="volume_ml")
        if volume_ml <= 0:
            raise InputError(_("the volume must be positive"), where="volume_ml")
    identifiers.require_unique("lot", number, field="number")
    try:
        with transaction.atomic():
            lot = Lot.objects.create(
                number=number,
                product=product,
                process=process,
                specification=specification,
                cell_bank=cell_bank,
                manufactured_on=manufactured_on,
                volume_ml=volume_ml,
                expiry=expiry,
                notes=notes or "",
                created_by=actor,
            )
    except IntegrityError:
        raise InputError(_("lot {lot} already exists").format(lot=number), where="number") from None
    record_event(actor=actor, action="lot.create", object_type="lot", object_id=lot.pk, after=lot_record(lot))
    return lot


@transaction.atomic
def record_material_usage(
    *, actor, lot: Lot, material_lot: MaterialLot, quantity, unit: str
) -> MaterialUsage:
    require(actor, "lots.record_manufacturing")
    lot = _locked_lot(lot)
    _require_status(lot, ("in_process",), _("record materials"))
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
    unit = _text_required(unit, "unit", _("a unit is required"))
    usage = MaterialUsage.objects.create(
        lot=lot,
        material_lot=material_lot,
        quantity=quantity,
        unit=unit,
        recorded_by=actor,
        recorded_at=_now(),
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
        _new_deviation(actor=actor, lot=lot, source="material", description=description)
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
) -> StepRecord:
    """Record a manufacturing step with its parameter values {parameter id: (value, unit)}.

    Values are converted to the parameter's unit; a value outside its range (inclusive) opens a
    deviation (source "parameter") in the same transaction.
    """
    require(actor, "lots.record_manufacturing")
    lot = _locked_lot(lot)
    _require_status(lot, ("in_process",), _("record a step"))
    if step.process_id != lot.process_id:
        raise InputError(
            _("step {step} is not a step of process v{version}").format(
                step=step.name, version=lot.process.version
            ),
            where="step",
        )
    started_at, finished_at = _aware(started_at, "started_at"), _aware(finished_at, "finished_at")
    if finished_at < started_at:
        raise InputError(_("the step finishes before it starts"), where="finished_at")
    parameters = {p.pk: p for p in step.parameters.all()}
    values = values or {}
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
    record = StepRecord.objects.create(
        lot=lot,
        step=step,
        operator=actor,
        started_at=started_at,
        finished_at=finished_at,
        notes=notes or "",
        recorded_at=_now(),
    )
    logged = []
    for parameter, value, in_range in converted:
        deviation = None
        if not in_range:
            deviation = _new_deviation(
                actor=actor,
                lot=lot,
                source="parameter",
                description=_(
                    "{parameter} = {value} {unit} outside {low}–{high} {unit} (step {step})"
                ).format(
                    parameter=parameter.name,
                    value=value.normalize(),
                    unit=parameter.unit,
                    low=parameter.low.normalize() if parameter.low is not None else "",
                    high=parameter.high.normalize() if parameter.high is not None else "",
                    step=step.name,
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
        logged.append(
            {
                "parameter": parameter.name,
                "value": value,
                "unit": parameter.unit,
                "in_range": in_range,
                "deviation": deviation.number if deviation else None,
            }
        )
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
        },
    )
    return record


@transaction.atomic
def submit_to_qc(*, actor, lot: Lot) -> Lot:
    """in_process -> qc, once every step of the process has a record."""
    require(actor, "lots.submit_to_qc")
    lot = _locked_lot(lot)
    _require_status(lot, ("in_process",), _("submit to QC"))
    recorded = set(StepRecord.objects.filter(lot=lot).values_list("step_id", flat=True))
    missing = [s.name for s in lot.process.steps.all() if s.pk not in recorded]
    if missing:
        raise RuleViolation(_("steps not recorded yet: {steps}").format(steps=", ".join(missing)))
    before = lot_record(lot)
    lot.status = "qc"
    lot.save(update_fields=["status"])
    record_event(
        actor=actor,
        action="lot.submit_to_qc",
        object_type="lot",
        object_id=lot.pk,
        before=before,
        after=lot_record(lot),
    )
    return lot


@transaction.atomic
def set_lot_expiry(*, actor, lot: Lot, expiry: dt.date, reason: str = "") -> Lot:
    """Record or correct the expiry date of a lot not yet disposed of (audited, with a reason when
    it changes a recorded date); the release gate judges it against the approved shelf life."""
    require(actor, "lots.set_expiry")
    lot = _locked_lot(lot)
    _require_status(lot, ("in_process", "qc", "quarantine"), _("set its expiry"))
    if not isinstance(expiry, dt.date) or isinstance(expiry, dt.datetime):
        raise InputError(_("a date is required"), where="expiry")
    if expiry <= lot.manufactured_on:
        raise InputError(_("the expiry must be after the manufacturing date"), where="expiry")
    if lot.expiry is not None and lot.expiry != expiry:
        reason = _text_required(reason, "reason", _("a reason is required to change a recorded expiry"))
    if lot.expiry == expiry:
        return lot
    before = lot_record(lot)
    lot.expiry = expiry
    lot.save(update_fields=["expiry"])
    record_event(
        actor=actor,
        action="lot.set_expiry",
        object_type="lot",
        object_id=lot.pk,
        before=before,
        after=lot_record(lot),
        reason=reason or "",
    )
    return lot


# --- QC results ---------------------------------------------------------------------------


def _frozen_limits(attribute: SpecAttribute) -> dict:
    return evaluation.freeze_limits(
        kind=attribute.kind,
        unit=attribute.unit,
        lower=attribute.lower,
        lower_inclusive=attribute.lower_inclusive,
        upper=attribute.upper,
        upper_inclusive=attribute.upper_inclusive,
        alert_lower=attribute.alert_lower,
        alert_upper=attribute.alert_upper,
        decimal_places=attribute.decimal_places,
        acceptable=attribute.acceptable,
        choices=attribute.choices,
        spec_version=attribute.specification.version,
        attribute_code=attribute.code,
    )


def _raw_file_content(raw_file) -> tuple[str, bytes]:
    if isinstance(raw_file, tuple):
        name, data = raw_file
        if isinstance(data, str):
            data = data.encode("utf-8")
        return str(name), bytes(data)
    name = getattr(raw_file, "name", None) or "raw-file"
    if hasattr(raw_file, "seek"):
        raw_file.seek(0)
    if hasattr(raw_file, "chunks"):
        data = b"".join(raw_file.chunks())
    else:
        data = raw_file.read()
    return name.rsplit("/", 1)[-1], data


def evaluate_entry(*, attribute: SpecAttribute, value=None, unit: str = "", text_value: str = "") -> dict:
    """Check and judge one entry without writing anything (also used by the QC import's first pass).

    Returns limits, value (Decimal or None), value_in_spec_unit, evaluation.
    """
    limits = _frozen_limits(attribute)
    if attribute.kind == "qualitative":
        judged = evaluation.evaluate_qualitative(text_value, limits, field="text_value")
        return {
            "limits": limits,
            "value": None,
            "value_in_spec_unit": None,
            "evaluation": judged,
            "text_value": text_value.strip(),
        }
    if value is None or value == "":
        raise InputError(
            _("a numeric value is required for {attribute}").format(attribute=attribute.code), where="value"
        )
    number = evaluation.to_decimal(value, field="value")
    evaluation.check_physical(number, limits, field="value")
    in_unit = evaluation.convert(number, unit or attribute.unit, attribute.unit, field="unit")
    evaluation.check_physical(in_unit, limits, field="value")
    judged = evaluation.evaluate_quantitative(in_unit, limits)
    return {
        "limits": limits,
        "value": number,
        "value_in_spec_unit": in_unit,
        "evaluation": judged,
        "text_value": "",
    }


def _fit(value: Decimal | None) -> Decimal | None:
    """Fit a Decimal in the result columns (10 decimal places)."""
    return None if value is None else value.quantize(VALUE_PLACES)


@keptfiles.removed_on_error  # a refused result leaves no raw file
@transaction.atomic
def record_qc_result(
    *,
    actor,
    lot: Lot,
    attribute: SpecAttribute,
    value=None,
    unit: str = "",
    text_value: str = "",
    method: str = "",
    tested_at: dt.datetime,
    raw_file=None,
    retest_of: QCResult | None = None,
    analyst=None,
    stored_file_name: str = "",
    stored_file_sha256: str = "",
    derived: dict | None = None,
) -> QCResult:
    """Record a QC result judged against limits frozen onto it; a failing result opens an OOS deviation.

    `derived` keeps what an instrument file or analysis gave beside the value (e.g. the NTA figures).

    `analyst` (default: the actor) is who performed the test; `stored_file_name/sha256` let the QC
    import point results at the import file it has already stored.
    """
    require(actor, "lots.record_qc_result")
    analyst = analyst or actor
    if analyst.pk != actor.pk:
        require(analyst, "lots.record_qc_result")
    lot = _locked_lot(lot)
    _require_status(lot, QC_OPEN_STATUSES, _("record a QC result"))
    if attribute.specification_id != lot.specification_id:
        raise InputError(
            _("attribute {attribute} is not in specification v{version} of lot {lot}").format(
                attribute=attribute.code, version=lot.specification.version, lot=lot.number
            ),
            where="attribute",
        )
    tested_at = _aware(tested_at, "tested_at")
    entry = evaluate_entry(attribute=attribute, value=value, unit=unit, text_value=text_value)
    existing = QCResult.objects.filter(lot=lot, attribute=attribute, status="valid")
    if retest_of is not None:
        if retest_of.lot_id != lot.pk or retest_of.attribute_id != attribute.pk:
            raise InputError(
                _("a retest must repeat a result of the same lot and attribute"), where="retest_of"
            )
    elif existing.exists():
        raise RuleViolation(
            _(
                "{attribute} already has a valid result for lot {lot}: record a retest of it, or invalidate it first"
            ).format(attribute=attribute.code, lot=lot.number)
        )
    judged = entry["evaluation"]
    result = QCResult(
        lot=lot,
        attribute=attribute,
        value=_fit(entry["value"]),
        unit=(unit or attribute.unit or "").strip(),
        value_in_spec_unit=_fit(entry["value_in_spec_unit"]),
        reported_value=_fit(judged.reported),
        text_value=entry["text_value"],
        method=(method or attribute.method).strip(),
        limits=entry["limits"],
        verdict=judged.verdict,
        retest_of=retest_of,
        analyst=analyst,
        tested_at=tested_at,
        recorded_at=_now(),
        derived=derived or {},
    )
    if raw_file is not None:
        name, data = _raw_file_content(raw_file)
        result.raw_file_name = name
        result.raw_file_sha256 = sha256_hex(data)
        keptfiles.save(result.raw_file, name, data)
    elif stored_file_name:
        result.raw_file.name = stored_file_name
        result.raw_file_name = stored_file_name.rsplit("/", 1)[-1]
        result.raw_file_sha256 = stored_file_sha256
    result.save()
    record_event(
        actor=actor,
        action="qc_result.record",
        object_type="qc_result",
        object_id=result.pk,
        after={**qc_result_record(result), **({"derived": result.derived} if result.derived else {})},
        reason=judged.reason,
    )
    if judged.verdict == evaluation.FAIL and _open_oos_deviation(result) is None:
        # A failing retest belongs to the investigation already open for the original OOS.
        shown = result.text_value or f"{result.reported_value.normalize()} {attribute.unit}"
        _new_deviation(
            actor=actor,
            lot=lot,
            source="oos",
            qc_result=result,
            description=_("OOS: {attribute} = {value}, {reason}").format(
                attribute=attribute.name, value=shown, reason=judged.reason
            ),
        )
    return result


def _open_oos_deviation(result: QCResult) -> Deviation | None:
    """The open OOS deviation of the result this one retests (following the retest chain)."""
    seen = set()
    current = result.retest_of
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        deviation = Deviation.objects.filter(qc_result=current, status="open").first()
        if deviation is not None:
            return deviation
        current = current.retest_of
    return None


def _locked_result(result: QCResult) -> QCResult:
    return (
        lock_for_update(QCResult.objects.filter(pk=result.pk))
        .select_related("lot", "attribute", "analyst")
        .get()
    )


@transaction.atomic
def invalidate_qc_result(*, actor, result: QCResult, reason: str) -> QCResult:
    """Mark a result invalid (e.g. a documented laboratory error); it is never deleted."""
    require(actor, "lots.invalidate_qc_result")
    reason = _text_required(reason, "reason", _("a reason is required to invalidate a result"))
    lot = _locked_lot(result.lot)
    _require_status(lot, QC_OPEN_STATUSES, _("invalidate a QC result"))
    result = _locked_result(result)
    if result.status != "valid":
        raise RuleViolation(_("this result is already invalidated"))
    before = qc_result_record(result)
    result.status = "invalidated"
    result.invalidation_reason = reason
    result.save(update_fields=["status", "invalidation_reason"])
    record_event(
        actor=actor,
        action="qc_result.invalidate",
        object_type="qc_result",
        object_id=result.pk,
        before=before,
        after=qc_result_record(result),
        reason=reason,
    )
    return result


def verification_refusal(actor, *, lot: Lot, analyst: str, status: str, verified: bool) -> str | None:
    """Why `actor` may not verify a QC result of `lot`, or None when they may: the result was
    tested by `analyst` (a username), has `status` ("valid" or "invalid") and is `verified` or
    not. The service refuses with this reason; the lot page offers the button when it is None."""
    try:
        require(actor, "lots.verify_qc_result")
    except PermissionDenied as exc:
        return str(exc)
    closed = _status_refusal(lot, QC_OPEN_STATUSES, _("verify a QC result"))
    if closed:
        return closed
    if analyst == actor.get_username():
        return _("no one verifies their own result: a second person must verify it")
    if status != "valid":
        return _("an invalidated result cannot be verified")
    if verified:
        return _("this result is already verified")
    return None


@transaction.atomic
def verify_qc_result(*, actor, result: QCResult) -> QCResult:
    """Second-person verification: never by the analyst who performed the test."""
    require(actor, "lots.verify_qc_result")
    lot = _locked_lot(result.lot)
    _require_status(lot, QC_OPEN_STATUSES, _("verify a QC result"))
    result = _locked_result(result)
    refusal = verification_refusal(
        actor,
        lot=lot,
        analyst=result.analyst.get_username(),
        status=result.status,
        verified=bool(result.verified_by_id),
    )
    if refusal:
        raise RuleViolation(refusal)
    before = qc_result_record(result)
    result.verified_by = actor
    result.verified_at = _now()
    result.save(update_fields=["verified_by", "verified_at"])
    record_event(
        actor=actor,
        action="qc_result.verify",
        object_type="qc_result",
        object_id=result.pk,
        before=before,
        after=qc_result_record(result),
    )
    return result


@transaction.atomic
def complete_qc(*, actor, lot: Lot) -> Lot:
    """qc -> quarantine once every release-stage attribute has a valid result."""
    require(actor, "lots.complete_qc")
    lot = _locked_lot(lot)
    _require_status(lot, ("qc",), _("complete QC"))
    have = set(QCResult.objects.filter(lot=lot, status="valid").values_list("attribute_id", flat=True))
    missing = [a.code for a in lot.specification.attributes.filter(stage="release") if a.pk not in have]
    if missing:
        raise RuleViolation(_("no valid result yet for: {attributes}").format(attributes=", ".join(missing)))
    before = lot_record(lot)
    lot.status = "quarantine"
    lot.save(update_fields=["status"])
    record_event(
        actor=actor,
        action="lot.complete_qc",
        object_type="lot",
        object_id=lot.pk,
        before=before,
        after=lot_record(lot),
    )
    return lot


# --- deviations ---------------------------------------------------------------------------


@transaction.atomic
def open_deviation(*, actor, lot: Lot, description: str, source: str = "manual") -> Deviation:
    require(actor, "lots.open_deviation")
    description = _text_required(description, "description", _("describe the deviation"))
    if source not in dict(Deviation.SOURCES):
        raise InputError(_("unknown deviation source {source}").format(source=source), where="source")
    lot = _locked_lot(lot)
    return _new_deviation(actor=actor, lot=lot, source=source, description=description)


@transaction.atomic
def close_deviation(*, actor, deviation: Deviation, resolution: str) -> Deviation:
    require(actor, "lots.close_deviation")
    resolution = _text_required(
        resolution, "resolution", _("a resolution (investigation and CAPA) is required")
    )
    _locked_lot(deviation.lot)
    deviation = lock_for_update(Deviation.objects.filter(pk=deviation.pk)).select_related("lot").get()
    if deviation.status != "open":
        raise RuleViolation(_("deviation {number} is already closed").format(number=deviation.number))
    before = deviation_record(deviation)
    deviation.status = "closed"
    deviation.resolution = resolution
    deviation.closed_by = actor
    deviation.closed_at = _now()
    deviation.save(update_fields=["status", "resolution", "closed_by", "closed_at"])
    record_event(
        actor=actor,
        action="deviation.close",
        object_type="deviation",
        object_id=deviation.pk,
        before=before,
        after=deviation_record(deviation),
        reason=resolution,
    )
    return deviation


# --- disposition: release and rejection ---------------------------------------------------


def prohibited_signers(lot: Lot) -> list[tuple[int, str]]:
    """Who may not release or reject the lot: no one disposes of a lot they made or tested."""
    made = _("you created this lot: another person must sign its disposition")
    worked = _("you recorded manufacturing of this lot: another person must sign its disposition")
    tested = _("you tested this lot: another person must sign its disposition")
    out = [(lot.created_by_id, made)]
    out += [(uid, worked) for uid in StepRecord.objects.filter(lot=lot).values_list("operator_id", flat=True)]
    out += [
        (uid, worked)
        for uid in MaterialUsage.objects.filter(lot=lot).values_list("recorded_by_id", flat=True)
    ]
    out += [(uid, tested) for uid in QCResult.objects.filter(lot=lot).values_list("analyst_id", flat=True)]
    # The second-person check of the QC data and the disposition are separate duties (QA independent of
    # QC): someone who verified this lot's results, even holding the QA role too, does not also release it.
    verified = _("you verified this lot's QC results: another person must sign its disposition")
    out += [
        (uid, verified)
        for uid in QCResult.objects.filter(lot=lot, verified_by__isnull=False).values_list(
            "verified_by_id", flat=True
        )
    ]
    seen, unique = set(), []
    for uid, why in out:
        if uid not in seen:
            seen.add(uid)
            unique.append((uid, why))
    return unique


def _refuse_if_prohibited(actor, lot: Lot) -> None:
    for uid, why in prohibited_signers(lot):
        if uid == actor.pk:
            raise RuleViolation(why)


def release_lot(*, request, actor, lot: Lot, password: str, reason: str = "") -> Lot:
    """QA release with an electronic signature over the lot's canonical snapshot.

    The password is checked first, outside the transaction (a wrong one must stay counted by the
    lockout); then, with the lot row locked, the release gate is checked again, so of two people
    releasing the same lot at once exactly one succeeds.
    """
    from evqms.lots.selectors import release_gate

    require(actor, "lots.release_lot")
    check_signing_password(
        request=request, signer=actor, password=password, prohibited=prohibited_signers(lot)
    )
    with transaction.atomic():
        locked = _locked_lot(lot)
        _refuse_if_prohibited(actor, locked)
        problems = release_gate(locked)
        if problems:
            raise ReleaseBlocked(problems)
        before = lot_record(locked)
        signature = write_signature(
            signer=actor,
            meaning="release",
            object_type="lot",
            object_id=locked.pk,
            record=lot_release_record(locked),
            reason=reason or "",
        )
        locked.status = "released"
        locked.released_at = signature.signed_at
        locked.release_signature = signature
        locked.save(update_fields=["status", "released_at", "release_signature"])
        record_event(
            actor=actor,
            action="lot.release",
            object_type="lot",
            object_id=locked.pk,
            before=before,
            after={**lot_record(locked), "signature_id": signature.pk},
            reason=reason or "",
        )
    return locked


def reject_lot(*, request, actor, lot: Lot, password: str, reason: str) -> Lot:
    """QA rejection with an electronic signature (meaning "rejection"); a reason is required."""

    require(actor, "lots.reject_lot")
    reason = _text_required(reason, "reason", _("a reason is required to reject a lot"))
    check_signing_password(
        request=request, signer=actor, password=password, prohibited=prohibited_signers(lot)
    )
    with transaction.atomic():
        locked = _locked_lot(lot)
        _refuse_if_prohibited(actor, locked)
        _require_status(locked, ("in_process", "qc", "quarantine"), _("reject it"))
        before = lot_record(locked)
        signature = write_signature(
            signer=actor,
            meaning="rejection",
            object_type="lot",
            object_id=locked.pk,
            record=lot_release_record(locked),
            reason=reason,
        )
        locked.status = "rejected"
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="lot.reject",
            object_type="lot",
            object_id=locked.pk,
            before=before,
            after={**lot_record(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked


@transaction.atomic
def mark_expired(*, actor, today: dt.date | None = None) -> list[Lot]:
    """Released lots whose expiry date has passed become expired (actor None = the system)."""
    if actor is not None:
        require(actor, "lots.mark_expired")
    today = today or timezone.localdate()
    changed = []
    for lot in lock_for_update(Lot.objects.filter(status="released", expiry__lt=today)).select_related(
        "product", "process", "specification", "cell_bank"
    ):
        before = lot_record(lot)
        lot.status = "expired"
        lot.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="lot.expire",
            object_type="lot",
            object_id=lot.pk,
            before=before,
            after=lot_record(lot),
        )
        changed.append(lot)
    return changed
