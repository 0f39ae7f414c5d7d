"""What the evidence from every administration says, per product and per lot: the summary
(`summary`), how its figures are written (`text`) and the yearly report (`yearly`)."""

from evqms.reports.evidence.summary import (
    ALPHA,
    CONFIDENCE,
    PER_ADMINISTRATIONS,
    Period,
    find_product,
    product_evidence,
)
from evqms.reports.evidence.text import (
    change_text,
    interval_text,
    p_clause,
    p_text,
    per_administrations_text,
    proportion_text,
    responders_text,
    written,
)
from evqms.reports.evidence.yearly import LANGS, YearlyReport, build_yearly, yearly_context

__all__ = [
    "ALPHA",
    "CONFIDENCE",
    "LANGS",
    "PER_ADMINISTRATIONS",
    "Period",
    "YearlyReport",
    "build_yearly",
    "change_text",
    "find_product",
    "interval_text",
    "p_clause",
    "p_text",
    "per_administrations_text",
    "product_evidence",
    "proportion_text",
    "responders_text",
    "written",
    "yearly_context",
]
