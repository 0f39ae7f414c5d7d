"""What happened to the lots after release, in the evidence snapshot: retention samples
(evqms.inventory), administrations and adverse events (evqms.clinical)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from evqms.clinical.models import AdministeredAliquot, AdverseEvent
from evqms.compliance.snapshot.ids import local_date_function, num
from evqms.guidance import evidence as ev
from evqms.inventory.models import RetentionSample


def retention_samples(lot_ids, material_lot_ids) -> list[ev.RetentionSample]:
    """`lot_ids` a query of the lots' ids; the samples read as values, not model rows (one a lot)."""
    rows = (
        RetentionSample.objects.filter(Q(lot__in=lot_ids) | Q(material_lot_id__in=material_lot_ids))
        .order_by("pk")
        .values_list(
            "pk",
            "lot__number",
            "material_lot__lot_number",
            "quantity",
            "location__code",
            "retain_until",
            "status",
            "reason",
        )
    )
    return [
        ev.RetentionSample(
            id=f"RS-{pk}",
            lot=lot or "",
            material_lot=material_lot or "",
            quantity=quantity,
            location=location or "",
            retain_until=retain_until,
            in_stock=status == "in_stock",
            reason=reason if status == "not_kept" else "",
        )
        for pk, lot, material_lot, quantity, location, retain_until, status, reason in rows
    ]


def _dose(per_kg_particles, particles, per_kg_protein, protein) -> ev.Dose | None:
    for value, basis, per_kg in (
        (per_kg_particles, "particles", True),
        (particles, "particles", False),
        (per_kg_protein, "protein_ug", True),
        (protein, "protein_ug", False),
    ):
        if value is not None and value > 0:
            return ev.Dose(value=num(value), basis=basis, per_kg=per_kg)
    return None


ADMINISTRATION_FIELDS = (
    "administration_id",
    "administration__number",
    "administration__patient__code",
    "administration__physician_id",
    "aliquot__lot__number",
    "aliquot__container_id",
    "administration__dose_particles_per_kg",
    "administration__dose_particles",
    "administration__dose_protein_ug_per_kg",
    "administration__dose_protein_ug",
    "administration__body_weight_kg",
    "administration__route",
    "administration__site",
    "administration__administered_at",
)


def administrations_and_events(lot_ids) -> tuple[list[ev.Administration], list[ev.AdverseEvent]]:
    """`lot_ids` a query of the lots' ids. An administration of several aliquots is named by its
    first aliquot (by container id); the administrations are read as values, one row a lot."""
    used = AdministeredAliquot.objects.filter(aliquot__lot__in=lot_ids)
    rows = list(
        used.order_by("administration__number", "aliquot__container_id").values_list(*ADMINISTRATION_FIELDS)
    )
    user = get_user_model()
    physicians = {u.pk: u.signature_name() for u in user.objects.filter(pk__in={r[3] for r in rows})}
    local_date = local_date_function()
    administrations: dict[int, ev.Administration] = {}
    for pk, number, patient, physician, lot, aliquot, *doses, weight, route, site, at in rows:
        if pk in administrations:
            continue
        administrations[pk] = ev.Administration(
            id=number,
            patient=patient,
            lot=lot,
            aliquot=aliquot,
            dose=_dose(*doses),
            body_weight_kg=num(weight),
            route=route,
            site=site,
            administered_on=local_date(at),
            physician=physicians[physician],
        )
    events = [
        ev.AdverseEvent(
            id=e.number,
            administration=e.administration.number,
            onset=local_date(e.onset),
            description=e.description,
            ctcae_grade=e.ctcae_grade,
            serious=e.serious,
            causality=e.causality,
            outcome=e.outcome,
            investigation=e.investigation,
        )
        for e in AdverseEvent.objects.filter(administration__in=used.values("administration_id"))
        .select_related("administration")
        .order_by("number")
    ]
    return sorted(administrations.values(), key=lambda a: a.id), events
