"""The infectious-marker panel and donors: tests, eligibility, corrections."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.concurrency import require_unchanged
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.dossier import models as m
from evqms.dossier import records
from evqms.dossier.services._common import _choice
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


@transaction.atomic
def add_infectious_marker(*, actor, code: str, name: str, required: bool = True) -> m.InfectiousMarker:
    require(actor, "dossier.manage_marker_panel")
    code = required_text(code, "code").lower()
    if m.InfectiousMarker.objects.filter(code=code).exists():
        raise InputError(_("{value} already exists").format(value=code), where="code")
    marker = m.InfectiousMarker.objects.create(code=code, name=required_text(name, "name"), required=required)
    record_event(
        actor=actor,
        action="marker.create",
        object_type="infectious_marker",
        object_id=marker.pk,
        after=records.marker_record(marker),
    )
    return marker


@transaction.atomic
def create_donor(
    *, actor, code: str, consent_on: dt.date | None = None, consent_document=None, eligibility_notes: str = ""
) -> m.Donor:
    """A pseudonymised donor: a code, never a name. Eligibility starts as pending."""
    require(actor, "dossier.manage_donor")
    code = identifiers.clean("donor", code, field="code")
    identifiers.require_unique("donor", code, field="code")
    if consent_on is not None and consent_on > timezone.localdate():
        raise InputError(_("the date is in the future"), where="consent_on")
    donor = m.Donor.objects.create(
        code=code,
        consent_on=consent_on,
        consent_document=consent_document,
        eligibility_notes=eligibility_notes or "",
    )
    record_event(
        actor=actor,
        action="donor.create",
        object_type="donor",
        object_id=donor.pk,
        after=records.donor_record(donor),
    )
    return donor


@transaction.atomic
def record_donor_test(
    *, actor, donor: m.Donor, marker: m.InfectiousMarker, result: str, tested_on: dt.date, method: str = ""
) -> m.DonorTestResult:
    require(actor, "dossier.manage_donor")
    _choice(result, m.DonorTestResult.RESULTS, "result")
    if tested_on is None:
        raise InputError(_("this field is required"), where="tested_on")
    if tested_on > timezone.localdate():
        raise InputError(_("the date is in the future"), where="tested_on")
    if m.DonorTestResult.objects.filter(donor=donor, marker=marker, tested_on=tested_on).exists():
        raise InputError(_("a result for this marker and date is already recorded"), where="tested_on")
    row = m.DonorTestResult.objects.create(
        donor=donor, marker=marker, result=result, tested_on=tested_on, method=method or ""
    )
    record_event(
        actor=actor,
        action="donor.test_result",
        object_type="donor",
        object_id=donor.pk,
        after=records.donor_test_record(row),
    )
    if result != "negative" and donor.eligibility == "eligible":
        # A reactive result withdraws eligibility at once; QA decides again after investigation.
        before = records.donor_record(donor)
        donor.eligibility = "pending"
        donor.save(update_fields=["eligibility"])
        record_event(
            actor=actor,
            action="donor.eligibility",
            object_type="donor",
            object_id=donor.pk,
            before=before,
            after=records.donor_record(donor),
            reason=_("non-negative result for {marker}").format(marker=marker.name),
        )
    return row


def panel_gaps(donor: m.Donor) -> list[str]:
    """Required markers whose latest result is missing or not negative (names)."""
    latest: dict[int, m.DonorTestResult] = {}
    for r in donor.test_results.select_related("marker").order_by("tested_on", "id"):
        latest[r.marker_id] = r
    gaps = []
    for marker in m.InfectiousMarker.objects.filter(required=True).order_by("code"):
        r = latest.get(marker.pk)
        if r is None:
            gaps.append(_("{marker}: not tested").format(marker=marker.name))
        elif r.result != "negative":
            gaps.append(_("{marker}: {result}").format(marker=marker.name, result=r.get_result_display()))
    return gaps


@transaction.atomic
def set_donor_eligibility(*, actor, donor: m.Donor, eligibility: str, notes: str = "") -> m.Donor:
    """Eligible needs consent and a negative latest result for every required marker of the panel."""
    require(actor, "dossier.manage_donor")
    _choice(eligibility, m.Donor.ELIGIBILITY, "eligibility")
    locked = lock_for_update(m.Donor.objects.filter(pk=donor.pk)).get()
    if eligibility == "eligible":
        if locked.consent_on is None:
            raise RuleViolation(_("donor {donor} has no recorded consent").format(donor=locked.code))
        gaps = panel_gaps(locked)
        if gaps:
            raise RuleViolation(
                _("donor {donor} is not eligible: {gaps}").format(donor=locked.code, gaps="; ".join(gaps))
            )
    if eligibility == "ineligible" and not (notes or "").strip():
        raise InputError(_("give the reason"), where="notes")
    before = records.donor_record(locked)
    locked.eligibility = eligibility
    if notes:
        locked.eligibility_notes = notes
    locked.save(update_fields=["eligibility", "eligibility_notes"])
    record_event(
        actor=actor,
        action="donor.eligibility",
        object_type="donor",
        object_id=locked.pk,
        before=before,
        after=records.donor_record(locked),
        reason=notes or "",
    )
    return locked


DONOR_FIELDS = ("consent_on", "consent_document")


@transaction.atomic
def update_donor(*, actor, donor: m.Donor, reason: str, seen: str | None = None, **changes) -> m.Donor:
    """Correct a donor's consent record, with the reason for the correction.

    The code is the donor's pseudonymised identity, cited by its banks and the trace: it never
    changes. Eligibility and its notes have their own flow (`set_donor_eligibility`), so a
    correction cannot make a donor eligible, nor leave an eligible donor without consent.
    """
    require(actor, "dossier.manage_donor")
    unknown = set(changes) - set(DONOR_FIELDS)
    if unknown:
        raise InputError(_("unknown field {field}").format(field=", ".join(sorted(unknown))), where="donor")
    reason = required_text(reason, "reason")
    locked = lock_for_update(m.Donor.objects.filter(pk=donor.pk)).get()
    before = records.donor_record(locked)
    require_unchanged(seen, before, what=_("donor {code}").format(code=locked.code))
    if "consent_on" in changes:
        consent_on = changes["consent_on"]
        if consent_on is not None and consent_on > timezone.localdate():
            raise InputError(_("the date is in the future"), where="consent_on")
        if consent_on is None and locked.eligibility == "eligible":
            raise InputError(
                _("an eligible donor keeps a consent date: withdraw the eligibility first"),
                where="consent_on",
            )
        locked.consent_on = consent_on
    if "consent_document" in changes:
        document = changes["consent_document"]
        if document is not None and document.kind != "consent":
            raise InputError(_("choose a consent form document"), where="consent_document")
        locked.consent_document = document
    after = records.donor_record(locked)
    if after == before:
        return locked
    locked.save(update_fields=["consent_on", "consent_document"])
    record_event(
        actor=actor,
        action="donor.update",
        object_type="donor",
        object_id=locked.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return locked
