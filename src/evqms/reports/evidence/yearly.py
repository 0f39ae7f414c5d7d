"""The yearly evidence report of a product (PDF, Japanese or English)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone, translation

from evqms.core.pdf import FONT_FAMILY, html_to_pdf
from evqms.core.timefmt import display_local
from evqms.dossier.models import Product
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots.models import Deviation
from evqms.reports.coa import css_string
from evqms.reports.evidence.summary import Period, product_evidence  # noqa: F401
from evqms.reports.evidence.text import written  # noqa: F401
from evqms.trace.models import Recall

# --- the yearly report (PDF) --------------------------------------------------------------------

LANGS = ("ja", "en")


def _deviations(product: Product, period: Period) -> list[dict]:
    """The deviations naming a lot of the product, each with the product's lots it names."""
    start, end = period.bounds()
    deviations = list(
        Deviation.objects.filter(
            pk__in=Deviation.affected_lots.through.objects.filter(lot__product=product).values(
                "deviation_id"
            ),
            opened_at__gte=start,
            opened_at__lt=end,
        )
        .order_by("opened_at", "id")
        .values("pk", "number", "source", "description", "status", "opened_at", "closed_at")
    )
    lots: dict[int, list[str]] = {}
    for deviation_id, number in (
        Deviation.affected_lots.through.objects.filter(
            deviation_id__in=[d["pk"] for d in deviations], lot__product=product
        )
        .order_by("lot__number")
        .values_list("deviation_id", "lot__number")
    ):
        lots.setdefault(deviation_id, []).append(number)
    return [
        {
            **d,
            "lots": ", ".join(lots.get(d["pk"], ())),
            "opened_shown": display_local(d["opened_at"]),
            "closed_shown": display_local(d["closed_at"]),
        }
        for d in deviations
    ]


def _recalls(product: Product, period: Period) -> list[dict]:
    start, end = period.bounds()
    return [
        {
            **r,
            "initiated_shown": display_local(r["initiated_at"]),
            "closed_shown": display_local(r["closed_at"]),
        }
        for r in Recall.objects.filter(lot__product=product, initiated_at__gte=start, initiated_at__lt=end)
        .order_by("initiated_at", "id")
        .values("number", "lot__number", "reason", "status", "initiated_at", "closed_at")
    ]


@dataclass(frozen=True)
class YearlyReport:
    product_code: str
    year: int
    lang: str
    html: str

    def pdf(self) -> bytes:
        return html_to_pdf(self.html)

    @property
    def filename(self) -> str:
        return f"evidence-{self.product_code}-{self.year}-{self.lang}.pdf"


def yearly_context(product: Product, period: Period, lang: str) -> dict:
    data = written(product_evidence(product, period=period), lang)
    sources = dict(_deviation_sources())
    title = _("Yearly evidence report")
    return {
        **data,
        "lang": lang,
        "year": period.start.year,
        "period_text": f"{period.start.isoformat()} – {(period.end - dt.timedelta(days=1)).isoformat()}",
        "deviations": [
            {**d, "source_label": sources.get(d["source"], d["source"])} for d in _deviations(product, period)
        ],
        "recalls": _recalls(product, period),
        "font_family": FONT_FAMILY,
        "footer_css": css_string(f"{product.code} · {title} {period.start.year}"),
        "generated": display_local(timezone.now()),
    }


def _deviation_sources():
    return [(code, str(label)) for code, label in Deviation.SOURCES]


def build_yearly(product: Product, period: Period, lang: str = "ja") -> YearlyReport:
    """The product's yearly report over `period` in `lang`."""
    if lang not in LANGS:
        raise InputError(_("unknown language {lang}; choose ja or en").format(lang=lang), where="lang")
    with translation.override(lang):
        html = render_to_string("reports/evidence_yearly.html", yearly_context(product, period, lang))
    return YearlyReport(product_code=product.code, year=period.start.year, lang=lang, html=html)
