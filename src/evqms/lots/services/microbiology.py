"""Sterility, endotoxin and mycoplasma tests: method suitability records (recorded by QC, approved
by QA with a signature) and the positive and negative controls of each run.

A result of such a test is entered only with its run's controls (each missing one is refused,
named); a run whose controls failed is stored with the status "invalid run" and its reason, and a
retest follows. A result is accepted without an approved method suitability record, but it cannot
support release until one is approved: the pharmacopoeias allow the suitability test to run beside
the first tests of a product (Ph. Eur. 2.6.1, JP 4.06), and a result refused at the bench would be
written on paper instead of recorded when it was made (ALCOA). The release gate
(`selectors/release.py`) asks for the record in force when QA releases.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core import keptfiles
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.core.numbering import next_number
from evqms.dossier.models import Product
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.models import MethodSuitability, QCResult, QCRunControls
from evqms.lots.records import method_suitability_record, run_controls_record
from evqms.lots.selectors.microbiology import (
    TEST_TYPES,
    invalid_reasons,
    recovery_in_range,
    suitability_in_force,
    test_type_of,
)

_YES = {"yes", "y", "true", "1", "detected", "positive", "growth", "はい", "検出", "陽性"}
_NO = {"no", "n", "false", "0", "not detected", "negative", "no growth", "いいえ", "不検出", "陰性"}


def detected(value, field: str) -> bool | None:
    """yes/no (detected / not detected) from a form, an import cell or JSON; None when empty."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InputError(
        _("give detected or not detected (yes or no), not {value}").format(value=value), where=field
    )


def percent(value, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        raise InputError(_("a number (percent) is expected"), where=field) from None
    if not number.is_finite() or number < 0 or number >= Decimal("100000"):
        raise InputError(_("a number (percent) is expected"), where=field)
    return number.quantize(Decimal("0.01"))


# --- the controls of one run, checked when its result is entered (called by services/qc.py)


def checked_controls(*, lot, attribute, method: str, given: dict | None) -> QCRunControls | None:
    """The run controls of a result about to be recorded (unsaved), or None when the attribute is
    not a sterility, endotoxin or mycoplasma test. Each control the test needs is required: the
    negative control (detected or not), and the positive control (detected or not; endotoxin: the
    positive product control's spike recovery in %)."""
    test_type = test_type_of(attribute)
    if test_type is None:
        return None
    given = given or {}
    positive = detected(given.get("positive_control"), "positive_control")
    recovery = percent(given.get("positive_recovery"), "positive_recovery")
    negative = detected(given.get("negative_control"), "negative_control")
    if test_type == "endotoxin" and recovery is None:
        raise InputError(
            _("{attribute}: the positive product control's spike recovery (%) is required").format(
                attribute=attribute.code
            ),
            where="positive_recovery",
        )
    if test_type != "endotoxin" and positive is None:
        raise InputError(
            _("{attribute}: the positive control (detected or not) is required").format(
                attribute=attribute.code
            ),
            where="positive_control",
        )
    if negative is None:
        raise InputError(
            _("{attribute}: the negative control (detected or not) is required").format(
                attribute=attribute.code
            ),
            where="negative_control",
        )
    reasons = invalid_reasons(positive=positive, recovery=recovery, negative=negative)
    return QCRunControls(
        test_type=test_type,
        positive_detected=positive,
        positive_recovery_pct=recovery,
        negative_detected=negative,
        valid=not reasons,
        invalid_reason="; ".join(reasons),
        suitability=suitability_in_force(lot.product_id, test_type, method),
    )


def apply_controls(result: QCResult, controls: QCRunControls | None) -> None:
    """Mark a result of a run whose controls failed "invalid run" (kept, never supports release) and
    keep the controls with it until it is saved (`save_controls`)."""
    result.pending_controls = controls
    if controls is not None and not controls.valid:
        result.status = "invalid_run"
        result.invalidation_reason = _("invalid run: {reason}").format(reason=controls.invalid_reason)


def save_controls(results) -> None:
    """Store the controls of results just inserted (one insert)."""
    rows = []
    for result in results:
        controls = getattr(result, "pending_controls", None)
        if controls is not None:
            controls.result = result
            rows.append(controls)
    if rows:
        QCRunControls.objects.bulk_create(rows)


def controls_event(result: QCResult) -> dict:
    """What the result's audit event adds: its run controls, when it has them."""
    controls = getattr(result, "pending_controls", None)
    return {"run_controls": run_controls_record(controls)} if controls is not None else {}


# --- method suitability records


def _day(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and value.strip():
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(_("give a date as YYYY-MM-DD"), where=field) from None
    if not isinstance(value, dt.date):
        raise InputError(_("a date is required"), where=field)
    if value > timezone.localdate():
        raise InputError(_("{when} is in the future").format(when=value.isoformat()), where=field)
    return value


@keptfiles.removed_on_error  # a refused record leaves no report file
@transaction.atomic
def record_method_suitability(
    *,
    actor,
    product: Product,
    test_type: str,
    method: str,
    performed_on,
    outcome: str,
    method_version: str = "",
    analyst=None,
    spike_recovery=None,
    notes: str = "",
    report: tuple[str, bytes] | None = None,
) -> MethodSuitability:
    """Record a method suitability test of `product` (awaiting QA's approval). Endotoxin: the spike
    recovery of the test for interfering factors is required, and a method is suitable only with
    50-200 %."""
    require(actor, "lots.record_method_suitability")
    if not isinstance(product, Product):
        raise InputError(_("choose a product"), where="product")
    if test_type not in TEST_TYPES:
        raise InputError(_("unknown value {value}").format(value=test_type), where="test_type")
    method = required_text(method, "method")[:200]
    if outcome not in dict(MethodSuitability.OUTCOMES):
        raise InputError(_("unknown value {value}").format(value=outcome), where="outcome")
    analyst = analyst or actor
    if not isinstance(analyst, get_user_model()) or not analyst.is_active:
        raise InputError(_("choose an active user"), where="analyst")
    recovery = percent(spike_recovery, "spike_recovery")
    if test_type == "endotoxin":
        if recovery is None:
            raise InputError(
                _("the spike recovery (%) of the test for interfering factors is required"),
                where="spike_recovery",
            )
        if outcome == "suitable" and not recovery_in_range(recovery):
            raise InputError(
                _("a spike recovery of {recovery} % is outside 50-200 %: the method is not suitable").format(
                    recovery=recovery.normalize()
                ),
                where="spike_recovery",
            )
    record = MethodSuitability(
        number=next_number(MethodSuitability, "MS-", width=5),
        product=product,
        test_type=test_type,
        method=method,
        method_version=(method_version or "").strip()[:100],
        performed_on=_day(performed_on, "performed_on"),
        analyst=analyst,
        outcome=outcome,
        spike_recovery_pct=recovery,
        notes=(notes or "").strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    if kept := keptfiles.keep_attached(record.report, report, where="report"):
        record.report_name, record.report_sha256 = kept.original_name, kept.sha256
    record.save(force_insert=True)
    record_event(
        actor=actor,
        action="method_suitability.record",
        object_type="method_suitability",
        object_id=record.pk,
        after={**method_suitability_record(record), "status": record.status},
    )
    return record


def approval_prohibited(record: MethodSuitability) -> list[tuple[int, str]]:
    """No one approves a suitability test they performed or recorded."""
    why = _("you performed or recorded this method suitability test: another person must approve it")
    return [(record.analyst_id, why), (record.recorded_by_id, why)]


def approve_method_suitability(
    *, request, actor, record: MethodSuitability, password: str, reason: str = ""
) -> MethodSuitability:
    """QA approves the record with a signature (meaning "approval", password re-entered)."""
    require(actor, "lots.approve_method_suitability")
    check_signing_password(
        request=request, signer=actor, password=password, prohibited=approval_prohibited(record)
    )
    with transaction.atomic():
        record = lock_for_update(MethodSuitability.objects.filter(pk=record.pk)).get()
        for uid, why in approval_prohibited(record):
            if uid == actor.pk:
                raise RuleViolation(why)
        if record.status != "pending":
            raise RuleViolation(_("{number} is already approved").format(number=record.number))
        before = {**method_suitability_record(record), "status": record.status}
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="method_suitability",
            object_id=record.pk,
            record=method_suitability_record(record),
            reason=reason or "",
        )
        record.status = "approved"
        record.approved_by = actor
        record.approved_at = signature.signed_at
        record.approval_signature = signature
        record.save(update_fields=["status", "approved_by", "approved_at", "approval_signature"])
        record_event(
            actor=actor,
            action="method_suitability.approve",
            object_type="method_suitability",
            object_id=record.pk,
            before=before,
            after={
                **method_suitability_record(record),
                "status": record.status,
                "signature_id": signature.pk,
            },
            reason=reason or "",
        )
    return record
