"""Materials and received material lots: receipt, acceptance, corrections."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.concurrency import require_unchanged
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.dossier import models as m
from evqms.dossier import records
from evqms.dossier.services._common import _choice
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


@transaction.atomic
def create_material(
    *, actor, name: str, supplier: str, catalogue_number: str, kind: str, used_in_culture: bool = True
) -> m.Material:
    require(actor, "dossier.manage_material")
    _choice(kind, m.Material.KINDS, "kind")
    supplier = required_text(supplier, "supplier")
    catalogue_number = required_text(catalogue_number, "catalogue_number")
    if m.Material.objects.filter(supplier=supplier, catalogue_number=catalogue_number).exists():
        raise InputError(
            _("{value} already exists").format(value=f"{supplier} {catalogue_number}"),
            where="catalogue_number",
        )
    material = m.Material.objects.create(
        name=required_text(name, "name"),
        supplier=supplier,
        catalogue_number=catalogue_number,
        kind=kind,
        used_in_culture=bool(used_in_culture),
    )
    record_event(
        actor=actor,
        action="material.create",
        object_type="material",
        object_id=material.pk,
        after=records.material_record(material),
    )
    return material


MATERIAL_FIELDS = ("name", "supplier", "catalogue_number", "kind", "used_in_culture")
# Fixed once a lot of the material was received. Supplier and catalogue number are the material's
# identity: every material-lot audit event and certificate of analysis cites them, so changing them
# would make the trail point at a material that no longer exists. Kind and "used in cell culture"
# feed the compliance assessment of the product lots made with it (culture-stage raw materials),
# so changing them would silently re-judge lots already made. The name is a label and stays
# correctable (typos); the audit event keeps the before and after.
MATERIAL_FIXED_ONCE_RECEIVED = ("supplier", "catalogue_number", "kind", "used_in_culture")


@transaction.atomic
def update_material(
    *, actor, material: m.Material, reason: str, seen: str | None = None, **changes
) -> m.Material:
    """Correct a material's record, with the reason for the correction."""
    require(actor, "dossier.manage_material")
    unknown = set(changes) - set(MATERIAL_FIELDS)
    if unknown:
        raise InputError(
            _("unknown field {field}").format(field=", ".join(sorted(unknown))), where="material"
        )
    reason = required_text(reason, "reason")
    locked = lock_for_update(m.Material.objects.filter(pk=material.pk)).get()
    before = records.material_record(locked)
    require_unchanged(seen, before, what=_("material {name}").format(name=locked.name))
    cleaned = {}
    if "name" in changes:
        cleaned["name"] = required_text(changes["name"], "name")
    if "supplier" in changes:
        cleaned["supplier"] = required_text(changes["supplier"], "supplier")
    if "catalogue_number" in changes:
        cleaned["catalogue_number"] = required_text(changes["catalogue_number"], "catalogue_number")
    if "kind" in changes:
        cleaned["kind"] = _choice(changes["kind"], m.Material.KINDS, "kind")
    if "used_in_culture" in changes:
        cleaned["used_in_culture"] = bool(changes["used_in_culture"])
    changed = [f for f, v in cleaned.items() if v != before[f]]
    if not changed:
        return locked
    fixed = [f for f in MATERIAL_FIXED_ONCE_RECEIVED if f in changed]
    if fixed and locked.lots.exists():
        raise InputError(
            _("lots of this material were received: this field stays as recorded"), where=fixed[0]
        )
    for field in changed:
        setattr(locked, field, cleaned[field])
    if (
        m.Material.objects.filter(supplier=locked.supplier, catalogue_number=locked.catalogue_number)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise InputError(
            _("{value} already exists").format(value=f"{locked.supplier} {locked.catalogue_number}"),
            where="catalogue_number",
        )
    locked.save(update_fields=changed)
    record_event(
        actor=actor,
        action="material.update",
        object_type="material",
        object_id=locked.pk,
        before=before,
        after=records.material_record(locked),
        reason=reason,
    )
    return locked


@transaction.atomic
def receive_material_lot(
    *,
    actor,
    material: m.Material,
    lot_number: str,
    expiry: dt.date,
    received_on: dt.date,
    grade: str,
    animal_species: str = "",
    animal_tissue: str = "",
    animal_origin_justification: str = "",
    justified_process_versions: list[int] | tuple[int, ...] = (),
    is_biological: bool = False,
    coa_document=None,
) -> m.MaterialLot:
    """A received lot, in quarantine until QA or QC accepts it.

    Animal origin is declared per lot: a species needs the tissue and a justification (why no
    animal-free alternative, BSE/TSE and bovine-virus compliance). Animal or human material is
    biological (a retention sample is expected).
    """
    require(actor, "dossier.manage_material")
    lot_number = identifiers.clean("material_lot", lot_number, field="lot_number")
    _choice(grade, m.MaterialLot.GRADES, "grade")
    if expiry is None:
        raise InputError(_("this field is required"), where="expiry")
    if received_on is None:
        raise InputError(_("this field is required"), where="received_on")
    if received_on > timezone.localdate():
        raise InputError(_("the date is in the future"), where="received_on")
    if expiry < received_on:
        raise InputError(_("the expiry is before the date of receipt"), where="expiry")
    species, tissue = (animal_species or "").strip(), (animal_tissue or "").strip()
    justification = (animal_origin_justification or "").strip()
    if species:
        if not tissue:
            raise InputError(_("name the animal tissue"), where="animal_tissue")
        if not justification:
            raise InputError(
                _(
                    "an animal-derived material needs a justification (why no animal-free "
                    "alternative; BSE/TSE and virus safety)"
                ),
                where="animal_origin_justification",
            )
        is_biological = True
    elif tissue:
        raise InputError(_("name the animal species"), where="animal_species")
    identifiers.require_unique("material_lot", lot_number, field="lot_number", scope={"material": material})
    lot = m.MaterialLot.objects.create(
        material=material,
        lot_number=lot_number,
        expiry=expiry,
        received_on=received_on,
        coa_document=coa_document,
        animal_species=species,
        animal_tissue=tissue,
        animal_origin_justification=justification,
        # The justification covers use in these process versions only (JSRM-3-R2 judges each lot).
        justified_process_versions=sorted({int(v) for v in justified_process_versions or ()}),
        grade=grade,
        is_biological=bool(is_biological),
        acceptance_status="quarantine",
    )
    record_event(
        actor=actor,
        action="material_lot.receive",
        object_type="material_lot",
        object_id=lot.pk,
        after=records.material_lot_record(lot),
    )
    return lot


# What a received lot's record may be corrected in. Its identity (material, lot number, date of
# receipt) and its origin (species, tissue, biological) stay as received: a lot declared wrongly is
# rejected and received again, so the trail never shows a bovine lot turning animal-free.
MATERIAL_LOT_EDITABLE = ("expiry", "coa_document", "animal_origin_justification")


@transaction.atomic
def update_material_lot(
    *, actor, lot: m.MaterialLot, reason: str, seen: str | None = None, **changes
) -> m.MaterialLot:
    """Correct a received lot's expiry, attach its certificate of analysis or complete the
    animal-origin justification, with the reason for the correction."""
    require(actor, "dossier.manage_material")
    unknown = set(changes) - set(MATERIAL_LOT_EDITABLE)
    if unknown:
        raise InputError(
            _("unknown field {field}").format(field=", ".join(sorted(unknown))), where="material_lot"
        )
    reason = required_text(reason, "reason")
    locked = lock_for_update(m.MaterialLot.objects.select_related("material").filter(pk=lot.pk)).get()
    before = records.material_lot_record(locked)
    require_unchanged(seen, before, what=_("material lot {code}").format(code=locked.lot_number))
    if "expiry" in changes:
        if changes["expiry"] is None:
            raise InputError(_("this field is required"), where="expiry")
        if changes["expiry"] < locked.received_on:
            raise InputError(_("the expiry is before the date of receipt"), where="expiry")
        locked.expiry = changes["expiry"]
    if "coa_document" in changes:
        doc = changes["coa_document"]
        if doc is not None and doc.kind != "coa":
            raise InputError(_("choose a certificate of analysis"), where="coa_document")
        locked.coa_document = doc
    if "animal_origin_justification" in changes:
        text = (changes["animal_origin_justification"] or "").strip()
        if locked.animal_species and not text:
            raise InputError(
                _(
                    "an animal-derived material needs a justification (why no animal-free "
                    "alternative; BSE/TSE and virus safety)"
                ),
                where="animal_origin_justification",
            )
        locked.animal_origin_justification = text
    after = records.material_lot_record(locked)
    if after == before:
        return locked
    locked.save(update_fields=list(MATERIAL_LOT_EDITABLE))
    record_event(
        actor=actor,
        action="material_lot.update",
        object_type="material_lot",
        object_id=locked.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return locked


@transaction.atomic
def decide_material_lot(*, actor, lot: m.MaterialLot, decision: str, reason: str) -> m.MaterialLot:
    """Quarantine -> accepted or rejected, by QA or QC, with a reason. An expired lot is never accepted."""
    require(actor, "dossier.decide_material_lot")
    if decision not in ("accepted", "rejected"):
        raise InputError(_("unknown value {value}").format(value=decision), where="decision")
    reason = required_text(reason, "reason")
    locked = lock_for_update(m.MaterialLot.objects.filter(pk=lot.pk).select_related("material")).get()
    if locked.acceptance_status != "quarantine":
        raise RuleViolation(
            _("lot {lot} is already {status}").format(
                lot=locked.lot_number, status=locked.get_acceptance_status_display()
            )
        )
    if decision == "accepted":
        if locked.expiry < timezone.localdate():
            raise RuleViolation(
                _("lot {lot} expired on {date} and cannot be accepted").format(
                    lot=locked.lot_number, date=locked.expiry.isoformat()
                )
            )
        if not locked.animal_component_free and not locked.animal_origin_justification.strip():
            raise RuleViolation(_("an animal-derived lot needs a justification before acceptance"))
    before = records.material_lot_record(locked)
    locked.acceptance_status = decision
    locked.save(update_fields=["acceptance_status"])
    record_event(
        actor=actor,
        action=f"material_lot.{'accept' if decision == 'accepted' else 'reject'}",
        object_type="material_lot",
        object_id=locked.pk,
        before=before,
        after=records.material_lot_record(locked),
        reason=reason,
    )
    return locked
