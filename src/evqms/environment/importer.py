"""Import environmental-monitoring results from a CSV file: every row or none.

Columns (header row, any order, case-insensitive): point, method, sampled_at (required); state
(at_rest / in_operation, default in_operation), count, exposure_minutes, volume_litres,
particles_per_m3, sampled_by (a user name; default the importer). Each row is recorded as a
result would be from the form (a due sample that day is fulfilled, an action-level result opens
its deviation); every problem is reported with its line and column, and if there is any, nothing
is written. The original file is kept unchanged with its sha256 whatever the outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import keptfiles
from evqms.core.limits import csv_rows, decode_text, sniff_dialect
from evqms.environment import limits as L
from evqms.environment.models import SamplingPoint
from evqms.environment.services import record_result
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _

COLUMNS = (
    "point", "method", "state", "sampled_at", "count", "exposure_minutes", "volume_litres",
    "particles_per_m3", "sampled_by",
)  # fmt: skip
REQUIRED = ("point", "method", "sampled_at")
MAX_ROWS = 5_000


@dataclass
class RowError:
    line: int | None
    column: str | None
    message: str

    def to_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}

    def text(self) -> str:
        where = []
        if self.line is not None:
            where.append(_("line {line}").format(line=self.line))
        if self.column:
            where.append(_('column "{column}"').format(column=self.column))
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class ImportReport:
    filename: str
    sha256: str
    stored_as: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
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


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict]]:
    """(line, {column: text}) for each non-empty data row; the header checked."""
    text = decode_text(data, name=filename, fallback=("cp932",))  # Excel in Japan saves CSV as cp932
    reader = csv_rows(text, name=filename, dialect=sniff_dialect(text.split("\n", 1)[0]))
    header = None
    rows = []
    for raw in reader:
        if not any(cell.strip() for cell in raw):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in raw]
            unknown = [h for h in header if h not in COLUMNS]
            if unknown:
                raise InputError(
                    _("unknown columns: {columns} (known: {known})").format(
                        columns=", ".join(unknown), known=", ".join(COLUMNS)
                    ),
                    where=f"{filename}, line {reader.line_num}",
                )
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise InputError(
                    _("missing columns: {columns}").format(columns=", ".join(missing)),
                    where=f"{filename}, line {reader.line_num}",
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError(_("more than {n} rows: split the file").format(n=MAX_ROWS), where=filename)
        rows.append(
            (reader.line_num, {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header)})
        )
    if header is None:
        raise InputError(_("the file is empty"), where=filename)
    if not rows:
        raise InputError(_("the file has a header but no data rows"), where=filename)
    return rows


def _sampled_at(text: str) -> dt.datetime:
    parsed = parse_datetime(text.replace(" ", "T", 1)) if text else None
    if parsed is None:
        raise InputError(
            _("not a date and time (use 2026-06-01T10:30): {value}").format(value=text or _("(empty)")),
            where="sampled_at",
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _row_arguments(row: dict, points: dict, users: dict) -> dict:
    code = row.get("point", "")
    point = points.get(code.lower())
    if point is None:
        raise InputError(_("unknown sampling point {code}").format(code=code or _("(empty)")), where="point")
    method = row.get("method", "")
    if method not in L.METHODS:
        raise InputError(_("choose one of: {choices}").format(choices=", ".join(L.METHODS)), where="method")
    state = row.get("state") or "in_operation"
    if state not in ("at_rest", "in_operation"):
        raise InputError(_("choose one of: {choices}").format(choices="at_rest, in_operation"), where="state")
    by = row.get("sampled_by", "")
    if by and by not in users:
        raise InputError(_("unknown user {name}").format(name=by), where="sampled_by")
    return {
        "point": point,
        "method": method,
        "occupancy": state,
        "sampled_at": _sampled_at(row.get("sampled_at", "")),
        "count": row.get("count") or None,
        "exposure_minutes": row.get("exposure_minutes") or None,
        "volume_litres": row.get("volume_litres") or None,
        "particles_per_m3": row.get("particles_per_m3") or None,
        "sampled_by": users.get(by),
    }


class _Rollback(Exception):
    pass


def _column(where: str | None) -> str | None:
    where = (where or "").strip()
    return {"occupancy": "state"}.get(where, where) if where in (*COLUMNS, "occupancy") else None


def import_results(*, actor, filename: str, data: bytes) -> ImportReport:
    """Import every row or none; the report names each problem's line and column. The file is kept
    (`keptfiles.keep_import`) whatever the outcome, and each result carries its sha256."""
    require(actor, "environment.record")
    kept = keptfiles.keep_import(filename, data, folder="imports/environment")
    report = ImportReport(filename=kept.original_name, sha256=kept.sha256, stored_as=kept.name)
    try:
        rows = read_rows(report.filename, data)
    except InputError as exc:
        report.errors.append(
            RowError(None, None, f"{exc.where}: {exc.message}" if exc.where else exc.message)
        )
        _record_refusal(actor, report)
        return report
    report.rows = len(rows)
    points = {p.code.lower(): p for p in SamplingPoint.objects.select_related("room")}
    names = {r.get("sampled_by") for _line, r in rows if r.get("sampled_by")}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names, is_active=True)}
    try:
        with transaction.atomic():
            for line, row in rows:
                try:
                    with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                        sample = record_result(
                            actor=actor, import_sha256=kept.sha256, **_row_arguments(row, points, users)
                        )
                    report.created.append(sample.number)
                except InputError as exc:
                    report.errors.append(RowError(line, _column(exc.where), exc.message))
                except RuleViolation as exc:
                    report.errors.append(RowError(line, None, str(exc)))
            if report.errors:
                raise _Rollback
            record_event(
                actor=actor,
                action="em_sample.import",
                object_type="em_import",
                object_id=kept.sha256[:16],
                after={
                    "filename": report.filename,
                    "sha256": kept.sha256,
                    "stored_as": kept.name,
                    "samples": report.created,
                },  # fmt: skip
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
            action="em_sample.import_refused",
            object_type="em_import",
            object_id=report.sha256[:16],
            after={
                "filename": report.filename,
                "sha256": report.sha256,
                "stored_as": report.stored_as,
                "errors": [e.to_dict() for e in report.errors[:50]],
                "error_count": len(report.errors),
            },
        )
