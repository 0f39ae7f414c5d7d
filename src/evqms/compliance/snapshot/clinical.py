"""What happened to the lots after release, in the evidence snapshot: retention samples
(evqms.inventory), administrations and adverse events (evqms.clinical)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from evqms.clinical.models import (
    AdministeredAliquot,
    AdverseEvent,
    Evaluation,
    EvidenceReport,
    FollowUpVisit,
    InstrumentUse,
    SafetyReport,
    instrument_needs_baseline,
)
from evqms.compliance.snapshot.ids import CHUNK, local_date_function, num, sharer
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
    user = get_user_model()
    # The physicians first, by a subquery: the rows are then read one at a time, never all held.
    physicians = {
        u.pk: u.signature_name()
        for u in user.objects.filter(pk__in=used.values("administration__physician_id"))
    }
    rows = used.order_by("administration__number", "aliquot__container_id").values_list(
        *ADMINISTRATION_FIELDS
    )
    local_date = local_date_function()
    shared = sharer()
    administrations: dict[int, ev.Administration] = {}
    for pk, number, patient, physician, lot, aliquot, *doses, weight, route, site, at in rows.iterator(
        chunk_size=CHUNK
    ):
        if pk in administrations:
            continue
        administrations[pk] = ev.Administration(
            id=number,
            patient=patient,
            lot=shared(lot),
            aliquot=aliquot,
            dose=_dose(*doses),
            body_weight_kg=num(weight),
            route=shared(route),
            site=shared(site),
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
            sample_tests=e.n_sample_tests,
        )
        for e in AdverseEvent.objects.filter(administration__in=used.values("administration_id"))
        .select_related("administration")
        .annotate(n_sample_tests=Count("sample_tests"))
        .order_by("number")
    ]
    return sorted(administrations.values(), key=lambda a: a.id), events


# --- evidence collection: outcomes, safety reports, the issued evidence summary ------------------


def instrument_id(code: str, version: int, indication: str = "") -> str:
    """'nrs-pain v1', or 'nrs-pain v1 (knee_oa)' for a use limited to one indication."""
    return f"{code} v{version}" + (f" ({indication})" if indication else "")


def collection(product, lot_ids) -> dict:
    """The product's instruments, the baselines and follow-up visits of the administrations of
    `lot_ids` (a query of the lots' ids), the safety reports of their serious events and the
    product's issued evidence reports: five queries, as values."""
    local_date = local_date_function()
    adm_ids = AdministeredAliquot.objects.filter(aliquot__lot__in=lot_ids).values("administration_id")
    uses = list(
        InstrumentUse.objects.filter(product=product)
        .order_by("instrument__code", "indication_code", "id")
        .values(
            "id", "instrument__code", "instrument__version", "instrument__definition", "indication_code",
            "active", "enabled_at", "disabled_at",
        )
    )  # fmt: skip
    ids = {
        u["id"]: instrument_id(u["instrument__code"], u["instrument__version"], u["indication_code"])
        for u in uses
    }
    rows = list(
        Evaluation.objects.filter(
            kind="baseline", instrument_use__product=product, administration__in=adm_ids
        )
        .order_by("administration__number", "instrument_use_id")
        .values_list(
            "administration__number", "instrument_use_id", "evaluated_at", "administration__administered_at"
        )
    )
    baselines = [
        ev.Baseline(administration=number, instrument=ids[use], evaluated_on=local_date(at))
        for number, use, at, _given in rows
        if use in ids
    ]
    # A use is in force from its enabling, or from its earliest baseline when baselines were
    # recorded for administrations made before it was enabled (the instrument was in use then).
    earliest: dict[int, object] = {}
    for _number, use, _at, given in rows:
        day = local_date(given)
        earliest[use] = min(day, earliest.get(use, day))
    instruments = [
        ev.OutcomeInstrument(
            id=ids[u["id"]],
            baseline=instrument_needs_baseline(u["instrument__definition"]),
            active_from=min(filter(None, (local_date(u["enabled_at"]), earliest.get(u["id"])))),
            active_until=None if u["active"] else local_date(u["disabled_at"]),
        )
        for u in uses
    ]
    visits = [
        ev.FollowUpVisit(
            id=f"{v['administration__number']} M{v['month']} {ids[v['instrument_use_id']]}",
            administration=v["administration__number"],
            instrument=ids[v["instrument_use_id"]],
            month=v["month"],
            window_start=v["window_start"],
            window_end=v["window_end"],
            status=v["status"],
            evaluated_on=local_date(v["evaluation__evaluated_at"]),
            missed_reason=v["missed_reason"],
        )
        for v in FollowUpVisit.objects.filter(
            instrument_use__product=product, administration__in=adm_ids
        )
        .order_by("administration__number", "instrument_use_id", "month")
        .values(
            "administration__number", "instrument_use_id", "month", "window_start", "window_end",
            "status", "evaluation__evaluated_at", "missed_reason",
        )
        if v["instrument_use_id"] in ids
    ]  # fmt: skip
    reports = [
        ev.SafetyReport(id=number, adverse_event=event, kind=kind, due_on=due, submitted_on=submitted)
        for number, event, kind, due, submitted in SafetyReport.objects.filter(
            adverse_event__administration__in=adm_ids
        )
        .exclude(kind="periodic")
        .order_by("number")
        .values_list("number", "adverse_event__number", "kind", "due_on", "submitted_on")
    ]
    issued = [
        ev.EvidenceReport(id=number, year=year, issued_on=local_date(at), language=language)
        for number, year, at, language in EvidenceReport.objects.filter(product=product)
        .order_by("number")
        .values_list("number", "year", "issued_at", "language")
    ]
    return {
        "outcome_instruments": instruments,
        "baselines": baselines,
        "follow_up_visits": visits,
        "safety_reports": reports,
        "evidence_reports": issued,
    }
