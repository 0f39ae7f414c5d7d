"""The product's evidence summary as issued: a record that the yearly report of a year was
generated and handed on, with the SHA-256 of the file, so its currency can be judged."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.clinical.models import EvidenceReport
from evqms.clinical.records import evidence_report_record
from evqms.core.numbering import next_number
from evqms.dossier.models import Product
from evqms.errors import InputError
from evqms.i18n import _

LANGUAGES = ("ja", "en")


@transaction.atomic
def record_evidence_report(
    *, actor, product: Product, year: int, language: str, sha256: str
) -> EvidenceReport:
    """Record that `product`'s yearly evidence report of `year` in `language` was issued now."""
    require(actor, "clinical.record_safety_report")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= timezone.localdate().year:
        raise InputError(_("the year must lie between 2000 and this year"), where="year")
    if language not in LANGUAGES:
        raise InputError(_("unknown language {lang}; choose ja or en").format(lang=language), where="lang")
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise InputError(_("not a SHA-256 hash"), where="sha256")
    report = EvidenceReport.objects.create(
        number=next_number(EvidenceReport, "ER-", width=5),
        product=product,
        year=year,
        language=language,
        sha256=sha256,
        issued_by=actor,
        issued_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="evidence_report.issue",
        object_type="evidence_report",
        object_id=report.pk,
        after=evidence_report_record(report),
    )
    return report
