"""What happened to the lots after release, in the evidence snapshot: retention samples
(evqms.inventory), administrations and adverse events (evqms.clinical)."""

from __future__ import annotations

from django.db.models import Q

from evqms.clinical.models import AdministeredAliquot, AdverseEvent
from evqms.compliance.snapshot.ids import local_date, num
from evqms.guidance import evidence as ev
from evqms.inventory.models import RetentionSample


def retention_samples(lot_ids, material_lot_ids) -> list[ev.RetentionSample]:
    rows = RetentionSample.objects.filter(
        Q(lot_id__in=lot_ids) | Q(material_lot_id__in=material_lot_ids)
    ).select_related("lot", "material_lot", "location")
    return [
        ev.RetentionSample(
            id=f"RS-{r.pk}",
            lot=r.lot.number if r.lot_id else "",
            material_lot=r.material_lot.lot_number if r.material_lot_id else "",
            quantity=r.quantity,
            location=r.location.code if r.location_id else "",
            retain_until=r.retain_until,
            in_stock=r.status == "in_stock",
            reason=r.reason if r.status == "not_kept" else "",
        )
        for r in sorted(rows, key=lambda r: r.pk)
    ]


def _dose(adm) -> ev.Dose | None:
    for value, basis, per_kg in (
        (adm.dose_particles_per_kg, "particles", True),
        (adm.dose_particles, "particles", False),
        (adm.dose_protein_ug_per_kg, "protein_ug", True),
        (adm.dose_protein_ug, "protein_ug", False),
    ):
        if value is not None and value > 0:
            return ev.Dose(value=num(value), basis=basis, per_kg=per_kg)
    return None


def administrations_and_events(lot_ids) -> tuple[list[ev.Administration], list[ev.AdverseEvent]]:
    used = (
        AdministeredAliquot.objects.filter(aliquot__lot_id__in=lot_ids)
        .select_related("administration__patient", "administration__physician", "aliquot__lot")
        .order_by("administration__number", "aliquot__container_id")
    )
    administrations: dict[int, ev.Administration] = {}
    for row in used:
        adm = row.administration
        if adm.pk in administrations:
            continue
        administrations[adm.pk] = ev.Administration(
            id=adm.number,
            patient=adm.patient.code,
            lot=row.aliquot.lot.number,
            aliquot=row.aliquot.container_id,
            dose=_dose(adm),
            body_weight_kg=num(adm.body_weight_kg),
            route=adm.route,
            site=adm.site,
            administered_on=local_date(adm.administered_at),
            physician=adm.physician.signature_name(),
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
        for e in AdverseEvent.objects.filter(administration_id__in=administrations)
        .select_related("administration")
        .order_by("number")
    ]
    return sorted(administrations.values(), key=lambda a: a.id), events
