"""Import QC results from a CSV or Excel file: every row or none.

Columns (header row, any order, case-insensitive): lot, attribute, value, unit, text_value,
method, tested_at, analyst (optional: the analyst who performed the test, default the importer),
instrument (optional: the identifier of the instrument used, from the equipment register).
Every problem is reported with its row (the file's line / sheet row) and column; if there is
any, nothing is written. The original file is kept unchanged under EVQMS_HOME/files/imports/
with its sha256, whatever the outcome, and each imported result points at it.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import operator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers, keptfiles
from evqms.core.limits import check_zip_expansion, csv_rows, decode_text, sniff_dialect
from evqms.dossier.models import SpecAttribute
from evqms.equipment.models import Instrument
from evqms.errors import EvqmsError, InputError
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.lots.services.qc import QCEntriesRefused, QCEntry, record_qc_results

# The last three are the run controls of a sterility, endotoxin or mycoplasma result ("detected" /
# "not detected"; the endotoxin positive product control's spike recovery in %): optional columns,
# required on the rows of those tests (services/microbiology.py).
COLUMNS = (
    "lot",
    "attribute",
    "value",
    "unit",
    "text_value",
    "method",
    "tested_at",
    "analyst",
    "instrument",
    "positive_control",
    "negative_control",
    "positive_recovery",
)
REQUIRED = ("lot", "attribute", "tested_at")
ALIASES = {
    "lot_number": "lot",
    "attribute_code": "attribute",
    "code": "attribute",
    "text": "text_value",
    "result": "text_value",
    "date": "tested_at",
    "tested_on": "tested_at",
    "instrument_id": "instrument",
    "equipment": "instrument",
}
MAX_ROWS = 10_000


@dataclass
class RowError:
    row: int | None
    column: str | None
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def text(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column:
            where.append(_('column "{column}"').format(column=self.column))
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class ImportReport:
    filename: str
    sha256: str
    stored_as: str
    rows: int = 0
    created: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "filename": self.filename,
            "sha256": self.sha256,
            "stored_as": self.stored_as,
            "rows": self.rows,
            "ok": self.ok,
            "created": list(self.created),
            "errors": [e.to_dict() for e in self.errors],
        }

    def text(self) -> str:
        head = f"{self.filename} (sha256 {self.sha256})"
        if self.ok:
            return head + "\n" + _("{n} results imported").format(n=len(self.created))
        lines = [head, _("nothing imported: {n} problems").format(n=len(self.errors))]
        lines += [f"  {e.text()}" for e in self.errors]
        return "\n".join(lines)


# --- reading ------------------------------------------------------------------------------


def _decode(data: bytes, filename: str = "") -> str:
    # UTF-8 or UTF-16 (BOM or not), else Shift_JIS: Excel in Japan saves CSV as cp932. NUL bytes
    # are refused (evqms.core.limits).
    try:
        return decode_text(data, name=filename, fallback=("cp932",))
    except InputError as exc:
        if "NUL" in exc.message:
            raise
        raise InputError(_("the file is neither UTF-8 nor Shift_JIS text"), where=filename or None) from None


def _cell(value) -> str | dt.datetime | dt.date:
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if isinstance(value, float):
        return repr(
            value
        )  # the shortest text that gives back the same float, e.g. 0.1 not 0.1000000000000000055
    return str(value).strip()


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict]]:
    """(row number, {column: text or date}) for each non-empty data row."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        import openpyxl

        check_zip_expansion(data, name=filename)  # an .xlsx is a zip: no decompression bomb
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is an input error
            raise InputError(
                _("not a readable Excel workbook ({error})").format(error=exc), where=filename
            ) from None
        sheet = workbook.worksheets[0]
        # At most MAX_ROWS + 2 rows are read: the check below refuses the file past MAX_ROWS.
        table = [
            [_cell(c) for c in row]
            for row in itertools.islice(sheet.iter_rows(values_only=True), MAX_ROWS + 2)
        ]
        workbook.close()
    elif name.endswith((".csv", ".txt", ".tsv")):
        text = _decode(data, filename)
        dialect = sniff_dialect(text.split("\n", 1)[0])
        rows_read = itertools.islice(csv_rows(text, name=filename, dialect=dialect), MAX_ROWS + 2)
        table = [[c.strip() for c in row] for row in rows_read]
    else:
        raise InputError(_("give a .csv or .xlsx file"), where=filename)
    if not table:
        raise InputError(_("the file is empty"), where=filename)
    header = [ALIASES.get(str(h).strip().lower(), str(h).strip().lower()) for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            _("missing columns: {columns}").format(columns=", ".join(missing)), where=f"{filename}, line 1"
        )
    rows = []
    for i, raw in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in raw if c is not None):
            continue
        rows.append((i, {h: (raw[j] if j < len(raw) else "") for j, h in enumerate(header) if h in COLUMNS}))
    if not rows:
        raise InputError(_("the file has a header but no data rows"), where=filename)
    if len(rows) > MAX_ROWS:
        raise InputError(_("more than {n} rows: split the file").format(n=MAX_ROWS), where=filename)
    return rows


def _tested_at(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time(12, 0))
    else:
        text = str(value or "").strip()
        parsed = parse_datetime(text.replace(" ", "T", 1)) if text else None
        if parsed is None and text:
            day = parse_date(text)
            parsed = dt.datetime.combine(day, dt.time(12, 0)) if day else None
        if parsed is None:
            raise InputError(
                _("not a date and time (use 2024-06-01T10:30 or 2024-06-01): {value}").format(
                    value=text or _("(empty)")
                )
            )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


# --- the import ---------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _column_of(exc: EvqmsError) -> str | None:
    where = getattr(exc, "where", None) or ""
    for column in COLUMNS:
        if where == column or where.startswith(column):
            return column
    return None


@dataclass(frozen=True)
class _Entry:
    """One row read into what `record_qc_results` takes."""

    row: int
    lot: Lot
    attribute: SpecAttribute
    cells: dict
    tested_at: dt.datetime
    analyst: object
    instrument: Instrument | None = None


def _instruments_named(rows) -> dict[str, Instrument]:
    """The instruments the file names, by identifier in lower case (identifiers ignore letter case;
    a file names a few instruments, so one query with one condition each)."""
    named = {identifiers.normalise(r.get("instrument")).lower() for _n, r in rows} - {""}
    if not named:
        return {}
    query = functools.reduce(operator.or_, (Q(identifier__iexact=n) for n in sorted(named)))
    return {i.identifier.lower(): i for i in Instrument.objects.filter(query)}


def _map_rows(actor, rows: list[tuple[int, dict]], errors: list[RowError]) -> list[_Entry]:
    """Find each row's lot, attribute and analyst and read its test time; a row that names what
    does not exist, or repeats an earlier row's lot and attribute, is an error of its own."""
    wanted = {
        column: {str(r.get(column) or "").strip() for _n, r in rows} - {""} for column in ("lot", "analyst")
    }
    users = {u.username: u for u in get_user_model().objects.filter(username__in=wanted["analyst"])}
    lots = {
        lot.number: lot
        for lot in Lot.objects.filter(number__in=wanted["lot"]).select_related("specification")
    }
    attributes = _attributes_of(lots.values())
    instruments = _instruments_named(rows)
    seen: dict[tuple[str, str], int] = {}
    entries = []
    for number, row in rows:
        found = len(errors)
        lot_number, code = str(row.get("lot") or "").strip(), str(row.get("attribute") or "").strip()
        lot = lots.get(lot_number)
        if not lot_number:
            errors.append(RowError(number, "lot", _("a lot number is required")))
        elif lot is None:
            errors.append(RowError(number, "lot", _("unknown lot {lot}").format(lot=lot_number)))
        attribute = attributes.get((lot.specification_id, code)) if lot is not None and code else None
        if lot is not None and attribute is None:
            message = _("unknown attribute {code} in specification v{version}").format(
                code=code or _("(empty)"), version=lot.specification.version
            )
            errors.append(RowError(number, "attribute", message))
        if (lot_number, code) in seen:
            message = _("duplicate of row {row}").format(row=seen[(lot_number, code)])
            errors.append(RowError(number, "attribute", message))
        else:
            seen[(lot_number, code)] = number
        try:
            tested_at = _tested_at(row.get("tested_at"))
        except InputError as exc:
            errors.append(RowError(number, "tested_at", exc.message))
        name = str(row.get("analyst") or "").strip()
        analyst = users.get(name) if name else actor
        if analyst is None:
            errors.append(RowError(number, "analyst", _("unknown user {name}").format(name=name)))
        named = identifiers.normalise(row.get("instrument"))
        instrument = instruments.get(named.lower()) if named else None
        if named and instrument is None:
            errors.append(
                RowError(number, "instrument", _("unknown instrument {identifier}").format(identifier=named))
            )
        if len(errors) == found:
            entries.append(_Entry(number, lot, attribute, row, tested_at, analyst, instrument))
    return entries


def _attributes_of(lots) -> dict[tuple[int, str], SpecAttribute]:
    """The attributes of the lots' specifications by (specification id, code), each holding its
    specification (one query for the file, not one a row)."""
    specifications = {lot.specification_id: lot.specification for lot in lots}
    found: dict[tuple[int, str], SpecAttribute] = {}
    for attribute in SpecAttribute.objects.filter(specification_id__in=list(specifications)):
        attribute.specification = specifications[attribute.specification_id]
        found.setdefault((attribute.specification_id, attribute.code), attribute)
    return found


def _record_entries(actor, entries: list[_Entry], report: ImportReport) -> None:
    """Record every entry through `record_qc_results` in one transaction, each row's refusal kept
    with its row and column; any error (here or from reading) rolls every row back."""
    try:
        with transaction.atomic():
            try:
                results = record_qc_results(
                    actor=actor,
                    entries=[
                        QCEntry(
                            lot=entry.lot,
                            attribute=entry.attribute,
                            value=entry.cells.get("value") or None,
                            unit=str(entry.cells.get("unit") or ""),
                            text_value=str(entry.cells.get("text_value") or ""),
                            method=str(entry.cells.get("method") or ""),
                            tested_at=entry.tested_at,
                            analyst=entry.analyst,
                            instrument=entry.instrument,
                            stored_file_name=report.stored_as,
                            stored_file_sha256=report.sha256,
                            controls={
                                key: entry.cells.get(key)
                                for key in ("positive_control", "negative_control", "positive_recovery")
                            },
                        )
                        for entry in entries
                    ],
                )
            except QCEntriesRefused as refused:
                for index, exc in refused.refusals:
                    message = getattr(exc, "message", None) or str(exc)
                    report.errors.append(RowError(entries[index].row, _column_of(exc), message))
            else:
                report.created.extend(result.pk for result in results)
            if report.errors:
                raise _Rollback
            record_event(
                actor=actor,
                action="qc_result.import",
                object_type="qc_import",
                object_id=report.sha256[:16],
                after={
                    "filename": report.filename,
                    "sha256": report.sha256,
                    "stored_as": report.stored_as,
                    "rows": report.rows,
                    "results": report.created,
                },
            )
    except _Rollback:
        report.created = []
        report.errors.sort(key=lambda e: e.row or 0)  # stable: a row's errors keep their order
        _record_refusal(actor, report)


def import_qc_results(*, actor, filename: str, data: bytes) -> ImportReport:
    """Import every row or none; the report lists each problem by row and column. The file is kept
    (`keptfiles.keep_import`) whatever the outcome; each result is judged by `record_qc_result`."""
    require(actor, "lots.import_qc_results")
    kept = keptfiles.keep_import(filename, data)  # above EVQMS_UPLOAD_LIMIT_MB: refused, nothing kept
    report = ImportReport(filename=kept.original_name, sha256=kept.sha256, stored_as=kept.name)
    try:
        rows = read_rows(report.filename, data)
    except InputError as exc:
        report.errors.append(
            RowError(None, None, exc.message if not exc.where else f"{exc.where}: {exc.message}")
        )
        _record_refusal(actor, report)
        return report
    report.rows = len(rows)
    entries = _map_rows(actor, rows, report.errors)
    _record_entries(actor, entries, report)
    return report


def _record_refusal(actor, report: ImportReport) -> None:
    """A refused import leaves no result, but the trail says it was tried and why."""
    with transaction.atomic():
        record_event(
            actor=actor,
            action="qc_result.import_refused",
            object_type="qc_import",
            object_id=report.sha256[:16],
            after={
                "filename": report.filename,
                "sha256": report.sha256,
                "stored_as": report.stored_as,
                "errors": [e.to_dict() for e in report.errors[:50]],
                "error_count": len(report.errors),
            },
        )
