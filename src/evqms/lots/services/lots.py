"""Lots: creation, the move to QC, the expiry date and the expiry of released lots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.dossier.models import CellBank, ProcessDefinition, Specification
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.models import Lot, StepRecord
from evqms.lots.records import lot_record
from evqms.lots.services._common import audited_update, locked_lot, require_status


def _require_approved_version(product, version, field: str, *, foreign: str, unapproved: str) -> None:
    """A lot is made on an approved version (of the process or the specification) of its own product."""
    if version.product_id != product.pk:
        raise InputError(foreign.format(version=version.version), where=field)
    if version.status != "approved":
        raise RuleViolation(unapproved.format(version=version.version, status=version.get_status_display()))


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
    _require_approved_version(
        product,
        process,
        "process",
        foreign=_("process v{version} belongs to another product"),
        unapproved=_("process v{version} is not approved ({status})"),
    )
    _require_approved_version(
        product,
        specification,
        "specification",
        foreign=_("specification v{version} belongs to another product"),
        unapproved=_("specification v{version} is not approved ({status})"),
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
def submit_to_qc(*, actor, lot: Lot) -> Lot:
    """in_process -> qc, once every step of the process has a record."""
    require(actor, "lots.submit_to_qc")
    lot = locked_lot(lot)
    require_status(lot, ("in_process",), _("submit to QC"))
    recorded = set(StepRecord.objects.filter(lot=lot).values_list("step_id", flat=True))
    missing = [s.name for s in lot.process.steps.all() if s.pk not in recorded]
    if missing:
        raise RuleViolation(_("steps not recorded yet: {steps}").format(steps=", ".join(missing)))
    return audited_update(lot, actor=actor, action="lot.submit_to_qc", status="qc")


@transaction.atomic
def set_lot_expiry(*, actor, lot: Lot, expiry: dt.date, reason: str = "") -> Lot:
    """Record or correct the expiry date of a lot not yet disposed of (audited, with a reason when
    it changes a recorded date); the release gate judges it against the approved shelf life."""
    require(actor, "lots.set_expiry")
    lot = locked_lot(lot)
    require_status(lot, ("in_process", "qc", "quarantine"), _("set its expiry"))
    if not isinstance(expiry, dt.date) or isinstance(expiry, dt.datetime):
        raise InputError(_("a date is required"), where="expiry")
    if expiry <= lot.manufactured_on:
        raise InputError(_("the expiry must be after the manufacturing date"), where="expiry")
    if lot.expiry is not None and lot.expiry != expiry:
        reason = required_text(reason, "reason", _("a reason is required to change a recorded expiry"))
    if lot.expiry == expiry:
        return lot
    return audited_update(lot, actor=actor, action="lot.set_expiry", reason=reason or "", expiry=expiry)


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
        changed.append(audited_update(lot, actor=actor, action="lot.expire", status="expired"))
    return changed
