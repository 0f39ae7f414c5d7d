"""Writes of the compliance area: risk register, attestations, QMS links, comparability, assessments.

Every function takes the acting user explicitly, checks the permission again (views check it
too), writes inside one transaction and records an audit event there. Signing functions check
the re-entered password BEFORE their transaction (a wrong password is a failed login that must
stay recorded).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from evqms.accounts import roles
from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.compliance.models import (
    ATTESTATION_ROLES,
    QMS_ELEMENTS,
    RISK_CLASSES,
    RISK_STATUSES,
    Assessment,
    Attestation,
    ComparabilityRecord,
    QMSElementDocument,
    RiskItem,
    RiskRegister,
)
from evqms.core.canonical import canonical_json
from evqms.core.db import lock_for_update
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.guidance import risk
from evqms.i18n import _

# Starter hazards come without scores: the team scores them. Until then they sit at the middle of
# each scale (RPN 27, medium), which the register page marks as "not yet assessed".
STARTER_SCORE = (3, 3, 3)


# --- records as signed and audited ------------------------------------------------------------


def item_record(item: RiskItem) -> dict:
    from evqms.compliance.snapshot import attribute_id, parameter_ref

    return {
        "code": item.code,
        "stage": item.stage,
        "hazard": item.hazard,
        "cause": item.cause,
        "effect": item.effect,
        "severity": item.severity,
        "occurrence": item.occurrence,
        "detectability": item.detectability,
        "rpn": item.rpn,
        "risk_class": item.risk_class,
        "controls": sorted(attribute_id(a) for a in item.control_attributes.all())
        + sorted(parameter_ref(p) for p in item.control_parameters.all()),
        "control_notes": item.control_notes,
        "residual_risk": item.residual_risk,
        "owner": item.owner.get_username() if item.owner_id else "",
        "status": item.status,
        "review_on": item.review_on,
    }


def register_record(register: RiskRegister) -> dict:
    return {
        "product": register.product.code,
        "register": register.code,
        "version": register.version,
        "none_identified": dict(sorted((register.none_identified or {}).items())),
        "items": [item_record(i) for i in register.items.order_by("id")],
    }


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


def _check_choice(value: str, choices, field: str, *, blank: bool = False) -> str:
    if blank and not value:
        return ""
    if value not in {c for c, _label in choices}:
        raise InputError(_("unknown value {value!r}").format(value=value), where=field)
    return value


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


# --- risk register ------------------------------------------------------------------------------


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
        after=register_record(register),
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
        _check_choice(stage, [(s, s) for s in risk.STAGES], "stage")
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
        _check_choice(out["stage"], [(s, s) for s in risk.STAGES], "stage")
    if "hazard" in out and not str(out["hazard"]).strip():
        raise InputError(_("the hazard is required"), where="hazard")
    if "residual_risk" in out:
        _check_choice(out["residual_risk"] or "", RISK_CLASSES, "residual_risk", blank=True)
    if "status" in out:
        _check_choice(out["status"], RISK_STATUSES, "status")
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
        after=item_record(item),
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
    before = item_record(item)
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
        after=item_record(item),
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
    before = item_record(item)
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
    _check_choice(stage, [(s, s) for s in risk.STAGES], "stage")
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
            record=register_record(locked),
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


# --- attestations -----------------------------------------------------------------------------


def attestation_roles_of(ruleset_ref: str, item_id: str) -> list[str]:
    """The roles whose attestation an item's checks ask for (none: the item needs no attestation)."""
    from evqms.guidance import ruleset

    rs = ruleset.load(ruleset_ref)
    item = next((i for i in rs.items if i.id == item_id), None)
    if item is None:
        raise InputError(
            _("rule set {ruleset} has no item {item}").format(ruleset=rs.id, item=item_id), where="item"
        )
    return [c.params.get("role", "") for c in item.checks if c.name == "attestation"]


def _may_sign_as(actor, product, role: str) -> None:
    if role == "responsible_physician":
        if product.responsible_physician_id != actor.pk:
            raise PermissionDenied(_("only the product's responsible physician may sign this attestation"))
    elif role == "quality_manager":
        if not actor.groups.filter(name=roles.QA_REVIEWER).exists():
            raise PermissionDenied(_("the quality manager's attestation needs the QA reviewer role"))
    elif role == "manufacturing_manager":
        if not actor.groups.filter(name__in=(roles.OPERATOR, roles.QA_REVIEWER)).exists():
            raise PermissionDenied(_("the manufacturing manager's attestation needs the operator or QA role"))


def citable_records(product) -> list[str]:
    """What an attestation may cite for this product ('kind:id'), as the current snapshot holds it."""
    from evqms.compliance import snapshot

    return snapshot.citable_records(product)


def attest(
    *,
    request,
    actor,
    product,
    item_id: str,
    role: str,
    statement: str,
    cites: list[str],
    password: str,
    ruleset_id: str = "jsrm-2024",
) -> Attestation:
    require(actor, "compliance.attest")
    _check_choice(role, ATTESTATION_ROLES, "role")
    if role not in attestation_roles_of(ruleset_id, item_id):
        raise InputError(
            _("item {item} asks for no attestation by the role {role}").format(item=item_id, role=role),
            where="role",
        )
    if not statement.strip():
        raise InputError(_("the statement is required"), where="statement")
    citable = set(citable_records(product))
    cites = sorted({c.strip() for c in cites if c.strip()})
    unknown = [c for c in cites if c not in citable]
    if unknown:
        raise InputError(
            _("cites an unknown record {ref} (use kind:id, e.g. risk_register:RR-1)").format(ref=unknown[0]),
            where="cites",
        )
    _may_sign_as(actor, product, role)
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        record = {
            "product": product.code,
            "item": item_id,
            "ruleset": ruleset_id,
            "role": role,
            "statement": statement.strip(),
            "cites": cites,
        }
        attestation = Attestation(
            product=product,
            item_id=item_id,
            ruleset_id=ruleset_id,
            role=role,
            signer=actor,
            statement=statement.strip(),
            cites=cites,
        )
        signature = write_signature(
            signer=actor,
            meaning="attestation",
            object_type="product",
            object_id=product.pk,
            record=record,
        )
        attestation.signature = signature
        attestation.signed_at = signature.signed_at
        attestation.save()
        record_event(
            actor=actor,
            action="attestation.create",
            object_type="attestation",
            object_id=attestation.pk,
            after={**record, "signature_id": signature.pk},
        )
    return attestation


# --- QMS documents and comparability ------------------------------------------------------------


@transaction.atomic
def link_qms_document(
    *, actor, element: str, document, review_due: dt.date | None = None
) -> QMSElementDocument:
    require(actor, "compliance.manage_qms_links")
    _check_choice(element, QMS_ELEMENTS, "element")
    link, created = QMSElementDocument.objects.get_or_create(
        element=element,
        document=document,
        defaults={"review_due": review_due, "linked_by": actor, "linked_at": timezone.now()},
    )
    if not created:
        raise RuleViolation(_("this document is already linked to that element"))
    record_event(
        actor=actor,
        action="qms_document.link",
        object_type="qms_document_link",
        object_id=link.pk,
        after={"element": element, "document": str(document), "review_due": review_due},
    )
    return link


def approve_comparability(
    *, request, actor, process, summary: str, password: str, document=None
) -> ComparabilityRecord:
    require(actor, "compliance.manage_qms_links")
    if not summary.strip():
        raise InputError(_("the summary is required"), where="summary")
    if process.version < 2:
        raise RuleViolation(_("the first process version has nothing to be compared with"))
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        if ComparabilityRecord.objects.filter(process=process).exists():
            raise RuleViolation(_("this process version already has a comparability record"))
        record = {
            "product": process.product.code,
            "process_version": process.version,
            "summary": summary.strip(),
            "document": str(document) if document else "",
        }
        signature = write_signature(
            signer=actor, meaning="approval", object_type="process", object_id=process.pk, record=record
        )
        comparability = ComparabilityRecord.objects.create(
            process=process,
            summary=summary.strip(),
            document=document,
            approved_at=signature.signed_at,
            approval_signature=signature,
        )
        record_event(
            actor=actor,
            action="comparability.approve",
            object_type="comparability",
            object_id=comparability.pk,
            after={**record, "signature_id": signature.pk},
        )
    return comparability


# --- assessments ------------------------------------------------------------------------------


def evaluate(product, ruleset_refs: list[str] | None = None, *, now: dt.datetime | None = None):
    """(snapshot, [engine assessments]) without storing; bad input raises InputError first."""
    from evqms.compliance.snapshot import build_snapshot
    from evqms.guidance import ruleset
    from evqms.guidance.engine import assess

    rulesets = [ruleset.load(ref) for ref in (ruleset_refs or [ruleset.DEFAULT])]
    snapshot = build_snapshot(product)
    # The snapshot's dates are local dates (TIME_ZONE); judge them against the local date too. The
    # engine's default (the UTC date) is a day behind in Japan every morning, so a document approved
    # then would not yet count as effective.
    now = now or timezone.now()
    as_of = timezone.localdate(now) if timezone.is_aware(now) else now.date()
    return snapshot, [assess(snapshot, rs, now=now, as_of=as_of) for rs in rulesets]


def run_assessment(
    *, actor, product, ruleset_refs: list[str] | None = None, now: dt.datetime | None = None
) -> list[tuple[Assessment, object]]:
    """Judge the product against each rule set and store every result (all or nothing).

    `actor` None is the command line acting as the system. Returns (stored row, engine assessment)
    pairs in the order of the rule sets given.
    """
    from evqms.guidance.engine import to_dict

    if actor is not None:
        require(actor, "compliance.run_assessment")
    snapshot, assessments = evaluate(product, ruleset_refs, now=now)
    snapshot_data = json.loads(canonical_json(snapshot))
    stored = []
    with transaction.atomic():
        for a in assessments:
            score = a.score()
            row = Assessment.objects.create(
                product=product,
                ruleset_id=a.ruleset.id,
                ruleset_version=a.ruleset.version,
                snapshot_sha256=a.snapshot_sha256,
                snapshot=snapshot_data,
                findings=to_dict(a),
                score=None if score is None else Decimal(str(score)),
                all_met=a.all_met(),
                as_of=a.as_of,
                assessed_by=actor,
                assessed_at=a.generated_at,
            )
            record_event(
                actor=actor,
                action="assessment.run",
                object_type="assessment",
                object_id=row.pk,
                after={
                    "product": product.code,
                    "ruleset": a.ruleset.id,
                    "ruleset_version": a.ruleset.version,
                    "snapshot_sha256": a.snapshot_sha256,
                    "score": score,
                    "by_status": a.by_status(),
                },
            )
            stored.append((row, a))
    return stored
