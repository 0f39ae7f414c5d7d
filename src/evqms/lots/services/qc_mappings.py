"""Saved column mappings of the QC import: which header of an instrument's or a template's export
is which import column. Created and changed by QC analysts, each change audited before and after."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots.models import QCColumnMapping
from evqms.lots.qc_columns import COLUMNS, header_key
from evqms.lots.records import qc_column_mapping_record
from evqms.lots.services._common import now


def _checked_columns(headers: dict[str, str]) -> dict[str, str]:
    """{file header: import column} from {import column: the header a file writes for it}: headers
    trimmed, each header once, at least one column named."""
    checked: dict[str, str] = {}
    seen: dict[str, str] = {}
    for column, header in headers.items():
        header = str(header or "").strip()
        if not header:
            continue
        if column not in COLUMNS:
            raise InputError(_("unknown import column {column}").format(column=column), where="name")
        if header_key(header) in seen:
            raise InputError(
                _("the header {header} is already mapped to {column}").format(
                    header=header, column=seen[header_key(header)]
                ),
                where=column,
            )
        seen[header_key(header)] = column
        checked[header] = column
    if not checked:
        raise InputError(_("name the file's header of at least one column"), where="lot")
    return checked


def _require_unique_name(name: str, exclude: int | None = None) -> None:
    others = QCColumnMapping.objects.filter(name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise InputError(_("a column mapping named {name} exists").format(name=name), where="name")


@transaction.atomic
def create_column_mapping(*, actor, name: str, headers: dict[str, str], instrument=None) -> QCColumnMapping:
    """Save a mapping of a file's headers to the import's columns (audited `qc_mapping.create`)."""
    require(actor, "lots.import_qc_results")
    name = required_text(name, "name")
    _require_unique_name(name)
    moment = now()
    mapping = QCColumnMapping.objects.create(
        name=name,
        instrument=instrument,
        columns=_checked_columns(headers),
        created_by=actor,
        created_at=moment,
        updated_at=moment,
    )
    record_event(
        actor=actor,
        action="qc_mapping.create",
        object_type="qc_column_mapping",
        object_id=mapping.pk,
        after=qc_column_mapping_record(mapping),
    )
    return mapping


@transaction.atomic
def change_column_mapping(
    *, actor, mapping: QCColumnMapping, name: str, headers: dict[str, str], instrument=None, reason: str = ""
) -> QCColumnMapping:
    """Change a saved mapping (audited `qc_mapping.change`, before and after). Imports made with it
    keep the name they were made with in their own audit events."""
    require(actor, "lots.import_qc_results")
    # No select_related: PostgreSQL cannot lock the nullable side of the outer join to the instrument.
    mapping = lock_for_update(QCColumnMapping.objects.filter(pk=mapping.pk)).get()
    before = qc_column_mapping_record(mapping)
    name = required_text(name, "name")
    _require_unique_name(name, exclude=mapping.pk)
    mapping.name = name
    mapping.instrument = instrument
    mapping.columns = _checked_columns(headers)
    mapping.updated_at = now()
    after = qc_column_mapping_record(mapping)
    if after == before:
        return mapping
    mapping.save(update_fields=["name", "instrument", "columns", "updated_at"])
    record_event(
        actor=actor,
        action="qc_mapping.change",
        object_type="qc_column_mapping",
        object_id=mapping.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return mapping


__all__ = ["change_column_mapping", "create_column_mapping"]
