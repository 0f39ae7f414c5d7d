"""The product and its dossier in the evidence snapshot: the product, cell banks with their ancestry
and donors, materials and their lots, process versions and specifications."""

from __future__ import annotations

from evqms.compliance.models import ComparabilityRecord
from evqms.compliance.snapshot.ids import (
    STAGE_NAMES,
    attribute_category,
    attribute_id,
    local_date,
    material_id,
    num,
    specification_id,
)
from evqms.guidance import evidence as ev
from evqms.guidance import vocabulary


def _indication_detail(product) -> str:
    """The free-text detail beside the coded indication ('Kellgren-Lawrence II-III')."""
    details = []
    for line in (x.strip() for x in product.indications.splitlines()):
        found = vocabulary.match_indication(line) if line else None
        if found and found[0] == product.indication_code:
            if found[1]:
                details.append(found[1])
        elif line:
            details.append(line)
    return "; ".join(details)


def product_evidence(product) -> ev.Product:
    physician = product.responsible_physician
    last = product.history.order_by("-history_date").values_list("history_date", flat=True).first()
    return ev.Product(
        id=product.code,
        name=product.name,
        ev_type=product.ev_type,
        source_cell_type=product.source_cell_type,
        origin=product.origin,
        indications=[product.indication_code] if product.indication_code else [],
        indication_detail=_indication_detail(product),
        routes=list(product.routes),
        dose_unit=product.dose_unit,
        responsible_physician=physician.signature_name() if physician else "",
        updated_on=local_date(last),
    )


def cell_banks_and_donors(banks) -> tuple[list[ev.CellBank], list[ev.Donor]]:
    seen, queue, donors = {}, list(banks), {}
    while queue:
        bank = queue.pop()
        if bank.pk in seen:
            continue
        seen[bank.pk] = bank
        if bank.parent_id:
            queue.append(bank.parent)
        if bank.donor_id:
            donors[bank.donor_id] = bank.donor
    out_banks = []
    for bank in sorted(seen.values(), key=lambda b: b.code):
        tests = []
        for row in bank.characterisation or []:
            if isinstance(row, dict) and row.get("test"):
                passed = row.get("passed")
                tests.append(
                    ev.TestRecord(
                        test=str(row["test"]),
                        result=str(row.get("result", "")),
                        passed=passed if isinstance(passed, bool) else None,
                    )
                )
        out_banks.append(
            ev.CellBank(
                id=bank.code,
                kind=bank.kind,
                parent=bank.parent.code if bank.parent_id else (bank.donor.code if bank.donor_id else ""),
                passage=bank.passage,
                characterisation=tests,
                storage_location=bank.location,
            )
        )
    out_donors = []
    for donor in sorted(donors.values(), key=lambda d: d.code):
        results = list(donor.test_results.select_related("marker").order_by("marker__code", "tested_on"))
        latest = {r.marker.code: r for r in results}  # the latest test per marker decides
        out_donors.append(
            ev.Donor(
                id=donor.code,
                consent=donor.consent_on is not None,
                eligible={"eligible": True, "ineligible": False}.get(donor.eligibility),
                screening_date=max((r.tested_on for r in results), default=None),
                infectious_markers=[
                    ev.InfectiousMarker(
                        marker=r.marker.name,
                        result=r.result if r.result in ("negative", "positive") else "not_tested",
                    )
                    for r in latest.values()
                ],
            )
        )
    return out_banks, out_donors


def materials_and_lots(material_lots) -> tuple[list[ev.Material], list[ev.MaterialLot]]:
    materials, out_lots = {}, []
    for mlot in sorted(material_lots, key=lambda m: m.lot_number):
        materials.setdefault(mlot.material_id, (mlot.material, []))[1].append(mlot)
        species = mlot.animal_species.strip()
        out_lots.append(
            ev.MaterialLot(
                id=mlot.lot_number,
                material=material_id(mlot.material),
                expiry=mlot.expiry,
                coa=str(mlot.coa_document) if mlot.coa_document_id else "",
                animal_origin=f"{species} {mlot.animal_tissue}".strip() if species else "none",
                grade=mlot.grade,
                acceptance_status=mlot.acceptance_status,
                # The database keeps one text for the justification and the BSE/TSE compliance record.
                justification=mlot.animal_origin_justification,
                justified_processes=[str(v) for v in mlot.justified_process_versions or []],
                tse_compliance=mlot.animal_origin_justification,
            )
        )
    out_materials = [
        ev.Material(
            id=material_id(material),
            name=material.name,
            supplier=material.supplier,
            catalogue_number=material.catalogue_number,
            stage="culture" if material.used_in_culture else "",
            kind=material.kind,
            biological=any(m.is_biological for m in lots),
        )
        for material, lots in sorted(materials.values(), key=lambda ml: material_id(ml[0]))
    ]
    return out_materials, out_lots


def process_definitions(processes) -> list[ev.ProcessDefinition]:
    versions = {p.version for p in processes}
    records = {
        r.process_id: r
        for r in ComparabilityRecord.objects.filter(process__in=processes).select_related("document")
    }
    out = []
    for process in sorted(processes, key=lambda p: p.version):
        steps = list(process.steps.prefetch_related("parameters").order_by("order"))
        record = records.get(process.pk)
        previous = process.version - 1 if process.version - 1 in versions else None
        out.append(
            ev.ProcessDefinition(
                version=str(process.version),
                effective_on=local_date(process.created_at),
                previous_version=str(previous) if previous is not None else "",
                comparability_record=(str(record.document) if record.document_id else f"CMP-{record.pk}")
                if record
                else "",
                comparability_approved_on=local_date(record.approved_at) if record else None,
                change_request=process.change_request.number if process.change_request_id else "",
                isolation_method=", ".join(
                    s.method for s in steps if s.method and s.kind in ("purification", "concentration")
                ),
                steps=[
                    ev.ProcessStep(
                        name=step.name,
                        kind=step.kind,
                        aseptic=step.aseptic,
                        parameters=[
                            ev.ProcessParameter(
                                name=p.name, unit=p.unit, min=num(p.low), max=num(p.high), critical=p.critical
                            )
                            for p in step.parameters.all()
                        ],
                    )
                    for step in steps
                ],
            )
        )
    return out


def _expected(attribute) -> str:
    if attribute.kind == "qualitative" and len(attribute.acceptable or []) == 1:
        return str(attribute.acceptable[0])
    return ""


def specification_versions(specs) -> list[ev.Specification]:
    out = []
    for spec in sorted(specs, key=lambda s: s.version):
        out.append(
            ev.Specification(
                id=specification_id(spec.product.code),
                version=str(spec.version),
                effective_on=local_date(spec.created_at),
                change_request=spec.change_request.number if spec.change_request_id else "",
                attributes=[
                    ev.SpecAttribute(
                        id=attribute_id(a),
                        name=a.name,
                        category=attribute_category(a),
                        method=a.method,
                        unit=a.unit,
                        min=num(a.lower),
                        max=num(a.upper),
                        min_inclusive=a.lower_inclusive,
                        max_inclusive=a.upper_inclusive,
                        expected=_expected(a),
                        stage=STAGE_NAMES.get(a.stage, a.stage),
                        cqa=a.is_cqa,
                        rationale=a.source,
                        guidance_items=list(a.guidance_items or []),
                    )
                    for a in spec.attributes.select_related("specification").order_by("order", "id")
                ],
            )
        )
    return out
