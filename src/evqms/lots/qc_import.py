"""Import QC results from a CSV or Excel file: every row or none.

Columns (header row, any order, case-insensitive): lot, attribute, value, unit, text_value,
method, tested_at, analyst (optional: the analyst who performed the test, default the importer).
Every problem is reported with its row (the file's line / sheet row) and column; if there is
any, nothing is written. The original file is kept unchanged under EVQMS_HOME/files/imports/
with its sha256, whatever the outcome, and each imported result points at it.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.canonical import sha256_hex
from evqms.core.limits import check_size, check_zip_expansion, csv_rows, decode_text, sniff_dialect
from evqms.errors import EvqmsError, InputError, PermissionDenied, RuleViolation
from evqms.i18n import _
from evqms.lots.models import Lot, QCResult

COLUMNS = ("lot", "attribute", "value", "unit", "text_value", "method", "tested_at", "analyst")
REQUIRED = ("lot", "attribute", "tested_at")
ALIASES = {
    "lot_number": "lot",
    "attribute_code": "attribute",
    "code": "attribute",
    "text": "text_value",
    "result": "text_value",
    "date": "tested_at",
    "tested_on": "tested_at",
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


# --- storing the original -----------------------------------------------------------------


def store_original(filename: str, data: bytes) -> tuple[str, str]:
    """Keep the file unchanged as imports/<sha256 prefix>-<name>; returns (stored name, sha256)."""
    digest = sha256_hex(data)
    base = filename.replace("\\", "/").rsplit("/", 1)[-1] or "import"
    name = f"imports/{digest[:16]}-{base}"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as fh:
            if sha256_hex(fh.read()) == digest:
                return name, digest
    stored = default_storage.save(name, ContentFile(data))
    return stored, digest


# --- the import ---------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _column_of(exc: EvqmsError) -> str | None:
    where = getattr(exc, "where", None) or ""
    for column in COLUMNS:
        if where == column or where.startswith(column):
            return column
    return None


def import_qc_results(*, actor, filename: str, data: bytes) -> ImportReport:
    """Import every row or none; the report lists each problem by row and column."""
    from evqms.lots import services

    require(actor, "lots.import_qc_results")
    check_size(len(data), name=filename)  # above EVQMS_UPLOAD_LIMIT_MB: refused, nothing kept
    stored, digest = store_original(filename, data)
    report = ImportReport(filename=filename.rsplit("/", 1)[-1], sha256=digest, stored_as=stored)
    try:
        rows = read_rows(report.filename, data)
    except InputError as exc:
        report.errors.append(
            RowError(None, None, exc.message if not exc.where else f"{exc.where}: {exc.message}")
        )
        _record_refusal(actor, report)
        return report
    report.rows = len(rows)
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in={str(r.get("analyst") or "").strip() for _n, r in rows} - {""}
        )
    }
    lots = {
        lot.number: lot
        for lot in Lot.objects.filter(
            number__in={str(r.get("lot") or "").strip() for _n, r in rows}
        ).select_related("specification")
    }
    seen: dict[tuple[str, str], int] = {}
    prepared = []
    for number, row in rows:
        err = len(report.errors)
        lot_number, code = str(row.get("lot") or "").strip(), str(row.get("attribute") or "").strip()
        lot = lots.get(lot_number)
        if not lot_number:
            report.errors.append(RowError(number, "lot", _("a lot number is required")))
        elif lot is None:
            report.errors.append(RowError(number, "lot", _("unknown lot {lot}").format(lot=lot_number)))
        elif lot.status not in services.QC_OPEN_STATUSES:
            report.errors.append(
                RowError(
                    number,
                    "lot",
                    _("lot {lot} is {status}: no results can be added").format(
                        lot=lot_number, status=lot.get_status_display()
                    ),
                )
            )
        attribute = None
        if lot is not None:
            attribute = lot.specification.attributes.filter(code=code).first() if code else None
            if attribute is None:
                report.errors.append(
                    RowError(
                        number,
                        "attribute",
                        _("unknown attribute {code} in specification v{version}").format(
                            code=code or _("(empty)"), version=lot.specification.version
                        ),
                    )
                )
        key = (lot_number, code)
        if key in seen:
            report.errors.append(
                RowError(number, "attribute", _("duplicate of row {row}").format(row=seen[key]))
            )
        else:
            seen[key] = number
        if (
            lot is not None
            and attribute is not None
            and lot.status in services.QC_OPEN_STATUSES
            and QCResult.objects.filter(lot=lot, attribute=attribute, status="valid").exists()
        ):
            report.errors.append(
                RowError(
                    number,
                    "attribute",
                    _("lot {lot} already has a valid {code} result (record a retest in the lot page)").format(
                        lot=lot_number, code=code
                    ),
                )
            )
        try:
            tested_at = _tested_at(row.get("tested_at"))
        except InputError as exc:
            report.errors.append(RowError(number, "tested_at", exc.message))
            tested_at = None
        analyst = actor
        name = str(row.get("analyst") or "").strip()
        if name:
            analyst = users.get(name)
            if analyst is None:
                report.errors.append(RowError(number, "analyst", _("unknown user {name}").format(name=name)))
            elif not analyst.has_perm("lots.record_qc_result"):
                report.errors.append(
                    RowError(number, "analyst", _("{name} is not a QC analyst").format(name=name))
                )
        if attribute is not None:
            try:
                services.evaluate_entry(
                    attribute=attribute,
                    value=row.get("value") or None,
                    unit=str(row.get("unit") or ""),
                    text_value=str(row.get("text_value") or ""),
                )
            except InputError as exc:
                report.errors.append(RowError(number, _column_of(exc) or "value", exc.message))
        if len(report.errors) == err:
            prepared.append((number, lot, attribute, row, tested_at, analyst))
    if report.errors:
        _record_refusal(actor, report)
        return report
    try:
        with transaction.atomic():
            for number, lot, attribute, row, tested_at, analyst in prepared:
                try:
                    result = services.record_qc_result(
                        actor=actor,
                        lot=lot,
                        attribute=attribute,
                        value=row.get("value") or None,
                        unit=str(row.get("unit") or ""),
                        text_value=str(row.get("text_value") or ""),
                        method=str(row.get("method") or ""),
                        tested_at=tested_at,
                        analyst=analyst,
                        stored_file_name=stored,
                        stored_file_sha256=digest,
                    )
                    report.created.append(result.pk)
                except (InputError, RuleViolation, PermissionDenied) as exc:
                    column = _column_of(exc) if isinstance(exc, InputError) else None
                    report.errors.append(RowError(number, column, getattr(exc, "message", None) or str(exc)))
            if report.errors:
                raise _Rollback
            record_event(
                actor=actor,
                action="qc_result.import",
                object_type="qc_import",
                object_id=digest[:16],
                after={
                    "filename": report.filename,
                    "sha256": digest,
                    "stored_as": stored,
                    "rows": report.rows,
                    "results": report.created,
                },
            )
    except _Rollback:
        report.created = []
        _record_refusal(actor, report)
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
