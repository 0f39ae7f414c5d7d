"""Recall exports: every recipient (administrations and shipped units with their outcome) as CSV
(UTF-8 with BOM, opens in Excel; times ISO 8601 with the local offset) and as PDF (WeasyPrint with
the project's embedded Japanese font; times local with their zone)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone

from evqms.core import csvsafe
from evqms.core.pdf import FONT_FAMILY, html_to_pdf
from evqms.core.timefmt import display_local, iso_local
from evqms.i18n import _
from evqms.trace.models import Recall
from evqms.trace.selectors.held_stock import destructions
from evqms.trace.selectors.recalls import recall_contents, recall_recipients


def _headers() -> list[str]:
    return [
        _("Recall"),
        _("Lot"),
        _("Type"),
        _("Reference"),
        _("Date"),
        _("Recipient"),
        _("Address / site"),
        _("Physician / contact"),
        _("Aliquots"),
        _("Route"),
        _("Unit outcome"),
        _("Confirmed by"),
        _("Confirmed at"),
        _("Evidence"),
    ]


def recall_csv(recall: Recall, *, patient_codes: bool = True) -> bytes:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\r\n")  # formula injection neutralised
    writer.writerow(_headers())
    for r in recall_recipients(recall, patient_codes=patient_codes):
        writer.writerow(
            [
                recall.number,
                recall.lot.number,
                r["kind_text"],
                r["reference"],
                iso_local(r["at"]),
                r["recipient"],
                r["place"],
                r["contact"],
                " ".join(r["aliquots"]),
                r["route"],
                r["outcome_text"],
                r["confirmed_by"],
                iso_local(r["confirmed_at"]),
                r["note"],
            ]
        )
    # Units kept in-house and destroyed under the recall: part of its record of what became of the lot.
    for d in destructions(recall):
        writer.writerow(
            [
                recall.number,
                recall.lot.number,
                _("Destroyed in-house"),
                d.aliquot.container_id,
                iso_local(d.destroyed_at),
                "",
                d.location,
                "",
                d.aliquot.container_id,
                "",
                _("Destroyed"),
                d.signature.printed_name,
                iso_local(d.destroyed_at),
                d.reason,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def recall_pdf(recall: Recall, *, patient_codes: bool = True) -> bytes:
    contents = recall_contents(recall, patient_codes=patient_codes)
    rows = [
        {**r, "at_text": display_local(r["at"]), "confirmed_at_text": display_local(r["confirmed_at"])}
        for r in contents["rows"]
    ]
    signature = recall.signature
    html = render_to_string(
        "trace/recall_pdf.html",
        {
            "recall": recall,
            "rows": rows,
            "effectiveness": contents["effectiveness"],
            "held": contents["held"],
            "destroyed": [{"d": d, "at_text": display_local(d.destroyed_at)} for d in contents["destroyed"]],
            "font_family": FONT_FAMILY,
            "initiated_at": display_local(recall.initiated_at),
            "closed_at": display_local(recall.closed_at),
            "generated_at": display_local(timezone.now()),
            "signature": signature,
            "signed_at": display_local(signature.signed_at),
        },
    )
    return html_to_pdf(html)
