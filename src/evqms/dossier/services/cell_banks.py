"""Master and working cell banks and their lineage."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.concurrency import require_unchanged
from evqms.core.db import lock_for_update
from evqms.dossier import models as m
from evqms.dossier import records
from evqms.dossier.services._common import _choice
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


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
    code = identifiers.clean("cell_bank", code, field="code")
    _choice(kind, m.CellBank.KINDS, "kind")
    _choice(status, m.CellBank.STATUSES, "status")
    if passage is None or int(passage) < 0:
        raise InputError(_("this field is required"), where="passage")
    identifiers.require_unique("cell_bank", code, field="code")
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
        after=records.cell_bank_record(bank),
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
    before = records.cell_bank_record(locked)
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
    after = records.cell_bank_record(locked)
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
