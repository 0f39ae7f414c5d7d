"""The landscape lists' columns (evqms.core.listing): the trials and the clinic-survey results as
their pages show them (the category or decision filter applied), sorted and exported.

`trials.csv` and `clinics.csv` stay what they are: the survey's own reports, byte for byte what
`evqms landscape` writes (machine-readable codes), which the published figures are checked against."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr
from evqms.landscape.models import CATEGORY_CHOICES, DECISION_CHOICES


def _category(row):
    shown = str(dict(CATEGORY_CHOICES).get(row["category"], row["category"]))
    return f"{shown} ({_('manual')})" if row.get("rule") == "override" else shown


# The rows are the as-of report's trial dicts, sorted in Python.
TRIALS = Listing(
    "ev-trials",
    (
        Column("nct", "NCT", attr("nct_id")),
        Column("title", _("Title"), attr("title")),
        Column("phase", _("Phase"), attr("phase")),
        Column("category", _("Category"), _category),
        Column("reason", _("Reason"), attr("reason")),
    ),
)


def _decision(row):
    shown = str(dict(DECISION_CHOICES).get(row.effective, row.effective))
    return f"{shown} ({_('reviewed')})" if row.review_decision else shown


def _reason(row):
    reason = row.reason_ja if get_language() == "ja" and row.reason_ja else row.reason
    if row.review_decision:
        reason = f"{reason} / {row.review_who}: {row.review_reason}"
    return reason


def _institution(row):
    return " ".join(
        part for part in (row.institution_name, f"({row.institution})" if row.institution else "") if part
    )


CLINIC_RESULTS = Listing(
    "clinic-survey",
    (
        Column("decision", _("Decision"), _decision, "effective"),
        Column("url", "URL", attr("url"), "url"),
        Column("reason", _("Reason"), _reason),
        Column("sentence", _("Deciding sentence"), attr("sentence"), "sentence"),
        Column("institution", _("Institution"), _institution, ("institution_name", "institution")),
    ),
)
