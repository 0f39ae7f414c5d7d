"""One way for a list page to sort by column and to export what it shows (CSV and Excel).

A list page declares its columns once (`Column`: key, translatable label, how to read the value
for the export, the field it sorts by) in a `Listing`, and its view does:

    table = LOTS.table(request, selectors.lot_list(**filters))
    if table.export_format:
        return table.export()
    page = Paginator(table.rows, 50).get_page(request.GET.get("page"))
    ... render(..., {"page": page, "table": table})

and its template replaces its header row with `{% include "core/_list_head.html" %}` and adds
`{% include "core/_list_export.html" %}` under its filters. What the list and its export share:

- `?sort=<key>` or `?sort=-<key>`, whitelisted by the columns; an unknown key is ignored on the
  page with a notice naming it (never a 500) and refused with 400 by an export, so a file never
  comes out in an order other than the one asked for. The page's own order follows the sorted
  column as a tie-break, then the primary key, so two runs give the same order on SQLite and
  PostgreSQL; empty values sort last in both directions on both databases.
- `?format=csv` / `?format=xlsx`: the same queryset (so the same filters and the same role
  checks: the view has already called `require`, and a column a role may not read is left out of
  the page and the file alike), all rows rather than the page shown (the link says so), read in
  chunks so the number of queries does not grow with the rows.
- headers in the page's language; times in the facility's zone, with the zone named in the header
  (`Recorded (Asia/Tokyo)`); numbers as pages write them (`core.display.format_number`).
- CSV: UTF-8 with a byte-order mark, because Excel (the spreadsheet most users open it with)
  reads a CSV without one in the system's code page and garbles Japanese; every cell through
  `core.csvsafe` (formula injection). Excel: openpyxl; every text cell stored as text, never as a
  formula, and characters a workbook cannot hold (control characters) dropped.
- the file is named after the list and the local day: `lots-2026-12-06.csv`.

An export is a read like the page it comes from: it changes nothing and writes no audit event
(the audit trail's own export is audited because it is the extract of the record of truth that an
inspector receives, with the chain's head hash).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from evqms.core import csvsafe, timefmt
from evqms.core.display import format_number

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One column of a list: `value(row)` is what the export writes (and what a list that is not a
    queryset sorts by); `sort` the model field(s) a queryset is ordered by, None when the column
    cannot be sorted; `show(user)` False leaves the column out for that user, page and export."""

    key: str
    label: Any  # a lazy translation
    value: Callable[[Any], Any]
    sort: str | tuple[str, ...] | None = None
    show: Callable[[Any], bool] | None = None

    @property
    def sort_fields(self) -> tuple[str, ...]:
        if self.sort is None:
            return ()
        return (self.sort,) if isinstance(self.sort, str) else tuple(self.sort)

    def visible_to(self, user) -> bool:
        return self.show is None or bool(self.show(user))


def attr(path: str) -> Callable[[Any], Any]:
    """A value accessor following `a.b.c` (None anywhere on the way gives None); a method at the
    end (get_status_display) is called."""
    parts = path.split(".")

    def read(row):
        value = row
        for part in parts:
            value = row_get(value, part)
            if value is None:
                return None
        return value() if callable(value) else value

    return read


def row_get(row, name: str):
    if isinstance(row, dict):
        return row.get(name)
    return getattr(row, name, None)


@dataclass(frozen=True)
class Listing:
    """A list page's columns; `name` names the exported file (ASCII: `lots`, `aliquots`).
    `sortable=False` for a list whose order carries meaning (a tree): exported, never sorted.
    `prefix` names the query parameters of a second list on one page (`holds-sort`,
    `holds-format`), so each list sorts and exports on its own."""

    name: str
    columns: tuple[Column, ...]
    sortable: bool = True
    prefix: str = ""

    def __post_init__(self):
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"listing {self.name}: duplicate column keys")

    def table(self, request, rows) -> Table:
        return Table(self, request, rows)


class Table:
    """A list as one request asks for it: its visible columns, its rows sorted, what to export."""

    def __init__(self, listing: Listing, request, rows):
        self.listing = listing
        self.request = request
        user = getattr(request, "user", None)
        self.columns = [c for c in listing.columns if c.visible_to(user)]
        self.sort_name, self.format_name = listing.prefix + "sort", listing.prefix + "format"
        asked = (request.GET.get(self.sort_name) or "").strip()
        self.sort_key, self.descending, self.notice, self.bad_sort = "", False, "", ""
        if asked:
            key = asked[1:] if asked.startswith("-") else asked
            column = next((c for c in self.columns if c.key == key), None)
            if column is not None and self._sortable(column, rows):
                self.sort_key, self.descending = key, asked.startswith("-")
            else:
                self.bad_sort = asked
                self.notice = _(
                    'This list cannot be sorted by "{key}": it is shown in its usual order.'
                ).format(key=asked[:40])
        fmt = (request.GET.get(self.format_name) or "").strip().lower()
        self.export_format = fmt if fmt else ""
        self.bad_format = fmt if fmt and fmt not in FORMATS else ""
        self.source_is_queryset = isinstance(rows, QuerySet)
        self.rows = self._sorted(rows)

    # -- sorting ---------------------------------------------------------------------------------
    def _sortable(self, column: Column, rows=None) -> bool:
        if not self.listing.sortable:
            return False
        is_queryset = isinstance(rows, QuerySet) if rows is not None else self.source_is_queryset
        return column.sort is not None or not is_queryset

    def _column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def _sorted(self, rows):
        column = self._column(self.sort_key) if self.sort_key else None
        if column is None:
            return rows
        if isinstance(rows, QuerySet):
            order = [
                F(name).desc(nulls_last=True) if self.descending else F(name).asc(nulls_last=True)
                for name in column.sort_fields
            ]
            usual = list(rows.query.order_by) or list(rows.model._meta.ordering or [])
            return rows.order_by(*order, *usual, "-pk" if self.descending else "pk")

        present = [r for r in rows if column.value(r) not in (None, "")]
        empty = [r for r in rows if column.value(r) in (None, "")]
        present.sort(key=lambda r: _comparable(column.value(r)), reverse=self.descending)
        return present + empty

    @property
    def sort_param(self) -> str:
        """The sort as the query string writes it, for a filter form to carry it along."""
        if not self.sort_key:
            return ""
        return ("-" if self.descending else "") + self.sort_key

    def sortable_keys(self) -> list[str]:
        return [c.key for c in self.columns if self._sortable(c)]

    # -- what the template reads -----------------------------------------------------------------
    def _query(self, **changes) -> str:
        params = self.request.GET.copy()
        for name in ("page", "format", self.format_name):
            params.pop(name, None)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        return "?" + params.urlencode()

    @property
    def headers(self) -> list[dict]:
        out = []
        for column in self.columns:
            sortable = self._sortable(column)
            current = column.key == self.sort_key
            if current:
                aria = "descending" if self.descending else "ascending"
                next_sort = column.key if self.descending else "-" + column.key
            else:
                aria, next_sort = "", column.key
            out.append(
                {
                    "key": column.key,
                    "label": column.label,
                    "url": self._query(**{self.sort_name: next_sort}) if sortable else "",
                    "aria_sort": aria,
                    "arrow": ("▼" if self.descending else "▲") if current else "",
                }
            )
        return out

    @property
    def query(self) -> str:
        """The query string without the page: pager links add `&page=N` to it."""
        return self._query()

    @property
    def csv_url(self) -> str:
        return self._query(**{self.format_name: "csv"})

    @property
    def xlsx_url(self) -> str:
        return self._query(**{self.format_name: "xlsx"})

    # -- the export ------------------------------------------------------------------------------
    def header_labels(self) -> list[str]:
        zone = settings.TIME_ZONE
        labels = []
        for column in self.columns:
            label = str(column.label)
            if getattr(column.value, "is_time", False):
                label = _("{label} ({zone})").format(label=label, zone=zone)
            labels.append(label)
        return labels

    def _iter_rows(self) -> Iterable:
        if isinstance(self.rows, QuerySet):
            return self.rows.iterator(chunk_size=CHUNK)
        return self.rows

    def export(self) -> HttpResponse:
        if self.bad_format:
            return _refusal(
                _('Unknown export format "{fmt}": use csv or xlsx.').format(fmt=self.bad_format[:20])
            )
        if self.bad_sort:
            return _refusal(
                _('This list cannot be sorted by "{key}"; columns: {keys}.').format(
                    key=self.bad_sort[:40], keys=", ".join(self.sortable_keys())
                )
            )
        stamp = timezone.localdate().isoformat()
        filename = f"{self.listing.name}-{stamp}.{self.export_format}"
        if self.export_format == "csv":
            response = StreamingHttpResponse(self._csv_chunks(), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(self._xlsx_bytes(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    def cells(self, row) -> list:
        return [export_value(column.value(row)) for column in self.columns]

    def _csv_chunks(self):
        buffer = io.StringIO()
        out = csvsafe.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        buffer.write("\ufeff")
        out.writerow(self.header_labels())
        yield flush()
        for n, row in enumerate(self._iter_rows(), start=1):
            out.writerow([_csv_cell(v) for v in self.cells(row)])
            if n % CHUNK == 0:
                yield flush()
        yield flush()

    def _xlsx_bytes(self) -> bytes:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=self.listing.name[:31])
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)

        def cell(value, header=False):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            c = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                c.data_type = "s"  # text stays text: "=HYPERLINK(...)" is never a formula
            if isinstance(value, dt.datetime):
                c.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, dt.date):
                c.number_format = "yyyy-mm-dd"
            if header:
                c.font = bold
            return c

        sheet.append([cell(label, header=True) for label in self.header_labels()])
        for row in self._iter_rows():
            sheet.append([cell(v) for v in self.cells(row)])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def time_value(accessor: Callable[[Any], Any] | str) -> Callable[[Any], Any]:
    """A column whose value is a stored time: exported in the facility's zone, the zone named in the
    column's header."""
    read = attr(accessor) if isinstance(accessor, str) else accessor

    def value(row):
        return timefmt.to_local(read(row))

    value.is_time = True  # type: ignore[attr-defined]
    return value


def export_value(value):
    """A cell as the export writes it: local naive datetimes (the header names the zone), dates,
    whole numbers as numbers, other numbers as pages write them, yes/no in the page's language."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        local = timefmt.to_local(value)
        return local.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date | int):
        return value
    if isinstance(value, Decimal | float):
        return format_number(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _csv_cell(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _comparable(value):
    if isinstance(value, dt.datetime | dt.date | int | float | Decimal):
        return (0, value)
    return (1, str(value).casefold())


def _refusal(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
