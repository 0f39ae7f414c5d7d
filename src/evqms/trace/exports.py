"""Recall exports: the recipients as CSV (UTF-8 with BOM, opens in Excel) and as PDF (WeasyPrint, IPAex font)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from evqms.errors import EvqmsError
from evqms.i18n import _
from evqms.trace.models import Recall

JAPANESE_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")


def _headers() -> list[str]:
    return [
        _("Recall"),
        _("Lot"),
        _("Administration"),
        _("Administered at"),
        _("Patient"),
        _("Physician"),
        _("Aliquots"),
        _("Route"),
    ]


def recall_csv(recall: Recall) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_headers())
    for r in recall.recipients:
        writer.writerow(
            [
                recall.number,
                recall.lot.number,
                r["administration"],
                r["administered_at"] or "",
                r["patient"],
                r["physician"],
                " ".join(r["aliquots"]),
                r["route"] or "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def recall_pdf(recall: Recall) -> bytes:
    if not JAPANESE_FONT.is_file():
        raise EvqmsError(
            _("the Japanese font {path} is missing: install the Debian package fonts-ipaexfont").format(
                path=JAPANESE_FONT
            )
        )
    from weasyprint import HTML

    html = render_to_string(
        "trace/recall_pdf.html",
        {
            "recall": recall,
            "recipients": recall.recipients,
            "font_url": JAPANESE_FONT.as_uri(),
            "generated_at": timezone.localtime(),
            "signature": recall.signature,
        },
    )
    return HTML(string=html, base_url=str(JAPANESE_FONT.parent)).write_pdf()
