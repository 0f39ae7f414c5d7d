"""Process definitions (versioned) and the version life cycle shared with specifications."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.dossier import models as m
from evqms.dossier import records
from evqms.dossier.services._common import _choice, _known_document
from evqms.dossier.services._versions import (
    approve_version,
    editable,
    link_change_request,
    new_draft_version,
    update_description,
)
from evqms.dossier.validation import (
    clean_parameter,
)
from evqms.errors import InputError
from evqms.i18n import _


def _locked_process(process: m.ProcessDefinition) -> m.ProcessDefinition:
    locked = (
        lock_for_update(m.ProcessDefinition.objects.filter(pk=process.pk)).select_related("product").get()
    )
    editable(locked, _("process"))
    return locked


@transaction.atomic
def create_process_version(*, actor, product: m.Product, description: str = "") -> m.ProcessDefinition:
    """A new draft version, starting as a copy of the latest version's steps and parameters."""
    require(actor, "dossier.edit_process")
    new, previous = new_draft_version(
        m.ProcessDefinition,
        product,
        description,
        _("product {product} already has a draft process version").format(product=product.code),
    )
    if previous is not None:
        new.xeno_free = previous.xeno_free
        new.save(update_fields=["xeno_free"])
        new.bill_of_materials.set(previous.bill_of_materials.all())
        for s in previous.steps.order_by("order"):
            copy = m.ProcessStep.objects.create(
                process=new,
                order=s.order,
                kind=s.kind,
                name=s.name,
                method=s.method,
                aseptic=s.aseptic,
                sop=s.sop,
            )
            for p in s.parameters.order_by("id"):
                m.ProcessParameter.objects.create(step=copy, **records.parameter_record(p))
    record_event(
        actor=actor,
        action="process.create",
        object_type="process",
        object_id=new.pk,
        after={**records.process_record(new), "copied_from": previous.version if previous else None},
    )
    return new


@transaction.atomic
def link_process_change_request(
    *, actor, process: m.ProcessDefinition, change_request
) -> m.ProcessDefinition:
    """Put a draft process version under an approved change request (needed to approve a v2 and after)."""
    require(actor, "dossier.edit_process")
    return link_change_request(
        actor,
        _locked_process(process),
        "process",
        change_request,
        lambda p: records.process_record(p, with_steps=False),
    )


@transaction.atomic
def update_process(*, actor, process: m.ProcessDefinition, description: str) -> m.ProcessDefinition:
    require(actor, "dossier.edit_process")
    return update_description(
        actor,
        _locked_process(process),
        "process",
        description,
        lambda p: records.process_record(p, with_steps=False),
    )


@transaction.atomic
def set_process_materials(
    *, actor, process: m.ProcessDefinition, xeno_free: bool, materials
) -> m.ProcessDefinition:
    """Declare the draft version's bill of materials (the materials its lots may use) and whether it
    is xeno-free; both are signed with the version's approval."""
    require(actor, "dossier.edit_process")
    locked = _locked_process(process)
    chosen = list(materials or [])
    for x in chosen:
        if not isinstance(x, m.Material):
            raise InputError(_("choose materials from the dossier"), where="materials")
    before = records.process_record(locked, with_steps=False)
    locked.xeno_free = bool(xeno_free)
    locked.save(update_fields=["xeno_free"])
    locked.bill_of_materials.set(chosen)
    after = records.process_record(locked, with_steps=False)
    if after != before:
        record_event(
            actor=actor,
            action="process.materials",
            object_type="process",
            object_id=locked.pk,
            before=before,
            after=after,
        )
    return locked


@transaction.atomic
def add_process_step(
    *,
    actor,
    process: m.ProcessDefinition,
    kind: str,
    name: str,
    method: str = "",
    order: int | None = None,
    aseptic: bool = False,
    sop: str = "",
) -> m.ProcessStep:
    require(actor, "dossier.edit_process")
    locked = _locked_process(process)
    _choice(kind, m.ProcessStep.KINDS, "kind")
    sop = _known_document(sop, "sop")
    if order is None:
        order = (locked.steps.aggregate(n=Max("order"))["n"] or 0) + 1
    if locked.steps.filter(order=order).exists():
        raise InputError(_("step {order} already exists").format(order=order), where="order")
    step = m.ProcessStep.objects.create(
        process=locked,
        order=int(order),
        kind=kind,
        name=required_text(name, "name"),
        method=method or "",
        aseptic=bool(aseptic),
        sop=sop,
    )
    record_event(
        actor=actor,
        action="process.step.add",
        object_type="process",
        object_id=locked.pk,
        after=records.step_record(step),
    )
    return step


@transaction.atomic
def update_process_step(*, actor, step: m.ProcessStep, **changes) -> m.ProcessStep:
    require(actor, "dossier.edit_process")
    _locked_process(step.process)
    step = m.ProcessStep.objects.select_related("process").get(pk=step.pk)  # as stored, under the lock
    before = records.step_record(step)
    if "kind" in changes:
        _choice(changes["kind"], m.ProcessStep.KINDS, "kind")
    if "name" in changes:
        changes["name"] = required_text(changes["name"], "name")
    if "sop" in changes:
        changes["sop"] = _known_document(changes["sop"], "sop")
    if "aseptic" in changes:
        changes["aseptic"] = bool(changes["aseptic"])
    for field in ("kind", "name", "method", "order", "aseptic", "sop"):
        if field in changes:
            setattr(step, field, changes[field])
    if step.process.steps.filter(order=step.order).exclude(pk=step.pk).exists():
        raise InputError(_("step {order} already exists").format(order=step.order), where="order")
    step.save()
    record_event(
        actor=actor,
        action="process.step.update",
        object_type="process",
        object_id=step.process_id,
        before=before,
        after=records.step_record(step),
    )
    return step


@transaction.atomic
def remove_process_step(*, actor, step: m.ProcessStep) -> None:
    require(actor, "dossier.edit_process")
    process = _locked_process(step.process)
    before = records.step_record(step)
    step.delete()  # a draft's content, never a GMP record: an approved version cannot get here
    record_event(
        actor=actor, action="process.step.remove", object_type="process", object_id=process.pk, before=before
    )


@transaction.atomic
def add_process_parameter(*, actor, step: m.ProcessStep, **fields) -> m.ProcessParameter:
    require(actor, "dossier.edit_process")
    process = _locked_process(step.process)
    param = m.ProcessParameter.objects.create(step=step, **clean_parameter(fields))
    record_event(
        actor=actor,
        action="process.parameter.add",
        object_type="process",
        object_id=process.pk,
        after={"step": step.order, **records.parameter_record(param)},
    )
    return param


@transaction.atomic
def update_process_parameter(*, actor, parameter: m.ProcessParameter, **changes) -> m.ProcessParameter:
    require(actor, "dossier.edit_process")
    process = _locked_process(parameter.step.process)
    parameter = m.ProcessParameter.objects.get(pk=parameter.pk)  # as stored, under the lock
    before = records.parameter_record(parameter)
    cleaned = clean_parameter({**before, **changes})
    for field, value in cleaned.items():
        setattr(parameter, field, value)
    parameter.save()
    record_event(
        actor=actor,
        action="process.parameter.update",
        object_type="process",
        object_id=process.pk,
        before={"step": parameter.step.order, **before},
        after={"step": parameter.step.order, **records.parameter_record(parameter)},
    )
    return parameter


@transaction.atomic
def remove_process_parameter(*, actor, parameter: m.ProcessParameter) -> None:
    require(actor, "dossier.edit_process")
    process = _locked_process(parameter.step.process)
    before = {"step": parameter.step.order, **records.parameter_record(parameter)}
    parameter.delete()
    record_event(
        actor=actor,
        action="process.parameter.remove",
        object_type="process",
        object_id=process.pk,
        before=before,
    )


def approve_process(
    *, request, actor, process: m.ProcessDefinition, password: str, reason: str = ""
) -> m.ProcessDefinition:
    """QA approval with a signature; the previously approved version becomes superseded."""
    return approve_version(
        request=request,
        actor=actor,
        password=password,
        reason=reason,
        obj=process,
        kind="process",
        perm="dossier.approve_process",
        lock=_locked_process,
        has_content=lambda p: p.steps.exists(),
        empty_message=_("a process without steps cannot be approved"),
        signed_record=records.process_signed_record,
        summary=lambda p: records.process_record(p, with_steps=False),
    )
