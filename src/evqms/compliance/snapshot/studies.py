"""The product's studies in the evidence snapshot: potency assays, biodistribution, dose-response
(with the safe upper dose as a safety study of its own) and stability (evqms.studies)."""

from __future__ import annotations

from decimal import Decimal

from evqms.compliance.snapshot.ids import local_date, num, safety_study_id
from evqms.guidance import evidence as ev
from evqms.guidance import vocabulary
from evqms.guidance.dossier import canonical_decimal, parse_dose_unit
from evqms.studies import models as sm


def _study_dose(value, unit: str) -> ev.Dose | None:
    if value is None:
        return None
    try:
        basis, factor, per_kg = parse_dose_unit(unit)
    except ValueError:
        return None  # a unit the engine cannot compare: the study supports no comparable range
    return ev.Dose(value=canonical_decimal(Decimal(value) * factor), basis=basis, per_kg=per_kg)


def studies(product, spec_attribute_ids: dict[str, str]) -> ev.Studies:
    potency = []
    for assay in (
        sm.PotencyAssay.objects.filter(product=product).select_related("reference_lot").order_by("name")
    ):
        unit = assay.dose_unit.lower()
        potency.append(
            ev.PotencyAssay(
                id=assay.name,
                name=assay.name,
                mechanism=assay.mechanism,
                indication=assay.indication_code,
                kind=assay.kind,
                reference_standard=assay.reference_lot.number,
                attribute=spec_attribute_ids.get(assay.qc_attribute_code, ""),
                unit_basis="particles" if "particle" in unit else ("protein" if "g" in unit else ""),
                validated=assay.runs.exists(),
            )
        )
    biodistribution = [
        ev.BiodistributionStudy(
            id=s.title,
            route=vocabulary.match("route", s.route) or s.route,
            species=s.species,
            methods=[m for m in (s.label_method, s.second_method) if m.strip()],
            target=s.target,
            fraction_of_dose=num(s.fraction_in_target_pct / 100),
            threshold=num(s.threshold_pct / 100),  # the study's own target (JSRM-3-P1)
            completed_on=local_date(s.created_at),
        )
        for s in sm.BiodistributionStudy.objects.filter(product=product).order_by("title")
    ]
    dose_response = []
    for s in sm.DoseResponseStudy.objects.filter(product=product).order_by("title"):
        dose_response.append(
            ev.DoseResponseStudy(
                id=s.title,
                kind=s.kind,
                endpoint="efficacy",
                supported_min=_study_dose(
                    s.effective_low if s.effective_low is not None else s.dose_low, s.unit
                ),
                supported_max=_study_dose(
                    s.effective_high if s.effective_high is not None else s.dose_high, s.unit
                ),
                completed_on=local_date(s.created_at),
            )
        )
        if s.safe_high is not None:
            dose_response.append(
                ev.DoseResponseStudy(
                    id=safety_study_id(s.title),
                    kind=s.kind,
                    endpoint="safety",
                    supported_max=_study_dose(s.safe_high, s.unit),
                    completed_on=local_date(s.created_at),
                )
            )
    other = []
    for s in sm.StabilityStudy.objects.filter(product=product).order_by("name"):
        months = s.results.order_by("-time_months").values_list("time_months", flat=True).first()
        other.append(
            ev.OtherStudy(
                id=s.name,
                kind="stability",
                supported_months=num(months),
                completed_on=local_date(s.created_at),
            )
        )
    return ev.Studies(
        potency_assays=potency, biodistribution=biodistribution, dose_response=dose_response, other=other
    )


def study_ids(product) -> list[str]:
    """The ids `studies()` gives the product's studies, read as ids only (for citable records)."""
    ids = [
        *sm.PotencyAssay.objects.filter(product=product).values_list("name", flat=True),
        *sm.BiodistributionStudy.objects.filter(product=product).values_list("title", flat=True),
        *sm.StabilityStudy.objects.filter(product=product).values_list("name", flat=True),
    ]
    for title, safe_high in sm.DoseResponseStudy.objects.filter(product=product).values_list(
        "title", "safe_high"
    ):
        ids.append(title)
        if safe_high is not None:
            ids.append(safety_study_id(title))
    return ids
