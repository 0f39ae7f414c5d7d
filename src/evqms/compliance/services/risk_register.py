"""The risk register (ICH Q9): versions, their risks and controls, the stages where no hazard was
identified, and approval with a signature over the version's canonical record."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.compliance.models import RISK_CLASSES, RISK_STATUSES, RiskItem, RiskRegister
from evqms.compliance.records import risk_item_record, risk_register_record
from evqms.compliance.services._common import check_choice
from evqms.core.db import lock_for_update
from evqms.errors import InputError, RuleViolation
from evqms.guidance import risk
from evqms.i18n import _

# Starter hazards come without scores: the team scores them. Until then they sit at the middle of
# each scale (RPN 27, medium), which the register page marks as "not yet assessed".
STARTER_SCORE = (3, 3, 3)


def _locked_register(register: RiskRegister) -> RiskRegister:
    return lock_for_update(RiskRegister.objects.filter(pk=register.pk).select_related("product")).get()


def _require_draft(register: RiskRegister) -> None:
    if register.status != "draft":
        raise RuleViolation(
            _("risk register version {version} is {status}: start a new version to change it").format(
                version=register.version, status=register.get_status_display()
            )
        )


def _score(severity, occurrence, detectability) -> tuple[int, str]:
    values = {}
    for name, value in (("severity", severity), ("occurrence", occurrence), ("detectability", detectability)):
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number not in risk.SCALE:
            raise InputError(_("must be a whole number from 1 to 5"), where=name)
        values[name] = number
    s, o, d = values["severity"], values["occurrence"], values["detectability"]
    return risk.rpn(s, o, d), risk.risk_class(s, o, d)


def _check_controls(register: RiskRegister, attributes, parameters) -> None:
    for a in attributes:
        if a.specification.product_id != register.product_id:
            raise InputError(
                _("attribute {code} belongs to another product").format(code=a.code), where="controls"
            )
    for p in parameters:
        if p.step.process.product_id != register.product_id:
            raise InputError(
                _("parameter {name} belongs to another product").format(name=p.name), where="controls"
            )


@transaction.atomic
def create_register(*, actor, product, with_starter_hazards: bool = False) -> RiskRegister:
    """Version 1, or the next version as a copy of the latest (its items and controls)."""
    require(actor, "compliance.edit_risk_register")
    latest = lock_for_update(RiskRegister.objects.filter(product=product)).order_by("-version").first()
    if latest is not None and latest.status == "draft":
        raise RuleViolation(
            _("version {version} of the risk register is still a draft: edit it").format(
                version=latest.version
            )
        )
    register = RiskRegister.objects.create(
        product=product,
        version=(latest.version + 1) if latest else 1,
        none_identified=dict(latest.none_identified) if latest else {},
        created_by=actor,
        created_at=timezone.now(),
    )
    if latest is not None:
        for old in latest.items.order_by("id"):
            attrs, params = list(old.control_attributes.all()), list(old.control_parameters.all())
            old.pk = None
            old.register = register
            old.save()
            old.control_attributes.set(attrs)
            old.control_parameters.set(params)
    record_event(
        actor=actor,
        action="risk_register.create",
        object_type="risk_register",
        object_id=register.pk,
        after=risk_register_record(register),
    )
    if with_starter_hazards and latest is None:
        add_starter_hazards(actor=actor, register=register)
    return register


def _next_code(register: RiskRegister) -> str:
    numbers = [int(c[2:]) for c in register.items.values_list("code", flat=True) if c[2:].isdigit()]
    return f"R-{max(numbers, default=0) + 1}"


@transaction.atomic
def add_starter_hazards(*, actor, register: RiskRegister, stages: list[str] | None = None) -> list[RiskItem]:
    """Add the guidance's starter hazards (per stage) not yet in the register, scored 3/3/3 to assess."""
    require(actor, "compliance.edit_risk_register")
    register = _locked_register(register)
    _require_draft(register)
    for stage in stages or []:
        check_choice(stage, [(s, s) for s in risk.STAGES], "stage")
    present = set(register.items.values_list("hazard", flat=True))
    created = []
    rpn, risk_class = _score(*STARTER_SCORE)
    for hazard in risk.starter_hazards():
        if stages and hazard.stage not in stages:
            continue
        if hazard.hazard["en"] in present:
            continue
        created.append(
            RiskItem.objects.create(
                register=register,
                code=_next_code(register),
                stage=hazard.stage,
                hazard=hazard.hazard["en"],
                cause=hazard.cause["en"],
                control_notes=hazard.suggested_control["en"],
                severity=STARTER_SCORE[0],
                occurrence=STARTER_SCORE[1],
                detectability=STARTER_SCORE[2],
                rpn=rpn,
                risk_class=risk_class,
                source=hazard.source,
            )
        )
    record_event(
        actor=actor,
        action="risk_register.add_starter_hazards",
        object_type="risk_register",
        object_id=register.pk,
        after={"added": [i.code for i in created], "stages": sorted(stages or [])},
    )
    return created


def _item_fields(register, fields: dict) -> dict:
    out = dict(fields)
    if "stage" in out:
        check_choice(out["stage"], [(s, s) for s in risk.STAGES], "stage")
    if "hazard" in out and not str(out["hazard"]).strip():
        raise InputError(_("the hazard is required"), where="hazard")
    if "residual_risk" in out:
        check_choice(out["residual_risk"] or "", RISK_CLASSES, "residual_risk", blank=True)
    if "status" in out:
        check_choice(out["status"], RISK_STATUSES, "status")
    return out


@transaction.atomic
def add_risk_item(
    *,
    actor,
    register: RiskRegister,
    stage: str,
    hazard: str,
    severity: int,
    occurrence: int,
    detectability: int,
    cause: str = "",
    effect: str = "",
    control_attributes=(),
    control_parameters=(),
    control_notes: str = "",
    residual_risk: str = "",
    owner=None,
    status: str = "open",
    review_on: dt.date | None = None,
) -> RiskItem:
    require(actor, "compliance.edit_risk_register")
    register = _locked_register(register)
    _require_draft(register)
    fields = _item_fields(
        register,
        dict(stage=stage, hazard=hazard, residual_risk=residual_risk, status=status),
    )
    rpn, risk_class = _score(severity, occurrence, detectability)
    _check_controls(register, control_attributes, control_parameters)
    item = RiskItem.objects.create(
        register=register,
        code=_next_code(register),
        cause=cause,
        effect=effect,
        severity=int(severity),
        occurrence=int(occurrence),
        detectability=int(detectability),
        rpn=rpn,
        risk_class=risk_class,
        control_notes=control_notes,
        owner=owner,
        review_on=review_on,
        **fields,
    )
    item.control_attributes.set(control_attributes)
    item.control_parameters.set(control_parameters)
    record_event(
        actor=actor,
        action="risk_item.create",
        object_type="risk_item",
        object_id=item.pk,
        after=risk_item_record(item),
    )
    return item


EDITABLE = (
    "stage",
    "hazard",
    "cause",
    "effect",
    "severity",
    "occurrence",
    "detectability",
    "control_notes",
    "residual_risk",
    "owner",
    "status",
    "review_on",
)


@transaction.atomic
def update_risk_item(*, actor, item: RiskItem, reason: str = "", **changes) -> RiskItem:
    """Change fields of a draft register's item; `control_attributes`/`control_parameters` replace the links."""
    require(actor, "compliance.edit_risk_register")
    register = _locked_register(item.register)
    _require_draft(register)
    item = RiskItem.objects.get(pk=item.pk)
    attributes = changes.pop("control_attributes", None)
    parameters = changes.pop("control_parameters", None)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InputError(
            _("cannot change {fields}").format(fields=", ".join(sorted(unknown))), where="fields"
        )
    before = risk_item_record(item)
    for name, value in _item_fields(register, changes).items():
        setattr(item, name, value)
    item.rpn, item.risk_class = _score(item.severity, item.occurrence, item.detectability)
    item.severity, item.occurrence, item.detectability = (
        int(item.severity),
        int(item.occurrence),
        int(item.detectability),
    )
    _check_controls(register, attributes or [], parameters or [])
    item.save()
    if attributes is not None:
        item.control_attributes.set(attributes)
    if parameters is not None:
        item.control_parameters.set(parameters)
    record_event(
        actor=actor,
        action="risk_item.update",
        object_type="risk_item",
        object_id=item.pk,
        before=before,
        after=risk_item_record(item),
        reason=reason,
    )
    return item


@transaction.atomic
def remove_risk_item(*, actor, item: RiskItem, reason: str) -> None:
    require(actor, "compliance.edit_risk_register")
    register = _locked_register(item.register)
    _require_draft(register)
    if not reason.strip():
        raise InputError(_("a reason is required"), where="reason")
    before = risk_item_record(item)
    pk = item.pk
    item.delete()
    record_event(
        actor=actor,
        action="risk_item.delete",
        object_type="risk_item",
        object_id=pk,
        before=before,
        reason=reason,
    )


@transaction.atomic
def set_none_identified(*, actor, register: RiskRegister, stage: str, reason: str) -> RiskRegister:
    """Record (or, with an empty reason, clear) that no hazard was identified for a stage."""
    require(actor, "compliance.edit_risk_register")
    register = _locked_register(register)
    _require_draft(register)
    check_choice(stage, [(s, s) for s in risk.STAGES], "stage")
    before = dict(register.none_identified or {})
    after = dict(before)
    if reason.strip():
        after[stage] = reason.strip()
    else:
        after.pop(stage, None)
    register.none_identified = after
    register.save(update_fields=["none_identified"])
    record_event(
        actor=actor,
        action="risk_register.none_identified",
        object_type="risk_register",
        object_id=register.pk,
        before={"none_identified": before},
        after={"none_identified": after},
    )
    return register


def approve_register(
    *, request, actor, register: RiskRegister, password: str, reason: str = ""
) -> RiskRegister:
    """Approve a draft version with a signature over its canonical record; older versions are superseded."""
    require(actor, "compliance.approve_risk_register")
    if not register.items.exists():
        raise RuleViolation(_("an empty risk register cannot be approved"))
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        locked = _locked_register(register)
        _require_draft(locked)
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="risk_register",
            object_id=locked.pk,
            record=risk_register_record(locked),
            reason=reason,
        )
        locked.status = "approved"
        locked.approved_at = signature.signed_at
        locked.approval_signature = signature
        locked.save(update_fields=["status", "approved_at", "approval_signature"])
        superseded = list(
            RiskRegister.objects.filter(product=locked.product, status="approved").exclude(pk=locked.pk)
        )
        RiskRegister.objects.filter(pk__in=[r.pk for r in superseded]).update(status="superseded")
        record_event(
            actor=actor,
            action="risk_register.approve",
            object_type="risk_register",
            object_id=locked.pk,
            before={"status": "draft"},
            after={
                "status": "approved",
                "signature_id": signature.pk,
                "superseded": [r.version for r in superseded],
            },
            reason=reason,
        )
    return locked
