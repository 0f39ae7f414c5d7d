"""QC results and their one set of rules: the lot open for QC, the analyst's role, one valid
result per attribute unless a retest, limits frozen onto the result, the verdict and its OOS
deviation, invalidation with a reason, and the end of QC (second-person verification:
`qc_verification`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_events
from evqms.core import keptfiles, readonce
from evqms.core.db import lock_for_update
from evqms.core.display import result_value_text
from evqms.core.inputs import past_moment, required_text
from evqms.core.timefmt import local_date
from evqms.dossier.models import SpecAttribute
from evqms.equipment.status import check_use
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.models import Deviation, Lot, QCResult
from evqms.lots.records import qc_result_record
from evqms.lots.services import microbiology
from evqms.lots.services._common import (
    LOT_RELATED,
    audited_update,
    locked_lot,
    locked_lots,
    now,
    require_status,
    status_refusal,
)
from evqms.lots.services.deviations import new_deviation, open_equipment_deviation
from evqms.training.selectors import require_qualified

# A lot takes, loses and verifies QC results only while it is in QC or in quarantine.
QC_OPEN_STATUSES = ("qc", "quarantine")
VALUE_PLACES = Decimal("1e-10")
# 18 digits before the point and 10 after: what a result column holds in 28 significant digits.
LARGEST_VALUE = Decimal("1e18")


class QCRuleViolation(RuleViolation):
    """A QC result rule refused the entry; `where` names the part of the entry it concerns ("lot",
    "attribute"), so an import can point at the column."""

    def __init__(self, message: str, *, where: str):
        super().__init__(message)
        self.where = where


class NotAnAnalyst(PermissionDenied):
    """The person named as having performed the test does not hold the QC analyst role."""

    where = "analyst"


def require_qc_entry(actor, lot: Lot, *, analyst=None) -> None:
    """Refuse unless a QC result may be taken for `lot` now: `actor`, and the `analyst` who
    performed the test when someone else did, hold the QC analyst role, and the lot is in QC or
    in quarantine. A service that reads an instrument file asks this before reading it."""
    require(actor, "lots.record_qc_result")
    if analyst is not None and analyst.pk != actor.pk and not analyst.has_perm("lots.record_qc_result"):
        raise NotAnAnalyst(_("{name} is not a QC analyst").format(name=analyst.get_username()))
    refusal = status_refusal(lot, QC_OPEN_STATUSES, _("record a QC result"))
    if refusal:
        raise QCRuleViolation(refusal, where="lot")


def _require_attribute_of(lot: Lot, attribute: SpecAttribute) -> None:
    if attribute.specification_id != lot.specification_id:
        raise InputError(
            _("attribute {attribute} is not in specification v{version} of lot {lot}").format(
                attribute=attribute.code, version=lot.specification.version, lot=lot.number
            ),
            where="attribute",
        )


def _require_one_valid_result(
    lot: Lot, attribute: SpecAttribute, retest_of: QCResult | None, valid: set[tuple[int, int]]
) -> None:
    """An attribute has one valid result per lot: a further one is a retest of a result of the same
    lot and attribute, never a second first result. `valid` holds the (lot, attribute) ids that
    have a valid result, those recorded before this entry included."""
    if retest_of is not None:
        if retest_of.lot_id != lot.pk or retest_of.attribute_id != attribute.pk:
            raise InputError(
                _("a retest must repeat a result of the same lot and attribute"), where="retest_of"
            )
    elif (lot.pk, attribute.pk) in valid:
        raise QCRuleViolation(
            _(
                "{attribute} already has a valid result for lot {lot}: record a retest of it, or invalidate it first"
            ).format(attribute=attribute.code, lot=lot.number),
            where="attribute",
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
    return name, data


def evaluate_entry(*, attribute: SpecAttribute, value=None, unit: str = "", text_value: str = "") -> dict:
    """Check and judge one entry against the attribute's limits without writing anything.

    Returns limits, value (Decimal or None), value_in_spec_unit, evaluation.
    """
    limits = evaluation.attribute_limits(attribute)
    if attribute.kind == "qualitative":
        judged = evaluation.evaluate_qualitative(text_value, limits, field="text_value")
        return {
            "limits": limits,
            "censor": "",
            "value": None,
            "value_in_spec_unit": None,
            "evaluation": judged,
            "text_value": text_value.strip(),
        }
    if value is None or value == "":
        raise InputError(
            _("a numeric value is required for {attribute}").format(attribute=attribute.code), where="value"
        )
    censor, number = evaluation.parse_value(value, field="value")
    number = _storable(number, "value")
    evaluation.check_physical(number, limits, field="value")
    # A censored bound converts like a value: "< 50 pg/dose" is "< 0.05 ng/dose".
    in_unit = evaluation.convert(number, unit or attribute.unit, attribute.unit, field="unit")
    evaluation.check_physical(_storable(in_unit, "unit"), limits, field="value")
    if censor:
        _require_possible_bound(censor, in_unit, limits)
        judged = evaluation.evaluate_censored(censor, in_unit, limits)
    else:
        judged = evaluation.evaluate_quantitative(in_unit, limits)
    return {
        "limits": limits,
        "censor": censor,
        "value": number,
        "value_in_spec_unit": in_unit,
        "evaluation": judged,
        "text_value": "",
    }


def _require_possible_bound(censor: str, bound: Decimal, limits: dict) -> None:
    """ "< 0" allows no value of a quantity that cannot be negative (a concentration, a count)."""
    if censor == "<" and bound <= 0 and not evaluation.may_be_negative(limits):
        raise InputError(
            _("< {bound} allows no value: {unit} cannot be negative").format(
                bound=bound.normalize(), unit=limits.get("unit") or _("this attribute")
            ),
            where="value",
        )


def _storable(number: Decimal, field: str) -> Decimal:
    """Refuse a number the result columns cannot hold (10 decimal places within 28 digits)."""
    if abs(number) >= LARGEST_VALUE:
        raise InputError(
            _("too large to record: a value must be below {largest}").format(largest=LARGEST_VALUE),
            where=field,
        )
    return number


def _fit(value: Decimal | None) -> Decimal | None:
    """Fit a Decimal in the result columns (10 decimal places)."""
    return None if value is None else value.quantize(VALUE_PLACES)


def _attach_raw_file(result: QCResult, raw_file, stored_file_name: str, stored_file_sha256: str) -> None:
    """Keep the instrument's raw file with the result, or point the result at a file already kept."""
    if raw_file is not None:
        kept = keptfiles.keep(result.raw_file, *_raw_file_content(raw_file))
        result.raw_file_name = kept.original_name
        result.raw_file_sha256 = kept.sha256
    elif stored_file_name:
        result.raw_file.name = stored_file_name
        result.raw_file_name = keptfiles.original_name(stored_file_name)
        result.raw_file_sha256 = stored_file_sha256


def _opens_oos(result: QCResult) -> bool:
    """A failing result opens an OOS deviation, unless it retests a result whose OOS is still open:
    a failing retest belongs to the investigation already open for the original."""
    return result.verdict == evaluation.FAIL and _open_oos_deviation(result) is None


def _open_oos(actor, result: QCResult, reason: str) -> None:
    attribute = result.attribute
    shown = result.text_value or result_value_text(
        result.reported_value, attribute.unit, censor=result.censor
    )
    new_deviation(
        actor=actor,
        lot=result.lot,
        source="oos",
        qc_result=result,
        description=_("OOS: {attribute} = {value}, {reason}").format(
            attribute=attribute.name, value=shown, reason=reason
        ),
    )


@dataclass
class QCEntry:
    """One result to record: what `record_qc_result` takes, for `record_qc_results`."""

    lot: Lot
    attribute: SpecAttribute
    tested_at: dt.datetime
    value: object = None
    unit: str = ""
    text_value: str = ""
    method: str = ""
    raw_file: object = None
    retest_of: QCResult | None = None
    analyst: object = None
    stored_file_name: str = ""
    stored_file_sha256: str = ""
    derived: dict | None = None
    instrument: object = None  # the equipment.Instrument used, if named
    controls: dict | None = None  # sterility/endotoxin/mycoplasma run controls (services/microbiology.py)


class QCEntriesRefused(RuleViolation):
    """`record_qc_results` wrote nothing: `refusals` pairs the index of each refused entry with
    the error the QC rules raised for it, in entry order."""

    def __init__(self, refusals: list[tuple[int, Exception]]):
        super().__init__(_("{n} QC results refused").format(n=len(refusals)))
        self.refusals = refusals


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
    instrument=None,
    controls: dict | None = None,
) -> QCResult:
    """Record a QC result judged against limits frozen onto it; a failing result opens an OOS deviation.

    `derived` keeps what an instrument file or analysis gave beside the value (e.g. the NTA figures).
    `instrument` is the instrument used: refused when out of service or past its calibration due
    date on the day tested, unless QA's policy for it is to record with a deviation.

    `analyst` (default: the actor) is who performed the test; `stored_file_name/sha256` point the
    result at an original already kept (an import file, an NTA export, a potency plate).
    `controls`: a sterility, endotoxin or mycoplasma run's positive_control, negative_control
    (detected or not) and positive_recovery (endotoxin, %), see `services/microbiology.py`.
    The one-entry case of `record_qc_results`: a refusal raises the rule's own error.
    """
    entry = QCEntry(
        lot=lot,
        attribute=attribute,
        tested_at=tested_at,
        value=value,
        unit=unit,
        text_value=text_value,
        method=method,
        raw_file=raw_file,
        retest_of=retest_of,
        analyst=analyst,
        stored_file_name=stored_file_name,
        stored_file_sha256=stored_file_sha256,
        derived=derived,
        instrument=instrument,
        controls=controls,
    )
    try:
        return record_qc_results(actor=actor, entries=[entry])[0]
    except QCEntriesRefused as refused:
        raise refused.refusals[0][1] from None


@keptfiles.removed_on_error  # a refused result leaves no raw file
@transaction.atomic
def record_qc_results(*, actor, entries: Iterable[QCEntry]) -> list[QCResult]:
    """Record every entry or none, each judged by the same rules as one `record_qc_result` call
    after the entries before it (the lot open for QC, the analyst's role, the attribute of the
    lot's specification, one valid result per attribute unless a retest, limits frozen, verdict).

    Every entry is checked first; if any is refused, `QCEntriesRefused` lists them all and nothing
    is written. Then the results, their history rows, the OOS deviations and the audit events are
    written as one-by-one recording writes them (the same rows, events and chain order), with each
    lot read and locked once and the rows inserted in bulk.
    """
    entries = list(entries)
    judged = _judged_entries(actor, entries, locked_lots(entry.lot for entry in entries))
    refusals = [(index, outcome) for index, outcome in enumerate(judged) if isinstance(outcome, Exception)]
    if refusals:
        raise QCEntriesRefused(refusals)
    checked: list[tuple[QCResult, str, list]] = judged
    for (result, _reason, _lapses), entry in zip(checked, entries, strict=True):
        _attach_raw_file(result, entry.raw_file, entry.stored_file_name, entry.stored_file_sha256)
    results = QCResult.objects.bulk_create([result for result, _reason, _lapses in checked])
    QCResult.history.bulk_history_create(results)  # the "+" row each save() would have written
    microbiology.save_controls(results)
    events: list[dict] = []
    for result, reason, lapses in checked:
        events.append(
            dict(
                action="qc_result.record",
                object_type="qc_result",
                object_id=result.pk,
                after={
                    **qc_result_record(result),
                    **({"derived": result.derived} if result.derived else {}),
                    **microbiology.controls_event(result),
                },
                reason=reason,
            )
        )
        if _opens_oos(result):  # its events follow the result's, as one by one
            record_events(actor=actor, events=events)
            events = []
            _open_oos(actor, result, reason)
        for lapse in lapses:
            record_events(actor=actor, events=events)
            events = []
            open_equipment_deviation(
                actor=actor,
                lot=result.lot,
                lapse=lapse,
                used_for=_("QC result {attribute}").format(attribute=result.attribute.code),
                used_at=result.tested_at,
            )
    record_events(actor=actor, events=events)
    return results


def _judged_entries(actor, entries: list[QCEntry], lots: dict[int, Lot]) -> list:
    """Each entry judged by the QC rules after the entries before it: (the unsaved result, the
    reason for its verdict, the instrument lapses) or the error that refuses it."""
    valid = set(
        QCResult.objects.filter(lot_id__in=list(lots), status="valid").values_list("lot_id", "attribute_id")
    )
    judged: list = []
    open_for: dict[tuple[int, int], Exception | None] = {}
    # Judging writes nothing, so the training and method-suitability records it reads cannot change
    # between rows: each distinct question (analyst, method, day) is read once for the whole file.
    with readonce.scope():
        for entry in entries:
            try:
                result, reason, lapses = _checked_result(actor, entry, lots[entry.lot.pk], valid, open_for)
            except (InputError, RuleViolation, PermissionDenied) as exc:
                judged.append(exc)
            else:
                if result.status == "valid":  # an invalid run leaves the attribute without a valid result
                    valid.add((result.lot_id, result.attribute_id))
                judged.append((result, reason, lapses))
    return judged


def check_qc_results(*, actor, entries: Iterable[QCEntry]) -> list:
    """What `record_qc_results` would do with `entries` now, writing nothing (an import's dry run):
    for each entry, in order, either (the unsaved QCResult as it would be stored, the reason for
    its verdict, the instrument lapses a deviation would record) or the error that refuses it.
    The same rules judge both; recording later judges again against the records as they are then."""
    entries = list(entries)
    ids = {entry.lot.pk for entry in entries}
    lots = {lot.pk: lot for lot in Lot.objects.filter(pk__in=ids).select_related(*LOT_RELATED)}
    return _judged_entries(actor, entries, lots)


def _checked_result(
    actor, entry: QCEntry, lot: Lot, valid: set[tuple[int, int]], open_for: dict
) -> tuple[QCResult, str, list]:
    """The QC rules for one entry, against `lot` as read under its lock: the unsaved result, the
    reason for its verdict and the instrument lapses QA's policy accepts with a deviation. `open_for` keeps `require_qc_entry`'s answer per lot and analyst:
    the roles and the locked lot's status cannot change within the transaction."""
    analyst = entry.analyst or actor
    attribute = entry.attribute
    key = (lot.pk, analyst.pk)
    if key not in open_for:
        try:
            require_qc_entry(actor, lot, analyst=analyst)
            open_for[key] = None
        except (RuleViolation, PermissionDenied) as exc:
            open_for[key] = exc
    if open_for[key] is not None:
        raise open_for[key]
    _require_attribute_of(lot, attribute)
    tested_at = past_moment(entry.tested_at, "tested_at")
    require_qualified(analyst, attribute=attribute, on=local_date(tested_at), where="analyst")  # method SOP
    judged_entry = evaluate_entry(
        attribute=attribute, value=entry.value, unit=entry.unit, text_value=entry.text_value
    )
    _require_one_valid_result(lot, attribute, entry.retest_of, valid)
    lapses = check_use([entry.instrument] if entry.instrument is not None else [], used_at=tested_at)
    judged = judged_entry["evaluation"]
    result = QCResult(
        lot=lot,
        attribute=attribute,
        censor=judged_entry["censor"],
        value=_fit(judged_entry["value"]),
        unit=(entry.unit or attribute.unit or "").strip(),
        value_in_spec_unit=_fit(judged_entry["value_in_spec_unit"]),
        reported_value=_fit(judged.reported),
        text_value=judged_entry["text_value"],
        method=(entry.method or attribute.method).strip(),
        limits=judged_entry["limits"],
        verdict=judged.verdict,
        retest_of=entry.retest_of,
        analyst=analyst,
        tested_at=tested_at,
        recorded_at=now(),
        derived=entry.derived or {},
        instrument=entry.instrument,
    )
    microbiology.apply_controls(
        result,
        microbiology.checked_controls(
            lot=lot, attribute=attribute, method=result.method, given=entry.controls
        ),
    )
    return result, judged.reason, lapses


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


def locked_qc_result(result: QCResult) -> QCResult:
    return (
        lock_for_update(QCResult.objects.filter(pk=result.pk))
        .select_related("lot", "attribute", "analyst")
        .get()
    )


@transaction.atomic
def invalidate_qc_result(*, actor, result: QCResult, reason: str) -> QCResult:
    """Mark a result invalid (e.g. a documented laboratory error); it is never deleted."""
    require(actor, "lots.invalidate_qc_result")
    reason = required_text(reason, "reason", _("a reason is required to invalidate a result"))
    lot = locked_lot(result.lot)
    require_status(lot, QC_OPEN_STATUSES, _("invalidate a QC result"))
    result = locked_qc_result(result)
    if result.status != "valid":
        raise RuleViolation(_("this result is already invalidated"))
    return audited_update(
        result,
        actor=actor,
        action="qc_result.invalidate",
        reason=reason,
        status="invalidated",
        invalidation_reason=reason,
    )


@transaction.atomic
def complete_qc(*, actor, lot: Lot) -> Lot:
    """qc -> quarantine once every release-stage attribute has a valid result."""
    require(actor, "lots.complete_qc")
    lot = locked_lot(lot)
    require_status(lot, ("qc",), _("complete QC"))
    have = set(QCResult.objects.filter(lot=lot, status="valid").values_list("attribute_id", flat=True))
    missing = [a.code for a in lot.specification.attributes.filter(stage="release") if a.pk not in have]
    if missing:
        raise RuleViolation(_("no valid result yet for: {attributes}").format(attributes=", ".join(missing)))
    return audited_update(lot, actor=actor, action="lot.complete_qc", status="quarantine")
