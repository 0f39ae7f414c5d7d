"""A filtered view of the audit trail taken out: CSV (every matching event, streamed, times in ISO
8601 with the offset, formula-safe) and PDF (first page: the filter, the chain verification at
export time, the head hash, when and by whom; then the events)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from itertools import islice

from django.template.loader import render_to_string
from django.utils import timezone

from evqms.audit import keys
from evqms.audit.eventview import compare, rows_for
from evqms.audit.messages import finding_text
from evqms.audit.search import Search
from evqms.core import csvsafe
from evqms.core.pdf import FONT_FAMILY, html_to_pdf
from evqms.core.timefmt import display_local, iso_local
from evqms.i18n import _

CSV_CHUNK = 2000
# A PDF is for reading: past this many events it holds the newest and says the CSV has them all.
PDF_MAX_EVENTS = 2000
# A value longer than this is cut in the PDF's change list (the event page and the CSV have it whole).
PDF_VALUE_CHARS = 1000


def csv_header() -> list[str]:
    return [
        "seq",
        "occurred_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "record",
        "reason",
        "before",
        "after",
        "prev_hash",
        "hash",
    ]


def csv_lines(found: Search) -> Iterator[str]:
    """The CSV, line by line as text: the header, then every event newest first; the records'
    names are looked up per chunk of events, so memory stays flat at any size."""
    buffer = io.StringIO()
    out = csvsafe.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    out.writerow(csv_header())
    yield flush()
    events = found.events.iterator(chunk_size=CSV_CHUNK)
    while chunk := list(islice(events, CSV_CHUNK)):
        names = keys.names_for((e.object_type, e.object_id) for e in chunk)
        for e in chunk:
            out.writerow(
                [
                    e.seq,
                    iso_local(e.occurred_at),
                    e.actor_name,
                    e.action,
                    e.object_type,
                    e.object_id,
                    names.get((e.object_type, e.object_id), ""),
                    e.reason,
                    e.before,
                    e.after,
                    e.prev_hash,
                    e.hash,
                ]
            )
        yield flush()


def _cut(text: str) -> str:
    return text if len(text) <= PDF_VALUE_CHARS else text[:PDF_VALUE_CHARS] + "…"


def pdf_bytes(found: Search, *, verify, exported_by, exported_at, total: int) -> bytes:
    """The PDF of `found` in the active language. `verify` is the chain's VerifyResult at export."""
    events = list(found.events[:PDF_MAX_EVENTS])
    rows = []
    for row in rows_for(events):
        changes = [
            {"name": f.name, "before": _cut(f.before), "after": _cut(f.after), "state": f.state}
            for f in compare(row.event.before, row.event.after)
            if f.changed
        ]
        rows.append({"row": row, "changes": changes})
    html = render_to_string(
        "audit/trail_pdf.html",
        {
            "font_family": FONT_FAMILY,
            "filters": found.filter.describe(),
            "notes": found.notes,
            "verify": verify,
            "verify_messages": [finding_text(f) for f in verify.findings],
            "exported_by": exported_by,
            "exported_at": display_local(exported_at or timezone.now(), seconds=True),
            "zone": timezone.get_current_timezone_name(),
            "rows": rows,
            "total": total,
            "shown": len(rows),
            "cut": total > len(rows),
            "value_chars": PDF_VALUE_CHARS,
        },
    )
    return html_to_pdf(html)


def export_title() -> str:
    return _("Audit trail extract")
