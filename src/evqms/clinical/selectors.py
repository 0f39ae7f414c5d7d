"""Reads for clinical records and the dashboard card."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from evqms.clinical.models import AdministeredAliquot, Administration, AdverseEvent, Patient
from evqms.i18n import _


def administration_list(*, search: str | None = None):
    qs = Administration.objects.select_related("patient", "physician").prefetch_related(
        Prefetch("used", queryset=AdministeredAliquot.objects.select_related("aliquot", "aliquot__lot"))
    )
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(patient__code__icontains=term)
            | Q(used__aliquot__container_id__icontains=term)
            | Q(used__aliquot__lot__number=term)
        ).distinct()
    return qs.order_by("-administered_at", "-id")


def get_administration(number: str) -> Administration | None:
    return administration_list().filter(number=number).first()


def adverse_event_list():
    return AdverseEvent.objects.select_related("patient", "administration").order_by("-onset", "-id")


def get_adverse_event(number: str) -> AdverseEvent | None:
    return (
        AdverseEvent.objects.select_related("patient", "administration", "reported_by")
        .prefetch_related("sample_tests__retention_sample")
        .filter(number=number)
        .first()
    )


def patient_list():
    return Patient.objects.prefetch_related("consents").order_by("code")


def dashboard_card(user) -> dict | None:
    if not user.has_perm("clinical.view"):
        return None
    open_serious = (
        AdverseEvent.objects.filter(serious=True).exclude(outcome__in=("recovered", "fatal")).count()
    )
    caption = _("administrations recorded")
    if open_serious:
        caption = _("administrations; {n} serious adverse events not recovered").format(n=open_serious)
    return {
        "title": _("Clinical"),
        "value": Administration.objects.count(),
        "caption": caption,
        "url_name": "clinical:administration-list",
    }
