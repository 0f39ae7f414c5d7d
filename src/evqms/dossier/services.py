"""Writes to the product dossier. Every function checks the actor's role, validates, writes and
records an audit event (before/after) in one transaction.

Versioned records (documents, process definitions, specifications) follow one life cycle:
draft -> approved (QA, electronic signature "approval", password re-entered, never by an author
of the version) -> superseded (when a later version is approved). Approved and superseded
versions are never edited: a change is a new draft that starts as a copy of the latest version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.models import AuditEvent
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core.concurrency import require_unchanged
from evqms.core.db import lock_for_update
from evqms.dossier import models as m
from evqms.dossier import records, spec_template
from evqms.dossier.validation import (
    check_unit,
    clean_attribute,
    clean_parameter,
    decimal_or_none,
    text_required,
)
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _

EDITABLE = "draft"


class ImmutableRecord(RuleViolation):
    """An approved or superseded version was about to be changed."""


def _choice(value, choices, field: str) -> str:
    allowed = {k for k, _label in choices}
    if value not in allowed:
        raise InputError(_("unknown value {value}").format(value=value), where=field)
    return value


def _authors(object_type: str, object_id) -> set[int]:
    """Who created or edited this record (from the audit trail): they may not approve it."""
    qs = AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).exclude(
        action__startswith="signature."
    )
    return {pk for pk in qs.values_list("actor_id", flat=True) if pk is not None}


# --- products ------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "ev_type",
    "source_cell_type",
    "origin",
    "indications",
    "routes",
    "dose_unit",
    "responsible_physician",
)


def _clean_product(data: dict) -> dict:
    out = {}
    if "name" in data:
        out["name"] = text_required(data["name"], "name")
    if "ev_type" in data:
        out["ev_type"] = _choice(data["ev_type"], m.EV_TYPES, "ev_type")
    if "source_cell_type" in data:
        out["source_cell_type"] = _choice(data["source_cell_type"], m.SOURCE_CELL_TYPES, "source_cell_type")
    if "origin" in data:
        out["origin"] = _choice(data["origin"], m.ORIGINS, "origin")
    if "indications" in data:
        lines = [x.strip() for x in (data["indications"] or "").splitlines() if x.strip()]
        if not lines:
            raise InputError(_("this field is required"), where="indications")
        out["indications"] = "\n".join(lines)
    if "routes" in data:
        routes = list(dict.fromkeys(data["routes"] or []))
        if not routes:
            raise InputError(_("choose at least one route"), where="routes")
        for r in routes:
            _choice(r, m.ROUTES, "routes")
        out["routes"] = routes
    if "dose_unit" in data:
        out["dose_unit"] = check_unit(text_required(data["dose_unit"], "dose_unit"), "dose_unit")
    if "responsible_physician" in data:
        physician = data["responsible_physician"]
        if physician is not None and not physician.groups.filter(name="physician").exists():
            raise InputError(
                _("the responsible physician must have the physician role"), where="responsible_physician"
            )
        out["responsible_physician"] = physician
    return out


@transaction.atomic
def create_product(
    *,
    actor,
    code: str,
    name: str,
    source_cell_type: str,
    origin: str,
    indications: str,
    routes: list[str],
    ev_type: str = "natural",
    dose_unit: str = "particles",
    responsible_physician=None,
) -> m.Product:
    require(actor, "dossier.manage_product")
    code = text_required(code, "code").lower()
    if not re.fullmatch(r"[-a-z0-9_]{1,40}", code):
        raise InputError(_("use lower-case letters, digits, - and _ only (at most 40)"), where="code")
    if m.Product.objects.filter(code=code).exists():
        raise InputError(_("{value} already exists").format(value=code), where="code")
    fields = _clean_product(
        dict(
            name=name,
            ev_type=ev_type,
            source_cell_type=source_cell_type,
            origin=origin,
            indications=indications,
            routes=routes,
            dose_unit=dose_unit,
            responsible_physician=responsible_physician,
        )
    )
    product = m.Product.objects.create(code=code, **fields)
    record_event(
        actor=actor,
        action="product.create",
        object_type="product",
        object_id=product.pk,
        after=records.product(product),
    )
    return product


@transaction.atomic
def update_product(
    *, actor, product: m.Product, reason: str = "", seen: str | None = None, **changes
) -> m.Product:
    require(actor, "dossier.manage_product")
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise InputError(_("unknown field {field}").format(field=", ".join(sorted(unknown))), where="product")
    locked = lock_for_update(m.Product.objects.filter(pk=product.pk)).get()
    before = records.product(locked)
    require_unchanged(seen, before, what=_("product {code}").format(code=locked.code))
    for field, value in _clean_product(changes).items():
        setattr(locked, field, value)
    after = records.product(locked)
    if after == before:
        return locked
    locked.save()
    record_event(
        actor=actor,
        action="product.update",
        object_type="product",
        object_id=locked.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return locked


# --- infectious-marker panel and donors -----------------------------------------------------


@transaction.atomic
def add_infectious_marker(*, actor, code: str, name: str, required: bool = True) -> m.InfectiousMarker:
    require(actor, "dossier.manage_marker_panel")
    code = text_required(code, "code").lower()
    if m.InfectiousMarker.objects.filter(code=code).exists():
        raise InputError(_("{value} already exists").format(value=code), where="code")
    marker = m.InfectiousMarker.objects.create(code=code, name=text_required(name, "name"), required=required)
    record_event(
        actor=actor,
        action="marker.create",
        object_type="infectious_marker",
        object_id=marker.pk,
        after=records.marker(marker),
    )
    return marker


@transaction.atomic
def create_donor(
    *, actor, code: str, consent_on: dt.date | None = None, consent_document=None, eligibility_notes: str = ""
) -> m.Donor:
    """A pseudonymised donor: a code, never a name. Eligibility starts as pending."""
    require(actor, "dossier.manage_donor")
    code = text_required(code, "code")
    if m.Donor.objects.filter(code=code).exists():
        raise InputError(_("{value} already exists").format(value=code), where="code")
    if consent_on is not None and consent_on > timezone.localdate():
        raise InputError(_("the date is in the future"), where="consent_on")
    donor = m.Donor.objects.create(
        code=code,
        consent_on=consent_on,
        consent_document=consent_document,
        eligibility_notes=eligibility_notes or "",
    )
    record_event(
        actor=actor,
        action="donor.create",
        object_type="donor",
        object_id=donor.pk,
        after=records.donor(donor),
    )
    return donor


@transaction.atomic
def record_donor_test(
    *, actor, donor: m.Donor, marker: m.InfectiousMarker, result: str, tested_on: dt.date, method: str = ""
) -> m.DonorTestResult:
    require(actor, "dossier.manage_donor")
    _choice(result, m.DonorTestResult.RESULTS, "result")
    if tested_on is None:
        raise InputError(_("this field is required"), where="tested_on")
    if tested_on > timezone.localdate():
        raise InputError(_("the date is in the future"), where="tested_on")
    if m.DonorTestResult.objects.filter(donor=donor, marker=marker, tested_on=tested_on).exists():
        raise InputError(_("a result for this marker and date is already recorded"), where="tested_on")
    row = m.DonorTestResult.objects.create(
        donor=donor, marker=marker, result=result, tested_on=tested_on, method=method or ""
    )
    record_event(
        actor=actor,
        action="donor.test_result",
        object_type="donor",
        object_id=donor.pk,
        after=records.donor_test(row),
    )
    if result != "negative" and donor.eligibility == "eligible":
        # A reactive result withdraws eligibility at once; QA decides again after investigation.
        before = records.donor(donor)
        donor.eligibility = "pending"
        donor.save(update_fields=["eligibility"])
        record_event(
            actor=actor,
            action="donor.eligibility",
            object_type="donor",
            object_id=donor.pk,
            before=before,
            after=records.donor(donor),
            reason=_("non-negative result for {marker}").format(marker=marker.name),
        )
    return row


def panel_gaps(donor: m.Donor) -> list[str]:
    """Required markers whose latest result is missing or not negative (names)."""
    latest: dict[int, m.DonorTestResult] = {}
    for r in donor.test_results.select_related("marker").order_by("tested_on", "id"):
        latest[r.marker_id] = r
    gaps = []
    for marker in m.InfectiousMarker.objects.filter(required=True).order_by("code"):
        r = latest.get(marker.pk)
        if r is None:
            gaps.append(_("{marker}: not tested").format(marker=marker.name))
        elif r.result != "negative":
            gaps.append(_("{marker}: {result}").format(marker=marker.name, result=r.get_result_display()))
    return gaps


@transaction.atomic
def set_donor_eligibility(*, actor, donor: m.Donor, eligibility: str, notes: str = "") -> m.Donor:
    """Eligible needs consent and a negative latest result for every required marker of the panel."""
    require(actor, "dossier.manage_donor")
    _choice(eligibility, m.Donor.ELIGIBILITY, "eligibility")
    locked = lock_for_update(m.Donor.objects.filter(pk=donor.pk)).get()
    if eligibility == "eligible":
        if locked.consent_on is None:
            raise RuleViolation(_("donor {donor} has no recorded consent").format(donor=locked.code))
        gaps = panel_gaps(locked)
        if gaps:
            raise RuleViolation(
                _("donor {donor} is not eligible: {gaps}").format(donor=locked.code, gaps="; ".join(gaps))
            )
    if eligibility == "ineligible" and not (notes or "").strip():
        raise InputError(_("give the reason"), where="notes")
    before = records.donor(locked)
    locked.eligibility = eligibility
    if notes:
        locked.eligibility_notes = notes
    locked.save(update_fields=["eligibility", "eligibility_notes"])
    record_event(
        actor=actor,
        action="donor.eligibility",
        object_type="donor",
        object_id=locked.pk,
        before=before,
        after=records.donor(locked),
        reason=notes or "",
    )
    return locked


DONOR_FIELDS = ("consent_on", "consent_document")


@transaction.atomic
def update_donor(*, actor, donor: m.Donor, reason: str, seen: str | None = None, **changes) -> m.Donor:
    """Correct a donor's consent record, with the reason for the correction.

    The code is the donor's pseudonymised identity, cited by its banks and the trace: it never
    changes. Eligibility and its notes have their own flow (`set_donor_eligibility`), so a
    correction cannot make a donor eligible, nor leave an eligible donor without consent.
    """
    require(actor, "dossier.manage_donor")
    unknown = set(changes) - set(DONOR_FIELDS)
    if unknown:
        raise InputError(_("unknown field {field}").format(field=", ".join(sorted(unknown))), where="donor")
    reason = text_required(reason, "reason")
    locked = lock_for_update(m.Donor.objects.filter(pk=donor.pk)).get()
    before = records.donor(locked)
    require_unchanged(seen, before, what=_("donor {code}").format(code=locked.code))
    if "consent_on" in changes:
        consent_on = changes["consent_on"]
        if consent_on is not None and consent_on > timezone.localdate():
            raise InputError(_("the date is in the future"), where="consent_on")
        if consent_on is None and locked.eligibility == "eligible":
            raise InputError(
                _("an eligible donor keeps a consent date: withdraw the eligibility first"),
                where="consent_on",
            )
        locked.consent_on = consent_on
    if "consent_document" in changes:
        document = changes["consent_document"]
        if document is not None and document.kind != "consent":
            raise InputError(_("choose a consent form document"), where="consent_document")
        locked.consent_document = document
    after = records.donor(locked)
    if after == before:
        return locked
    locked.save(update_fields=["consent_on", "consent_document"])
    record_event(
        actor=actor,
        action="donor.update",
        object_type="donor",
        object_id=locked.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return locked


# --- cell banks -----------------------------------------------------------------------------


def _ancestors(bank: m.CellBank) -> list[int]:
    """Ids from `bank` up its parent chain (a chain is short: MCB -> WCB -> ...)."""
    seen: list[int] = []
    current = bank
    while current is not None and current.pk not in seen:
        seen.append(current.pk)
        current = m.CellBank.objects.filter(pk=current.parent_id).first() if current.parent_id else None
    return seen


def _check_lineage(
    *, kind: str, donor, parent, passage: int, bank_pk=None, check_sources: bool = True
) -> None:
    """Shape of the lineage (one origin, WCB from a bank, no cycle, passage not below the parent's)
    always; a rejected parent bank or an ineligible donor only when `check_sources` (a new link,
    or a bank about to become available): a bank whose donor was found ineligible later must
    still be correctable, above all to be rejected."""
    if donor is None and parent is None:
        raise InputError(_("a cell bank comes from a donor or from a parent bank"), where="donor")
    if donor is not None and parent is not None:
        raise InputError(_("give either the donor or the parent bank, not both"), where="parent")
    if kind == "WCB" and parent is None:
        raise InputError(_("a working cell bank needs a parent bank"), where="parent")
    # decide on the stored state, not on objects the caller may hold from before a change
    parent = m.CellBank.objects.get(pk=parent.pk) if parent is not None else None
    donor = m.Donor.objects.get(pk=donor.pk) if donor is not None else None
    if parent is not None:
        if bank_pk is not None and bank_pk in _ancestors(parent):
            raise RuleViolation(_("this parent would make the cell-bank lineage a cycle"))
        if check_sources and parent.status == "rejected":
            raise RuleViolation(_("bank {bank} is rejected and cannot be a parent").format(bank=parent.code))
        if passage < parent.passage:
            raise InputError(
                _("the passage cannot be lower than the parent bank's ({passage})").format(
                    passage=parent.passage
                ),
                where="passage",
            )
    if check_sources and donor is not None and donor.eligibility == "ineligible":
        raise RuleViolation(_("donor {donor} is ineligible").format(donor=donor.code))


def _clean_characterisation(value) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise InputError(
            _("a list of {test, result, method, date} entries is expected"), where="characterisation"
        )
    for i, row in enumerate(value, start=1):
        if not str(row.get("test", "")).strip() or not str(row.get("result", "")).strip():
            raise InputError(
                _("entry {n}: test and result are required").format(n=i), where="characterisation"
            )
    return value


@transaction.atomic
def create_cell_bank(
    *,
    actor,
    code: str,
    kind: str,
    passage: int,
    donor=None,
    parent=None,
    frozen_on: dt.date | None = None,
    vials: int = 0,
    location: str = "",
    characterisation=None,
    status: str = "quarantine",
) -> m.CellBank:
    require(actor, "dossier.manage_cell_bank")
    code = text_required(code, "code")
    _choice(kind, m.CellBank.KINDS, "kind")
    _choice(status, m.CellBank.STATUSES, "status")
    if passage is None or int(passage) < 0:
        raise InputError(_("this field is required"), where="passage")
    if m.CellBank.objects.filter(code=code).exists():
        raise InputError(_("{value} already exists").format(value=code), where="code")
    _check_lineage(kind=kind, donor=donor, parent=parent, passage=int(passage))
    bank = m.CellBank.objects.create(
        code=code,
        kind=kind,
        donor=donor,
        parent=parent,
        passage=int(passage),
        frozen_on=frozen_on,
        vials=int(vials or 0),
        location=location or "",
        characterisation=_clean_characterisation(characterisation),
        status=status,
    )
    record_event(
        actor=actor,
        action="cell_bank.create",
        object_type="cell_bank",
        object_id=bank.pk,
        after=records.cell_bank(bank),
    )
    return bank


def _lineage_made_lots(bank_pk: int) -> bool:
    """Whether any product lot was made from this bank or a bank descending from it."""
    ids, frontier = {bank_pk}, {bank_pk}
    while frontier:
        frontier = set(m.CellBank.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return m.CellBank.objects.filter(pk__in=ids, lots__isnull=False).exists()


CELL_BANK_FIELDS = (
    "kind",
    "donor",
    "parent",
    "passage",
    "frozen_on",
    "vials",
    "location",
    "characterisation",
    "status",
)


@transaction.atomic
def update_cell_bank(
    *, actor, bank: m.CellBank, reason: str = "", seen: str | None = None, **changes
) -> m.CellBank:
    require(actor, "dossier.manage_cell_bank")
    unknown = set(changes) - set(CELL_BANK_FIELDS)
    if unknown:
        raise InputError(
            _("unknown field {field}").format(field=", ".join(sorted(unknown))), where="cell_bank"
        )
    locked = lock_for_update(m.CellBank.objects.filter(pk=bank.pk)).get()
    before = records.cell_bank(locked)
    require_unchanged(seen, before, what=_("cell bank {code}").format(code=locked.code))
    if "kind" in changes:
        _choice(changes["kind"], m.CellBank.KINDS, "kind")
    if "status" in changes:
        _choice(changes["status"], m.CellBank.STATUSES, "status")
    if "characterisation" in changes:
        changes["characterisation"] = _clean_characterisation(changes["characterisation"])
    if "passage" in changes:
        if changes["passage"] is None or int(changes["passage"]) < 0:
            raise InputError(_("this field is required"), where="passage")
        changes["passage"] = int(changes["passage"])
    if "vials" in changes:
        if changes["vials"] is not None and int(changes["vials"]) < 0:
            raise InputError(_("the number cannot be negative"), where="vials")
        changes["vials"] = int(changes["vials"] or 0)
    if "location" in changes:
        changes["location"] = changes["location"] or ""
    origin = (locked.donor_id, locked.parent_id)
    for field, value in changes.items():
        setattr(locked, field, value)
    relinked = (locked.donor_id, locked.parent_id) != origin
    if relinked and _lineage_made_lots(locked.pk):
        # Lots made from this bank (or from banks below it) trace back to its donor through it:
        # re-linking would rewrite the donor of released product. That is a deviation, not an edit.
        raise RuleViolation(
            _(
                "lots were made from bank {bank} or its descendants: its donor and parent bank stay as recorded"
            ).format(bank=locked.code)
        )
    becomes_available = locked.status == "available" and before["status"] != "available"
    _check_lineage(
        kind=locked.kind,
        donor=locked.donor,
        parent=locked.parent,
        passage=int(locked.passage),
        bank_pk=locked.pk,
        check_sources=relinked or becomes_available,
    )
    after = records.cell_bank(locked)
    if after == before:
        return locked
    if becomes_available and not (reason or "").strip():
        raise InputError(_("give the reason for making the bank available"), where="reason")
    locked.save()
    record_event(
        actor=actor,
        action="cell_bank.update",
        object_type="cell_bank",
        object_id=locked.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return locked


# --- materials ------------------------------------------------------------------------------


@transaction.atomic
def create_material(
    *, actor, name: str, supplier: str, catalogue_number: str, kind: str, used_in_culture: bool = True
) -> m.Material:
    require(actor, "dossier.manage_material")
    _choice(kind, m.Material.KINDS, "kind")
    supplier = text_required(supplier, "supplier")
    catalogue_number = text_required(catalogue_number, "catalogue_number")
    if m.Material.objects.filter(supplier=supplier, catalogue_number=catalogue_number).exists():
        raise InputError(
            _("{value} already exists").format(value=f"{supplier} {catalogue_number}"),
            where="catalogue_number",
        )
    material = m.Material.objects.create(
        name=text_required(name, "name"),
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
        after=records.material(material),
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
    reason = text_required(reason, "reason")
    locked = lock_for_update(m.Material.objects.filter(pk=material.pk)).get()
    before = records.material(locked)
    require_unchanged(seen, before, what=_("material {name}").format(name=locked.name))
    cleaned = {}
    if "name" in changes:
        cleaned["name"] = text_required(changes["name"], "name")
    if "supplier" in changes:
        cleaned["supplier"] = text_required(changes["supplier"], "supplier")
    if "catalogue_number" in changes:
        cleaned["catalogue_number"] = text_required(changes["catalogue_number"], "catalogue_number")
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
        after=records.material(locked),
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
    is_biological: bool = False,
    coa_document=None,
) -> m.MaterialLot:
    """A received lot, in quarantine until QA or QC accepts it.

    Animal origin is declared per lot: a species needs the tissue and a justification (why no
    animal-free alternative, BSE/TSE and bovine-virus compliance). Animal or human material is
    biological (a retention sample is expected).
    """
    require(actor, "dossier.manage_material")
    lot_number = text_required(lot_number, "lot_number")
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
    if m.MaterialLot.objects.filter(material=material, lot_number=lot_number).exists():
        raise InputError(_("{value} already exists").format(value=lot_number), where="lot_number")
    lot = m.MaterialLot.objects.create(
        material=material,
        lot_number=lot_number,
        expiry=expiry,
        received_on=received_on,
        coa_document=coa_document,
        animal_species=species,
        animal_tissue=tissue,
        animal_origin_justification=justification,
        grade=grade,
        is_biological=bool(is_biological),
        acceptance_status="quarantine",
    )
    record_event(
        actor=actor,
        action="material_lot.receive",
        object_type="material_lot",
        object_id=lot.pk,
        after=records.material_lot(lot),
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
    reason = text_required(reason, "reason")
    locked = lock_for_update(m.MaterialLot.objects.select_related("material").filter(pk=lot.pk)).get()
    before = records.material_lot(locked)
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
    after = records.material_lot(locked)
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
    reason = text_required(reason, "reason")
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
    before = records.material_lot(locked)
    locked.acceptance_status = decision
    locked.save(update_fields=["acceptance_status"])
    record_event(
        actor=actor,
        action=f"material_lot.{'accept' if decision == 'accepted' else 'reject'}",
        object_type="material_lot",
        object_id=locked.pk,
        before=before,
        after=records.material_lot(locked),
        reason=reason,
    )
    return locked


# --- documents ------------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@transaction.atomic
def upload_document(
    *, actor, code: str, title: str, kind: str, content: bytes, original_name: str
) -> m.Document:
    """Store a file unchanged with its sha256. New content under an existing code is a new version."""
    require(actor, "dossier.upload_document")
    code = text_required(code, "code")
    if len(code) > 60:
        raise InputError(_("at most 60 characters"), where="code")
    _choice(kind, m.Document.KINDS, "kind")
    if not content:
        raise InputError(_("the file is empty"), where="file")
    original_name = PurePath(text_required(original_name, "file")).name
    digest = hashlib.sha256(content).hexdigest()
    existing = list(lock_for_update(m.Document.objects.filter(code=code)).order_by("-version"))
    if existing and existing[0].sha256 == digest:
        raise RuleViolation(
            _("this file is identical to version {version} of {code}").format(
                version=existing[0].version, code=code
            )
        )
    if any(d.status == EDITABLE for d in existing):
        raise RuleViolation(
            _("{code} already has a draft version: approve it before uploading another").format(code=code)
        )
    version = existing[0].version + 1 if existing else 1
    doc = m.Document(
        code=code,
        version=version,
        title=text_required(title, "title"),
        kind=kind,
        original_name=original_name,
        sha256=digest,
        status="draft",
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    safe = _SAFE_NAME.sub("_", f"{code}-v{version}-{original_name}")[:150]
    doc.file.save(safe, ContentFile(content), save=False)
    doc.save(force_insert=True)
    record_event(
        actor=actor,
        action="document.upload",
        object_type="document",
        object_id=doc.pk,
        after=records.document(doc),
    )
    return doc


def document_signed_record(doc: m.Document) -> dict:
    """What an approval signs: the content hash and identity, not the (changing) status."""
    rec = records.document(doc)
    rec.pop("status")
    return rec


def approve_document(*, request, actor, document: m.Document, password: str, reason: str = "") -> m.Document:
    require(actor, "dossier.approve_document")
    check_signing_password(
        request=request,
        signer=actor,
        password=password,
        prohibited=[(document.uploaded_by_id, _("the uploader may not approve the document"))],
    )
    with transaction.atomic():
        locked = lock_for_update(m.Document.objects.filter(pk=document.pk)).get()
        if locked.status != EDITABLE:
            raise RuleViolation(_("only a draft can be approved"))
        if _file_sha256(locked) != locked.sha256:
            raise RuleViolation(_("the stored file no longer matches its sha256: not approved"))
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="document",
            object_id=locked.pk,
            record=document_signed_record(locked),
            reason=reason,
        )
        _supersede(
            m.Document.objects.filter(code=locked.code, status="approved").exclude(pk=locked.pk),
            actor,
            "document",
            records.document,
        )
        before = records.document(locked)
        locked.status = "approved"
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="document.approve",
            object_type="document",
            object_id=locked.pk,
            before=before,
            after={**records.document(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked


def _file_sha256(doc: m.Document) -> str:
    digest = hashlib.sha256()
    with doc.file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _supersede(queryset, actor, object_type: str, snapshot) -> None:
    for old in lock_for_update(queryset):
        before = snapshot(old)
        old.status = "superseded"
        old.save(update_fields=["status"])
        record_event(
            actor=actor,
            action=f"{object_type}.supersede",
            object_type=object_type,
            object_id=old.pk,
            before=before,
            after=snapshot(old),
        )


# --- process definitions --------------------------------------------------------------------


def _editable(record, what: str) -> None:
    if record.status != EDITABLE:
        raise ImmutableRecord(
            _(
                "{what} v{version} is {status}: approved versions are never changed; create a new version"
            ).format(what=what, version=record.version, status=record.get_status_display())
        )


def _new_draft_version(model, product: m.Product, description: str, draft_exists_message: str):
    """Create the next draft version of a versioned record (process or specification) of `product`.

    The product row is locked so two users cannot both create version n+1; a product has at most
    one draft of each kind. Returns (new version, previous latest version or None)."""
    lock_for_update(m.Product.objects.filter(pk=product.pk)).get()
    versions = model.objects.filter(product=product)
    if versions.filter(status=EDITABLE).exists():
        raise RuleViolation(draft_exists_message)
    previous = versions.order_by("-version").first()
    new = model.objects.create(
        product=product,
        version=(previous.version + 1) if previous else 1,
        status=EDITABLE,
        description=description or "",
    )
    return new, previous


def _update_description(actor, locked, kind: str, description: str, summary):
    before = summary(locked)
    locked.description = description or ""
    locked.save(update_fields=["description"])
    record_event(
        actor=actor,
        action=f"{kind}.update",
        object_type=kind,
        object_id=locked.pk,
        before=before,
        after=summary(locked),
    )
    return locked


def _locked_process(process: m.ProcessDefinition) -> m.ProcessDefinition:
    locked = (
        lock_for_update(m.ProcessDefinition.objects.filter(pk=process.pk)).select_related("product").get()
    )
    _editable(locked, _("process"))
    return locked


@transaction.atomic
def create_process_version(*, actor, product: m.Product, description: str = "") -> m.ProcessDefinition:
    """A new draft version, starting as a copy of the latest version's steps and parameters."""
    require(actor, "dossier.edit_process")
    new, previous = _new_draft_version(
        m.ProcessDefinition,
        product,
        description,
        _("product {product} already has a draft process version").format(product=product.code),
    )
    if previous is not None:
        for s in previous.steps.order_by("order"):
            copy = m.ProcessStep.objects.create(
                process=new, order=s.order, kind=s.kind, name=s.name, method=s.method
            )
            for p in s.parameters.order_by("id"):
                m.ProcessParameter.objects.create(step=copy, **records.parameter(p))
    record_event(
        actor=actor,
        action="process.create",
        object_type="process",
        object_id=new.pk,
        after={**records.process(new), "copied_from": previous.version if previous else None},
    )
    return new


@transaction.atomic
def update_process(*, actor, process: m.ProcessDefinition, description: str) -> m.ProcessDefinition:
    require(actor, "dossier.edit_process")
    return _update_description(
        actor,
        _locked_process(process),
        "process",
        description,
        lambda p: records.process(p, with_steps=False),
    )


@transaction.atomic
def add_process_step(
    *, actor, process: m.ProcessDefinition, kind: str, name: str, method: str = "", order: int | None = None
) -> m.ProcessStep:
    require(actor, "dossier.edit_process")
    locked = _locked_process(process)
    _choice(kind, m.ProcessStep.KINDS, "kind")
    if order is None:
        order = (locked.steps.aggregate(n=Max("order"))["n"] or 0) + 1
    if locked.steps.filter(order=order).exists():
        raise InputError(_("step {order} already exists").format(order=order), where="order")
    step = m.ProcessStep.objects.create(
        process=locked, order=int(order), kind=kind, name=text_required(name, "name"), method=method or ""
    )
    record_event(
        actor=actor,
        action="process.step.add",
        object_type="process",
        object_id=locked.pk,
        after=records.step(step),
    )
    return step


@transaction.atomic
def update_process_step(*, actor, step: m.ProcessStep, **changes) -> m.ProcessStep:
    require(actor, "dossier.edit_process")
    _locked_process(step.process)
    step = m.ProcessStep.objects.select_related("process").get(pk=step.pk)  # as stored, under the lock
    before = records.step(step)
    if "kind" in changes:
        _choice(changes["kind"], m.ProcessStep.KINDS, "kind")
    if "name" in changes:
        changes["name"] = text_required(changes["name"], "name")
    for field in ("kind", "name", "method", "order"):
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
        after=records.step(step),
    )
    return step


@transaction.atomic
def remove_process_step(*, actor, step: m.ProcessStep) -> None:
    require(actor, "dossier.edit_process")
    process = _locked_process(step.process)
    before = records.step(step)
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
        after={"step": step.order, **records.parameter(param)},
    )
    return param


@transaction.atomic
def update_process_parameter(*, actor, parameter: m.ProcessParameter, **changes) -> m.ProcessParameter:
    require(actor, "dossier.edit_process")
    process = _locked_process(parameter.step.process)
    parameter = m.ProcessParameter.objects.get(pk=parameter.pk)  # as stored, under the lock
    before = records.parameter(parameter)
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
        after={"step": parameter.step.order, **records.parameter(parameter)},
    )
    return parameter


@transaction.atomic
def remove_process_parameter(*, actor, parameter: m.ProcessParameter) -> None:
    require(actor, "dossier.edit_process")
    process = _locked_process(parameter.step.process)
    before = {"step": parameter.step.order, **records.parameter(parameter)}
    parameter.delete()
    record_event(
        actor=actor,
        action="process.parameter.remove",
        object_type="process",
        object_id=process.pk,
        before=before,
    )


def process_signed_record(process: m.ProcessDefinition) -> dict:
    rec = records.process(process)
    rec.pop("status")
    return rec


def _approve_version(
    *,
    request,
    actor,
    password: str,
    reason: str,
    obj,
    kind: str,
    perm: str,
    lock,
    has_content,
    empty_message,
    signed_record,
    summary,
):
    """QA approval of a draft version (process or specification) with a signature; the product's
    previously approved version of that kind becomes superseded. Nobody approves their own version."""
    require(actor, perm)
    why = _("an author of this version may not approve it")
    check_signing_password(
        request=request,
        signer=actor,
        password=password,
        prohibited=[(pk, why) for pk in _authors(kind, obj.pk)],
    )
    with transaction.atomic():
        locked = lock(obj)
        if actor.pk in _authors(kind, locked.pk):
            raise RuleViolation(why)
        if not has_content(locked):
            raise RuleViolation(empty_message)
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type=kind,
            object_id=locked.pk,
            record=signed_record(locked),
            reason=reason,
        )
        _supersede(
            type(locked).objects.filter(product=locked.product, status="approved"), actor, kind, summary
        )
        before = summary(locked)
        locked.status = "approved"
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            action=f"{kind}.approve",
            object_type=kind,
            object_id=locked.pk,
            before=before,
            after={**summary(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked


def approve_process(
    *, request, actor, process: m.ProcessDefinition, password: str, reason: str = ""
) -> m.ProcessDefinition:
    """QA approval with a signature; the previously approved version becomes superseded."""
    return _approve_version(
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
        signed_record=process_signed_record,
        summary=lambda p: records.process(p, with_steps=False),
    )


# --- specifications -------------------------------------------------------------------------


def _locked_spec(spec: m.Specification) -> m.Specification:
    locked = lock_for_update(m.Specification.objects.filter(pk=spec.pk)).select_related("product").get()
    _editable(locked, _("specification"))
    return locked


@transaction.atomic
def create_specification_version(
    *, actor, product: m.Product, description: str = "", copy_previous: bool = True
) -> m.Specification:
    """A new draft version, starting as a copy of the latest version's attributes."""
    require(actor, "dossier.edit_specification")
    spec, previous = _new_draft_version(
        m.Specification,
        product,
        description,
        _("product {product} already has a draft specification").format(product=product.code),
    )
    if previous is not None and copy_previous:
        for a in previous.attributes.order_by("order", "id"):
            m.SpecAttribute.objects.create(specification=spec, **records.attribute(a))
    record_event(
        actor=actor,
        action="specification.create",
        object_type="specification",
        object_id=spec.pk,
        after={
            **records.specification(spec),
            "copied_from": previous.version if previous is not None and copy_previous else None,
        },
    )
    return spec


@transaction.atomic
def update_specification(*, actor, specification: m.Specification, description: str) -> m.Specification:
    require(actor, "dossier.edit_specification")
    return _update_description(
        actor,
        _locked_spec(specification),
        "specification",
        description,
        lambda sp: records.specification(sp, with_attributes=False),
    )


@transaction.atomic
def add_spec_attribute(*, actor, specification: m.Specification, **fields) -> m.SpecAttribute:
    require(actor, "dossier.edit_specification")
    spec = _locked_spec(specification)
    cleaned = clean_attribute(fields)
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
        after=records.attribute(attr),
    )
    return attr


@transaction.atomic
def update_spec_attribute(
    *, actor, attribute: m.SpecAttribute, seen: str | None = None, **changes
) -> m.SpecAttribute:
    require(actor, "dossier.edit_specification")
    spec = _locked_spec(attribute.specification)
    attribute = m.SpecAttribute.objects.get(pk=attribute.pk)  # as it is now, under the lock
    before = records.attribute(attribute)
    require_unchanged(seen, before, what=_("attribute {code}").format(code=attribute.code))
    cleaned = clean_attribute({**before, **changes})
    if spec.attributes.filter(code=cleaned["code"]).exclude(pk=attribute.pk).exists():
        raise InputError(_("{value} already exists").format(value=cleaned["code"]), where="code")
    for field, value in cleaned.items():
        setattr(attribute, field, value)
    attribute.save()
    after = records.attribute(attribute)
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
    before = records.attribute(attribute)
    attribute.delete()
    record_event(
        actor=actor,
        action="specification.attribute.remove",
        object_type="specification",
        object_id=spec.pk,
        before=before,
    )


def create_specification_from_template(
    product: m.Product, actor, *, max_dose_ml_per_kg=None, description: str = ""
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


def specification_signed_record(spec: m.Specification) -> dict:
    rec = records.specification(spec)
    rec.pop("status")
    return rec


def approve_specification(
    *, request, actor, specification: m.Specification, password: str, reason: str = ""
) -> m.Specification:
    return _approve_version(
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
        signed_record=specification_signed_record,
        summary=lambda sp: records.specification(sp, with_attributes=False),
    )
