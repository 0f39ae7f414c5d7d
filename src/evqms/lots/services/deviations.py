"""Deviations: opened by a service that finds a departure (a parameter out of range, a material
outside the approved process, an OOS result, an environmental result at action level, an
instrument past its calibration, a storage excursion) or by hand; each names the lots and material
lots it may affect and gets a proposed classification from `lots.deviation_rules`."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core.db import lock_for_update
from evqms.core.inputs import past_moment, required_text
from evqms.core.numbering import next_number
from evqms.dossier.models import MaterialLot
from evqms.equipment.status import Lapse
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.deviation_rules import propose_classification
from evqms.lots.models import Deviation, DeviationImpact, Lot, QCResult
from evqms.lots.records import deviation_record, deviation_signed_record
from evqms.lots.services._common import audited_update, locked_lots, now

CLASSIFICATIONS = tuple(code for code, _label in Deviation.CLASSIFICATIONS if code)
ROOT_CAUSES = tuple(code for code, _label in Deviation.ROOT_CAUSES if code)


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


def _open_one(deviation: Deviation, action: str) -> Deviation:
    deviation = locked_deviation(deviation)
    if deviation.status != "open":
        raise RuleViolation(
            _("deviation {number} is closed: cannot {action}").format(number=deviation.number, action=action)
        )
    return deviation


@transaction.atomic
def classify_deviation(*, actor, deviation: Deviation, classification: str, reason: str) -> Deviation:
    """QA confirms the proposed classification or changes it, always with a reason."""
    require(actor, "lots.classify_deviation")
    if classification not in CLASSIFICATIONS:
        raise InputError(
            _("choose minor, major or critical"),
            where="classification",
        )
    reason = required_text(reason, "reason", _("give the reason for the classification"))
    deviation = _open_one(deviation, _("classify it"))
    return audited_update(
        deviation,
        actor=actor,
        action="deviation.classify",
        reason=reason,
        classification=classification,
        classification_reason=reason,
        classified_by=actor,
        classified_at=now(),
    )


@transaction.atomic
def record_investigation(
    *, actor, deviation: Deviation, root_cause_category: str, investigation: str
) -> Deviation:
    """The investigation: a root cause category from the list and what was found."""
    require(actor, "lots.investigate_deviation")
    if root_cause_category not in ROOT_CAUSES:
        raise InputError(_("choose a root cause category"), where="root_cause_category")
    investigation = required_text(
        investigation, "investigation", _("describe the investigation and what it found")
    )
    deviation = _open_one(deviation, _("record an investigation"))
    return audited_update(
        deviation,
        actor=actor,
        action="deviation.investigate",
        root_cause_category=root_cause_category,
        investigation=investigation,
        investigated_by=actor,
        investigated_at=now(),
    )


@transaction.atomic
def assess_impact(
    *, actor, deviation: Deviation, lot: Lot, assessment: str, reasoning: str
) -> DeviationImpact:
    """QA's assessment of what the deviation means for one lot it names (a new assessment of the
    same lot replaces the earlier one; both stay in the audit trail)."""
    require(actor, "lots.assess_deviation_impact")
    if assessment not in dict(DeviationImpact.ASSESSMENTS):
        raise InputError(_("choose the impact on the lot"), where="assessment")
    reasoning = required_text(reasoning, "reasoning", _("give the reasoning for the assessment"))
    deviation = _open_one(deviation, _("assess its impact"))
    if not deviation.affected_lots.filter(pk=lot.pk).exists():
        raise InputError(
            _("deviation {number} does not name lot {lot}").format(number=deviation.number, lot=lot.number),
            where="lot",
        )
    before = deviation_record(deviation)
    DeviationImpact.objects.update_or_create(
        deviation=deviation,
        lot=lot,
        defaults={
            "assessment": assessment,
            "reasoning": reasoning,
            "assessed_by": actor,
            "assessed_at": now(),
        },
    )
    record_event(
        actor=actor,
        action="deviation.assess_impact",
        object_type="deviation",
        object_id=deviation.pk,
        before=before,
        after=deviation_record(deviation),
        reason=reasoning,
    )
    return DeviationImpact.objects.get(deviation=deviation, lot=lot)


@transaction.atomic
def name_lots(*, actor, deviation: Deviation, lots=(), material_lots=()) -> Deviation:
    """Add lots or material lots the investigation found the deviation may affect (never removes one:
    a lot once named keeps its impact assessment on record)."""
    require(actor, "lots.investigate_deviation")
    deviation = _open_one(deviation, _("name further lots"))
    before = deviation_record(deviation)
    lots = list(locked_lots(_distinct(lots)).values())
    deviation.affected_lots.add(*lots)
    deviation.affected_material_lots.add(*_distinct(material_lots))
    after = deviation_record(deviation)
    if after != before:
        record_event(
            actor=actor,
            action="deviation.name_lots",
            object_type="deviation",
            object_id=deviation.pk,
            before=before,
            after=after,
        )
    return deviation


def closure_refusals(deviation: Deviation) -> list[str]:
    """Why the deviation cannot be closed now (empty: it can). A major or critical one needs a CAPA:
    the CAPA area links its records to deviations (`capas`), read here by that name so lots
    imports nothing from it."""
    out = []
    if deviation.status != "open":
        out.append(_("deviation {number} is already closed").format(number=deviation.number))
        return out
    if not deviation.classification:
        out.append(_("the deviation is not classified"))
    if not deviation.root_cause_category or not deviation.investigation.strip():
        out.append(_("the investigation (root cause category and findings) is not recorded"))
    assessed = set(deviation.impacts.values_list("lot_id", flat=True))
    missing = [lot.number for lot in deviation.affected_lots.order_by("number") if lot.pk not in assessed]
    if missing:
        out.append(_("no impact assessment for lot {lots}").format(lots=", ".join(missing)))
    if deviation.classification in ("major", "critical") and not deviation.capas.exists():
        out.append(
            _("a {classification} deviation needs a linked CAPA before it is closed").format(
                classification=deviation.get_classification_display()
            )
        )
    return out


def close_deviation(
    *, request, actor, deviation: Deviation, password: str, resolution: str = ""
) -> Deviation:
    """QA closes the deviation with the password re-entered and a signature meaning "approval" over
    the deviation's record; refused while `closure_refusals` names anything."""
    require(actor, "lots.close_deviation")
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        deviation = locked_deviation(deviation)
        refusals = closure_refusals(deviation)
        if refusals:
            raise RuleViolation(
                _("deviation {number} cannot be closed: {why}").format(
                    number=deviation.number, why="; ".join(refusals)
                )
            )
        deviation.resolution = (resolution or "").strip()
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="deviation",
            object_id=deviation.pk,
            record=deviation_signed_record(deviation),
            reason=deviation.resolution,
        )
        return audited_update(
            deviation,
            actor=actor,
            action="deviation.close",
            reason=deviation.resolution,
            status="closed",
            resolution=deviation.resolution,
            closed_by=actor,
            closed_at=now(),
            close_signature=signature,
        )
