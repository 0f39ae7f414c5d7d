"""Import QC results from a CSV or Excel file: every row or none, after a dry run if wanted.

Columns (header row, any order, case-insensitive; the accepted Japanese and other headers and the
saved column mappings are in `evqms.lots.qc_columns`): lot, attribute, value, unit, text_value,
method, tested_at, analyst (optional: the analyst who performed the test, default the importer),
instrument (optional: the identifier of the instrument used, from the equipment register).
Lines before the header whose first cell starts with "#" are comments (the templates explain
their columns there). A row whose value, text_value and tested_at are all empty is a template row
left unfilled: it is skipped and the report says so. tested_at takes 2024-06-01T10:30,
2024-06-01 10:30, 2024/06/01 10:30 or an Excel date cell, in the facility's time zone; a date
without a time is recorded at 12:00 (noon) local time that day.
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
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers, keptfiles
from evqms.core.canonical import sha256_hex
from evqms.core.display import result_value_text
from evqms.core.limits import check_zip_expansion, csv_rows, decode_text, sniff_dialect
from evqms.core.timefmt import display_local, iso_local
from evqms.dossier.models import SpecAttribute
from evqms.equipment.models import Instrument
from evqms.errors import EvqmsError, InputError
from evqms.i18n import _
from evqms.lots.models import Lot, QCResult
from evqms.lots.qc_columns import ALIASES, COLUMNS, CONTROL_COLUMNS, REQUIRED, column_for
from evqms.lots.services.qc import QCEntriesRefused, QCEntry, check_qc_results, record_qc_results

__all__ = ["ALIASES", "COLUMNS", "REQUIRED", "import_qc_results", "preview_qc_import", "read_rows"]
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
class PreviewRow:
    """A row of a dry run: the file's cells as read and, when the rules accept it, the result as it
    would be stored (unsaved)."""

    row: int
    cells: dict
    result: QCResult | None = None

    def to_dict(self) -> dict:
        r = self.result
        if r is None:
            return {"row": self.row, "stored": None}
        return {
            "row": self.row,
            "stored": {
                "lot": r.lot.number,
                "attribute": r.attribute.code,
                "value": None if r.value is None else str(r.value.normalize()),
                "censor": r.censor,
                "unit": r.unit,
                "value_in_spec_unit": None
                if r.value_in_spec_unit is None
                else str(r.value_in_spec_unit.normalize()),
                "text_value": r.text_value,
                "verdict": r.verdict,
                "method": r.method,
                "tested_at": iso_local(r.tested_at),
                "analyst": r.analyst.get_username(),
                "instrument": r.instrument.identifier if r.instrument_id else None,
            },
        }

    def text(self) -> str:
        r = self.result
        if r is None:
            return ""
        shown = r.text_value or result_value_text(r.value, r.unit, censor=r.censor)
        return _("row {row}: {lot} {attribute} = {value} → {verdict}, tested {tested} by {analyst}").format(
            row=self.row,
            lot=r.lot.number,
            attribute=r.attribute.code,
            value=shown,
            verdict=r.get_verdict_display(),
            tested=display_local(r.tested_at),
            analyst=r.analyst.get_username(),
        )


@dataclass
class ImportReport:
    filename: str
    sha256: str
    stored_as: str
    rows: int = 0
    created: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # template rows left unfilled
    preview: list[PreviewRow] = field(default_factory=list)  # a dry run's rows, in file order
    mapping: str = ""  # the name of the saved column mapping applied, if any
    dry_run: bool = False

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
            "skipped": list(self.skipped),
            **({"dry_run": True, "preview": [p.to_dict() for p in self.preview]} if self.dry_run else {}),
        }

    def errors_of(self, row: int) -> list[RowError]:
        return [e for e in self.errors if e.row == row]

    def text(self) -> str:
        head = f"{self.filename} (sha256 {self.sha256})"
        skipped = (
            ["  " + _("rows left unfilled, skipped: {rows}").format(rows=", ".join(map(str, self.skipped)))]
            if self.skipped
            else []
        )
        if self.ok and self.dry_run:
            rows = [f"  {p.text()}" for p in self.preview]
            summary = _("dry run: {n} rows checked, no problem; nothing recorded").format(n=self.rows)
            return "\n".join([head, summary, *rows, *skipped])
        if self.ok:
            return "\n".join([head, _("{n} results imported").format(n=len(self.created)), *skipped])
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


def _cell(value, number_format: str = "") -> str | dt.datetime | dt.date:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # An Excel date cell holds a date and time; one formatted without hours (yyyy/m/d) is a
        # date, recorded by the date rule, not as midnight.
        if value.time() == dt.time(0, 0) and number_format and "h" not in number_format.lower():
            return value.date()
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float):
        return repr(
            value
        )  # the shortest text that gives back the same float, e.g. 0.1 not 0.1000000000000000055
    return str(value).strip()


def _sheet_table(filename: str, data: bytes) -> list[list]:
    import openpyxl

    check_zip_expansion(data, name=filename)  # an .xlsx is a zip: no decompression bomb
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is an input error
        raise InputError(
            _("not a readable Excel workbook ({error})").format(error=exc), where=filename
        ) from None
    sheet = workbook.worksheets[0]
    # At most MAX_ROWS + 2 rows (and the comment lines above the header) are read: the check
    # below refuses the file past MAX_ROWS.
    table = [
        [_cell(c.value, getattr(c, "number_format", "") or "") for c in row]
        for row in itertools.islice(sheet.iter_rows(), MAX_ROWS + 2 + MAX_COMMENT_LINES)
    ]
    workbook.close()
    return table


MAX_COMMENT_LINES = 50


def _is_comment(row: list) -> bool:
    first = next((c for c in row if str(c).strip()), "")
    return isinstance(first, str) and first.startswith("#")


def _unfilled(row: dict) -> bool:
    """A template row left as it was given: nothing in value, text_value and tested_at."""
    return not any(str(row.get(c) or "").strip() for c in ("value", "text_value", "tested_at"))


def read_rows(
    filename: str, data: bytes, *, mapping: dict[str, str] | None = None, skipped: list[int] | None = None
) -> list[tuple[int, dict]]:
    """(row number, {column: text or date}) for each filled data row. `mapping` names the import
    column of a file's own headers (a saved `QCColumnMapping`); the row numbers of template rows
    left unfilled are appended to `skipped`."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        table = _sheet_table(filename, data)
    elif name.endswith((".csv", ".txt", ".tsv")):
        text = _decode(data, filename)
        lines = text.split("\n", MAX_COMMENT_LINES + 1)
        first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
        dialect = sniff_dialect(first)
        rows_read = itertools.islice(
            csv_rows(text, name=filename, dialect=dialect), MAX_ROWS + 2 + MAX_COMMENT_LINES
        )
        table = [[c.strip() for c in row] for row in rows_read]
    else:
        raise InputError(_("give a .csv or .xlsx file"), where=filename)
    start = 0
    while (
        start < len(table)
        and start < MAX_COMMENT_LINES
        and (_is_comment(table[start]) or not any(str(c).strip() for c in table[start]))
    ):
        start += 1
    if start >= len(table):
        raise InputError(_("the file is empty"), where=filename)
    header = [column_for(h, mapping) for h in table[start]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            _("missing columns: {columns}").format(columns=", ".join(missing)),
            where=f"{filename}, line {start + 1}",
        )
    repeated = sorted({c for c in header if c in COLUMNS and header.count(c) > 1})
    if repeated:
        raise InputError(
            _("more than one column is read as {columns}: name each column once").format(
                columns=", ".join(repeated)
            ),
            where=f"{filename}, line {start + 1}",
        )
    rows = []
    for i, raw in enumerate(table[start + 1 :], start=start + 2):
        if not any(str(c).strip() for c in raw if c is not None):
            continue
        row = {h: (raw[j] if j < len(raw) else "") for j, h in enumerate(header) if h in COLUMNS}
        if _unfilled(row):
            if skipped is not None:
                skipped.append(i)
            continue
        rows.append((i, row))
    if not rows:
        raise InputError(_("the file has a header but no data rows"), where=filename)
    if len(rows) > MAX_ROWS:
        raise InputError(_("more than {n} rows: split the file").format(n=MAX_ROWS), where=filename)
    return rows


# 2024/06/01, 2024/6/1 10:30 or 2024/06/01 10:30:15, as Excel in Japan writes dates as text.
_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
NOON = dt.time(12, 0)


def _slashed(text: str) -> dt.datetime | None:
    found = _SLASHED.match(text)
    if not found:
        return None
    year, month, day, hour, minute, second = found.groups()
    try:
        if hour is None:
            return dt.datetime.combine(dt.date(int(year), int(month), int(day)), NOON)
        return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None


def _tested_at(value) -> dt.datetime:
    """The moment a test was done, in the facility's zone when the file gives none; a date
    without a time is noon that day (NOON), so the local date is always the one written."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, NOON)
    else:
        text = str(value or "").strip()
        try:
            parsed = parse_datetime(text.replace(" ", "T", 1)) if text else None
        except ValueError:  # e.g. 2024-02-30T10:00: a date that does not exist
            parsed = None
        if parsed is None and text:
            try:
                day = parse_date(text)
            except ValueError:
                day = None
            parsed = dt.datetime.combine(day, NOON) if day else _slashed(text)
        if parsed is None:
            raise InputError(
                _(
                    "not a date and time (use 2024-06-01T10:30, 2024/06/01 10:30 or 2024-06-01): {value}"
                ).format(value=text or _("(empty)"))
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


def _map_rows(
    actor, rows: list[tuple[int, dict]], errors: list[RowError], only_lot: Lot | None = None
) -> list[_Entry]:
    """Find each row's lot, attribute and analyst and read its test time; a row that names what
    does not exist, or repeats an earlier row's lot and attribute, or (importing on a lot's page,
    `only_lot`) names another lot, is an error of its own."""
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
        elif only_lot is not None and lot.pk != only_lot.pk:
            message = _("this import is for lot {lot}; the row names lot {other}").format(
                lot=only_lot.number, other=lot.number
            )
            errors.append(RowError(number, "lot", message))
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


def _qc_entry(entry: _Entry, report: ImportReport) -> QCEntry:
    # The value cell's text goes to the QC service as written: how it becomes a number (and what
    # a censored "<0.05" means) is the service's rule, the same for the form and the import.
    return QCEntry(
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
        # the run controls of a sterility, endotoxin or mycoplasma result (services/microbiology.py)
        controls={key: entry.cells.get(key) for key in CONTROL_COLUMNS},
    )


def _refusal(entries: list[_Entry], index: int, exc: Exception) -> RowError:
    message = getattr(exc, "message", None) or str(exc)
    return RowError(entries[index].row, _column_of(exc), message)


def _record_entries(actor, entries: list[_Entry], report: ImportReport) -> None:
    """Record every entry through `record_qc_results` in one transaction, each row's refusal kept
    with its row and column; any error (here or from reading) rolls every row back."""
    try:
        with transaction.atomic():
            try:
                results = record_qc_results(actor=actor, entries=[_qc_entry(e, report) for e in entries])
            except QCEntriesRefused as refused:
                for index, exc in refused.refusals:
                    report.errors.append(_refusal(entries, index, exc))
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
                    **({"mapping": report.mapping} if report.mapping else {}),
                    **({"skipped": report.skipped} if report.skipped else {}),
                },
            )
    except _Rollback:
        report.created = []
        report.errors.sort(key=lambda e: e.row or 0)  # stable: a row's errors keep their order
        _record_refusal(actor, report)


def _read(actor, report: ImportReport, data: bytes, mapping, lot) -> list[_Entry] | None:
    """The file's rows mapped to lots, attributes and analysts (row errors into the report), or
    None when the file itself cannot be read (its error in the report)."""
    try:
        rows = read_rows(
            report.filename, data, mapping=mapping.columns if mapping else None, skipped=report.skipped
        )
    except InputError as exc:
        report.errors.append(
            RowError(None, None, exc.message if not exc.where else f"{exc.where}: {exc.message}")
        )
        return None
    report.rows = len(rows)
    report.preview = [PreviewRow(number, row) for number, row in rows]
    return _map_rows(actor, rows, report.errors, only_lot=lot)


def _kept(actor, filename: str, data: bytes, mapping) -> ImportReport:
    require(actor, "lots.import_qc_results")
    kept = keptfiles.keep_import(filename, data)  # above EVQMS_UPLOAD_LIMIT_MB: refused, nothing kept
    return ImportReport(
        filename=kept.original_name,
        sha256=kept.sha256,
        stored_as=kept.name,
        mapping=mapping.name if mapping else "",
    )


def import_qc_results(
    *, actor, filename: str, data: bytes, mapping=None, lot: Lot | None = None, previewed: str = ""
) -> ImportReport:
    """Import every row or none; the report lists each problem by row and column. The file is kept
    (`keptfiles.keep_import`) whatever the outcome; each result is judged by `record_qc_result`.

    `mapping` (a `QCColumnMapping`) names the file's headers; `lot` limits the import to one lot's
    rows; `previewed` is the sha256 of the file a dry run showed: other bytes are refused."""
    if previewed and previewed != sha256_hex(data):
        raise InputError(
            _("the file is not the one previewed: preview it again before importing"), where=filename
        )
    report = _kept(actor, filename, data, mapping)
    entries = _read(actor, report, data, mapping, lot)
    if entries is None:
        _record_refusal(actor, report)
        return report
    _record_entries(actor, entries, report)
    return report


def preview_qc_import(
    *, actor, filename: str, data: bytes, mapping=None, lot: Lot | None = None
) -> ImportReport:
    """The dry run of `import_qc_results`: each row as it would be stored, or its errors, judged by
    the same rules, with nothing recorded but the kept file and an audit event naming it (so that
    the file a confirmation imports is the one that was shown)."""
    report = _kept(actor, filename, data, mapping)
    report.dry_run = True
    entries = _read(actor, report, data, mapping, lot)
    if entries:
        judged = check_qc_results(actor=actor, entries=[_qc_entry(e, report) for e in entries])
        by_row = {p.row: p for p in report.preview}
        for index, outcome in enumerate(judged):
            if isinstance(outcome, Exception):
                report.errors.append(_refusal(entries, index, outcome))
            else:
                by_row[entries[index].row].result = outcome[0]
    report.errors.sort(key=lambda e: e.row or 0)
    with transaction.atomic():
        record_event(
            actor=actor,
            action="qc_result.import_preview",
            object_type="qc_import",
            object_id=report.sha256[:16],
            after={
                "filename": report.filename,
                "sha256": report.sha256,
                "stored_as": report.stored_as,
                "rows": report.rows,
                "error_count": len(report.errors),
                **({"mapping": report.mapping} if report.mapping else {}),
            },
        )
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
