"""Specifications (versioned): attributes, the EV release template, approval."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.concurrency import require_unchanged
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.dossier import models as m
from evqms.dossier import records, spec_template
from evqms.dossier.services._common import _known_document
from evqms.dossier.services._versions import (
    approve_version,
    editable,
    link_change_request,
    new_draft_version,
    update_description,
)
from evqms.dossier.validation import (
    clean_attribute,
    decimal_or_none,
)
from evqms.errors import InputError
from evqms.i18n import _


def _locked_spec(spec: m.Specification) -> m.Specification:
    locked = lock_for_update(m.Specification.objects.filter(pk=spec.pk)).select_related("product").get()
    editable(locked, _("specification"))
    return locked


@transaction.atomic
def create_specification_version(
    *, actor, product: m.Product, description: str = "", copy_previous: bool = True
) -> m.Specification:
    """A new draft version, starting as a copy of the latest version's attributes."""
    require(actor, "dossier.edit_specification")
    spec, previous = new_draft_version(
        m.Specification,
        product,
        description,
        _("product {product} already has a draft specification").format(product=product.code),
    )
    if previous is not None and copy_previous:
        spec.shelf_life_months = previous.shelf_life_months
        spec.shelf_life_basis = previous.shelf_life_basis
        spec.save(update_fields=["shelf_life_months", "shelf_life_basis"])
        for a in previous.attributes.order_by("order", "id"):
            m.SpecAttribute.objects.create(specification=spec, **records.attribute_record(a))
    record_event(
        actor=actor,
        action="specification.create",
        object_type="specification",
        object_id=spec.pk,
        after={
            **records.specification_record(spec),
            "copied_from": previous.version if previous is not None and copy_previous else None,
        },
    )
    return spec


@transaction.atomic
def link_specification_change_request(
    *, actor, specification: m.Specification, change_request
) -> m.Specification:
    """Put a draft specification version under an approved change request."""
    require(actor, "dossier.edit_specification")
    return link_change_request(
        actor,
        _locked_spec(specification),
        "specification",
        change_request,
        lambda sp: records.specification_record(sp, with_attributes=False),
    )


@transaction.atomic
def update_specification(*, actor, specification: m.Specification, description: str) -> m.Specification:
    require(actor, "dossier.edit_specification")
    return update_description(
        actor,
        _locked_spec(specification),
        "specification",
        description,
        lambda sp: records.specification_record(sp, with_attributes=False),
    )


MAX_SHELF_LIFE_MONTHS = 120


@transaction.atomic
def set_shelf_life(*, actor, specification: m.Specification, months, basis: str) -> m.Specification:
    """The shelf life (whole months) the draft version approves, with what supports it (e.g. the
    stability study and its ICH Q1E estimate); empty months clears it."""
    require(actor, "dossier.edit_specification")
    locked = _locked_spec(specification)
    if months in (None, ""):
        value, basis = None, ""
    else:
        try:
            value = int(str(months).strip())
        except ValueError:
            raise InputError(_("give the shelf life in whole months"), where="shelf_life_months") from None
        if not 1 <= value <= MAX_SHELF_LIFE_MONTHS:
            raise InputError(
                _("the shelf life must be 1 to {max} months").format(max=MAX_SHELF_LIFE_MONTHS),
                where="shelf_life_months",
            )
        basis = required_text(basis, "shelf_life_basis")
    before = records.specification_record(locked, with_attributes=False)
    locked.shelf_life_months = value
    locked.shelf_life_basis = basis or ""
    locked.save(update_fields=["shelf_life_months", "shelf_life_basis"])
    after = records.specification_record(locked, with_attributes=False)
    if after != before:
        record_event(
            actor=actor,
            action="specification.shelf_life",
            object_type="specification",
            object_id=locked.pk,
            before=before,
            after=after,
        )
    return locked


@transaction.atomic
def add_spec_attribute(*, actor, specification: m.Specification, **fields) -> m.SpecAttribute:
    require(actor, "dossier.edit_specification")
    spec = _locked_spec(specification)
    cleaned = clean_attribute(fields)
    _known_document(cleaned["method_sop"], "method_sop")
    if spec.attributes.filter(code=cleaned["code"]).exists():
        raise InputError(_("{value} already exists").format(value=cleaned["code"]), where="code")
    if "order" not in cleaned:
        cleaned["order"] = (spec.attributes.aggregate(n=Max("order"))["n"] or 0) + 10
    attr = m.SpecAttribute.objects.create(specification=spec, **cleaned)
    record_event(
        actor=actor,
        action="specification.attribute.add",
        object_type="specification",
        object_id=spec.pk,
        after=records.attribute_record(attr),
    )
    return attr


@transaction.atomic
def update_spec_attribute(
    *, actor, attribute: m.SpecAttribute, seen: str | None = None, **changes
) -> m.SpecAttribute:
    require(actor, "dossier.edit_specification")
    spec = _locked_spec(attribute.specification)
    attribute = m.SpecAttribute.objects.get(pk=attribute.pk)  # as it is now, under the lock
    before = records.attribute_record(attribute)
    require_unchanged(seen, before, what=_("attribute {code}").format(code=attribute.code))
    cleaned = clean_attribute({**before, **changes})
    if cleaned["method_sop"] != attribute.method_sop:
        _known_document(cleaned["method_sop"], "method_sop")
    if spec.attributes.filter(code=cleaned["code"]).exclude(pk=attribute.pk).exists():
        raise InputError(_("{value} already exists").format(value=cleaned["code"]), where="code")
    for field, value in cleaned.items():
        setattr(attribute, field, value)
    attribute.save()
    after = records.attribute_record(attribute)
    if after != before:
        record_event(
            actor=actor,
            action="specification.attribute.update",
            object_type="specification",
            object_id=spec.pk,
            before=before,
            after=after,
        )
    return attribute


@transaction.atomic
def remove_spec_attribute(*, actor, attribute: m.SpecAttribute) -> None:
    require(actor, "dossier.edit_specification")
    spec = _locked_spec(attribute.specification)
    before = records.attribute_record(attribute)
    attribute.delete()
    record_event(
        actor=actor,
        action="specification.attribute.remove",
        object_type="specification",
        object_id=spec.pk,
        before=before,
    )


def create_specification_from_template(
    *, actor, product: m.Product, max_dose_ml_per_kg=None, description: str = ""
) -> m.Specification:
    """A new draft specification holding the default EV release template (catalogue section 8).

    `max_dose_ml_per_kg` (M) derives the endotoxin limit K/M; without it the published example
    0.5 EU/mL is used and labelled as a default to configure.
    """
    require(actor, "dossier.edit_specification")
    max_dose = decimal_or_none(max_dose_ml_per_kg, "max_dose_ml_per_kg")
    if max_dose is not None and max_dose <= 0:
        raise InputError(_("the maximum dose must be above zero"), where="max_dose_ml_per_kg")
    template = spec_template.release_template(routes=list(product.routes or []), max_dose_ml_per_kg=max_dose)
    with transaction.atomic():
        spec = create_specification_version(
            actor=actor,
            product=product,
            copy_previous=False,
            # stored data, not a message: kept in English whatever the page's language
            description=description or f"Default EV release specification ({spec_template.TEMPLATE_SOURCE})",
        )
        for attrs in template:
            add_spec_attribute(actor=actor, specification=spec, **attrs)
    return spec


def approve_specification(
    *, request, actor, specification: m.Specification, password: str, reason: str = ""
) -> m.Specification:
    return approve_version(
        request=request,
        actor=actor,
        password=password,
        reason=reason,
        obj=specification,
        kind="specification",
        perm="dossier.approve_specification",
        lock=_locked_spec,
        has_content=lambda sp: sp.attributes.exists(),
        empty_message=_("a specification without attributes cannot be approved"),
        signed_record=records.specification_signed_record,
        summary=lambda sp: records.specification_record(sp, with_attributes=False),
    )
