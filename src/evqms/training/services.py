"""Every write of the training area: training records (record, revoke) and media fills (recorded
with QA's signature). Each runs in one transaction with its audit event; a kept evidence file is
removed again when the service refuses."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core import keptfiles
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.core.numbering import next_number
from evqms.dossier.models import Document
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.training import models as m
from evqms.training import records

# EU GMP Annex 1 (2022) 9.39 (the same text in PIC/S PE 009-17 Annex 1): where aseptic work is
# manual, each operator is revalidated with one APS approximately every 6 months. Our products are
# filled by hand in a biosafety cabinet, so that interval is the default (a setting).
MEDIA_FILL_SOURCE = "EU GMP Annex 1 (2022) 9.39; PIC/S PE 009-17 Annex 1: manual aseptic operations, one APS per operator about every 6 months"


def media_fill_validity_months() -> int:
    return int(getattr(settings, "MEDIA_FILL_VALIDITY_MONTHS", 6))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def as_date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and value.strip():
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(_("give a date as YYYY-MM-DD"), where=field) from None
    if not isinstance(value, dt.date):
        raise InputError(_("a date is required"), where=field)
    return value


def _not_future(day: dt.date, field: str) -> dt.date:
    if day > timezone.localdate():
        raise InputError(_("{when} is in the future").format(when=day.isoformat()), where=field)
    return day


def _person(user, field: str):
    User = get_user_model()
    if not isinstance(user, User) or not user.is_active:
        raise InputError(_("choose an active user"), where=field)
    return user


@keptfiles.removed_on_error  # a refused record leaves no evidence file
@transaction.atomic
def record_training(
    *,
    actor,
    person,
    document: Document,
    trained_on,
    effective_from=None,
    trainer,
    method: str,
    notes: str = "",
    evidence: tuple[str, bytes] | None = None,
) -> m.TrainingRecord:
    """`person` was trained on this version of `document` on `trained_on`; it counts from
    `effective_from` (default: the day of training). Only an approved version is trained on."""
    require(actor, "training.record_training")
    person = _person(person, "person")
    trainer = _person(trainer, "trainer")
    if not isinstance(document, Document):
        raise InputError(_("choose a document of the dossier"), where="document")
    document = lock_for_update(Document.objects.filter(pk=document.pk)).get()
    if document.status != "approved":
        raise RuleViolation(
            _("{code} v{version} is {status}: only the approved version is trained on").format(
                code=document.code, version=document.version, status=document.get_status_display()
            )
        )
    if method not in dict(m.TRAINING_METHODS):
        raise InputError(_("unknown value {value}").format(value=method), where="method")
    trained_on = _not_future(as_date(trained_on, "trained_on"), "trained_on")
    effective_from = trained_on if effective_from in (None, "") else as_date(effective_from, "effective_from")
    if effective_from < trained_on:
        raise InputError(
            _("a training takes effect on or after the day it was given"), where="effective_from"
        )
    if m.TrainingRecord.objects.filter(person=person, document=document, status="active").exists():
        raise RuleViolation(
            _("{name} already has an active training record for {code} v{version}").format(
                name=person.signature_name(), code=document.code, version=document.version
            )
        )
    record = m.TrainingRecord(
        person=person,
        document=document,
        trained_on=trained_on,
        effective_from=effective_from,
        trainer=trainer,
        method=method,
        notes=(notes or "").strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    if kept := keptfiles.keep_attached(record.evidence, evidence, where="evidence"):
        record.evidence_name, record.evidence_sha256 = kept.original_name, kept.sha256
    record.save(force_insert=True)
    record_event(
        actor=actor,
        action="training.record",
        object_type="training",
        object_id=record.pk,
        after=records.training_record(record),
    )
    return record


@transaction.atomic
def revoke_training(*, actor, record: m.TrainingRecord, reason: str) -> m.TrainingRecord:
    """Withdraw a training record (e.g. trained by mistake, assessment failed); it is kept, revoked."""
    require(actor, "training.revoke_training")
    reason = required_text(reason, "reason", _("a reason is required to revoke a training record"))
    record = lock_for_update(m.TrainingRecord.objects.filter(pk=record.pk)).get()
    if record.status != "active":
        raise RuleViolation(_("this training record is already revoked"))
    before = records.training_record(record)
    record.status = "revoked"
    record.revoked_reason = reason
    record.revoked_by = actor
    record.revoked_at = timezone.now()
    record.save(update_fields=["status", "revoked_reason", "revoked_by", "revoked_at"])
    record_event(
        actor=actor,
        action="training.revoke",
        object_type="training",
        object_id=record.pk,
        before=before,
        after=records.training_record(record),
        reason=reason,
    )
    return record


def _count(value, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InputError(_("a whole number is expected"), where=field) from None
    if number < 0:
        raise InputError(_("a whole number is expected"), where=field)
    return number


def _units(filled, incubated, contaminated) -> tuple[int, int, int]:
    filled = _count(filled, "units_filled")
    incubated = _count(incubated, "units_incubated")
    contaminated = _count(contaminated, "units_contaminated")
    if filled == 0:
        raise InputError(_("a media fill fills at least one unit"), where="units_filled")
    if incubated > filled:
        raise InputError(_("more units incubated than filled"), where="units_incubated")
    if contaminated > incubated:
        raise InputError(_("more units contaminated than incubated"), where="units_contaminated")
    return filled, incubated, contaminated


def _participants(operators: dict, run_result: str) -> list[tuple]:
    """[(operator, result)] from {operator: "pass" | "fail"}: an operator may fail a passing run (e.g.
    a gowning failure), never pass a failed one."""
    if not operators:
        raise InputError(_("name at least one participating operator"), where="operators")
    out = []
    for operator, result in operators.items():
        _person(operator, "operators")
        if result not in dict(m.RESULTS):
            raise InputError(_("unknown value {value}").format(value=result), where="operators")
        if run_result == "fail" and result == "pass":
            raise InputError(
                _("{name} cannot pass a failed media fill").format(name=operator.signature_name()),
                where="operators",
            )
        out.append((operator, result))
    return out


def record_media_fill(
    *,
    request,
    actor,
    password: str,
    performed_on,
    line: str,
    operators: dict,
    units_filled,
    units_incubated,
    units_contaminated,
    process_description: str = "",
    notes: str = "",
    reason: str = "",
) -> m.MediaFill:
    """Record a media fill read after incubation, signed by QA (password re-entered). The run passes
    only with no contaminated unit (Annex 1: the target is zero growth, any contaminated unit fails the run). `operators` maps each
    participating operator to "pass" or "fail"; each passing operator's qualification lasts the
    interval in force (MEDIA_FILL_VALIDITY_MONTHS) from the run's day. A participant may not sign."""
    require(actor, "training.record_media_fill")
    check_signing_password(
        request=request,
        signer=actor,
        password=password,
        prohibited=[
            (getattr(o, "pk", None), _("an operator of the media fill may not sign it"))
            for o in operators or {}
        ],
    )
    with transaction.atomic():
        performed_on = _not_future(as_date(performed_on, "performed_on"), "performed_on")
        line = required_text(line, "line")[:200]
        filled, incubated, contaminated = _units(units_filled, units_incubated, units_contaminated)
        run_result = "pass" if contaminated == 0 else "fail"
        chosen = _participants(operators, run_result)
        months = media_fill_validity_months()
        run = m.MediaFill.objects.create(
            number=next_number(m.MediaFill, "MF-", width=5),
            performed_on=performed_on,
            line=line,
            process_description=(process_description or "").strip()[:300],
            units_filled=filled,
            units_incubated=incubated,
            units_contaminated=contaminated,
            result=run_result,
            validity_months=months,
            validity_source=MEDIA_FILL_SOURCE,
            notes=(notes or "").strip(),
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        expires_on = add_months(performed_on, months)
        for operator, result in chosen:
            m.MediaFillParticipant.objects.create(
                media_fill=run, operator=operator, result=result, expires_on=expires_on
            )
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="media_fill",
            object_id=run.pk,
            record=records.media_fill_signed_record(run),
            reason=reason,
        )
        record_event(
            actor=actor,
            action="media_fill.record",
            object_type="media_fill",
            object_id=run.pk,
            after={**records.media_fill_record(run), "signature_id": signature.pk},
            reason=reason,
        )
    return run
