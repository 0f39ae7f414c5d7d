"""The evidence snapshot of one product, built from the database (the same dataclasses a dossier
file gives), so the engine judges the database and a file the same way.

Scope: the product; the lots made for it; the cell banks (with their ancestry and donors),
process versions and specifications those lots used (plus approved ones); the material lots
they consumed; deviations; the risk register's latest version; attestations; QMS-element
documents; and, when those apps are installed, retention samples, administrations and adverse
events (evqms.inventory, evqms.clinical) and potency, biodistribution, dose-response and
stability studies (evqms.studies). Numbers go through the file path's canonical spelling so
the snapshot hash depends on facts, not on the database's decimal places.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from evqms.guidance import evidence as ev
from evqms.guidance import vocabulary
from evqms.guidance.dossier import canonical_decimal, parse_dose_unit

LOT_STATUS = {"qc": "quarantine"}  # the engine knows no separate "in QC" state
STAGE_NAMES = {"in_process": "in-process"}


def attribute_category(attribute) -> str:
    """The attribute's coded test category; records made before categories existed are inferred
    once (the data migration stores the same inference)."""
    return attribute.category or vocabulary.infer_category(attribute.code, attribute.name)


def num(value) -> Decimal | None:
    return None if value is None else canonical_decimal(Decimal(value))


def local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def attribute_id(attribute) -> str:
    """Unique across specification versions: code@vN."""
    return f"{attribute.code}@v{attribute.specification.version}"


def parameter_ref(parameter) -> str:
    """How a risk control names a process parameter: 'step/parameter' (as in dossier files)."""
    return f"{parameter.step.name}/{parameter.name}"


def material_id(material) -> str:
    return f"{material.supplier}/{material.catalogue_number}"


def specification_id(product_code: str) -> str:
    """Every version of a product's specification is one record; versions are told apart by `version`."""
    return f"SPEC-{product_code}"


def qms_document_id(code: str, version) -> str:
    return f"{code} v{version}"


def safety_study_id(title: str) -> str:
    """A dose-response study with a safe upper dose is also a safety study of its own."""
    return f"{title} (safety)"


def _installed(label: str) -> bool:
    return apps.is_installed(f"evqms.{label}")


# --- product and upstream records ---------------------------------------------------------


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


def _product(product) -> ev.Product:
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


def _cell_banks_and_donors(banks) -> tuple[list[ev.CellBank], list[ev.Donor]]:
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


def _materials(material_lots) -> tuple[list[ev.Material], list[ev.MaterialLot]]:
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


def _processes(processes) -> list[ev.ProcessDefinition]:
    from evqms.compliance.models import ComparabilityRecord

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
                isolation_method=", ".join(
                    s.method for s in steps if s.method and s.kind in ("purification", "concentration")
                ),
                steps=[
                    ev.ProcessStep(
                        name=step.name,
                        kind=step.kind,
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


def _specifications(specs) -> list[ev.Specification]:
    out = []
    for spec in sorted(specs, key=lambda s: s.version):
        out.append(
            ev.Specification(
                id=specification_id(spec.product.code),
                version=str(spec.version),
                effective_on=local_date(spec.created_at),
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


# --- lots ------------------------------------------------------------------------------------


def _qc_result(result) -> ev.QCResult:
    attribute = result.attribute
    value = result.reported_value
    if value is None:
        value = result.value_in_spec_unit if result.value_in_spec_unit is not None else result.value
    derived = result.derived or {}
    size = derived.get("size_nm") if isinstance(derived.get("size_nm"), dict) else {}
    markers = []
    category = attribute_category(attribute)
    text = result.text_value.strip().lower()
    if category == "ev_marker" and text in ("positive", "negative"):
        marker = attribute.marker or vocabulary.infer_marker(attribute.code, attribute.name)
        markers.append(
            ev.MarkerResult(
                marker=marker or attribute.name,
                result=text,
                category=vocabulary.marker_category(marker) if marker else "",
            )
        )

    def size_stat(key):
        figure = size.get(key)
        return num(Decimal(str(figure))) if isinstance(figure, (int, float, str)) and figure != "" else None

    return ev.QCResult(
        attribute=attribute_id(attribute),
        tested_on=local_date(result.tested_at),
        value=num(value),
        # Reported and converted values are in the specification's unit; a value as entered is in its own.
        unit=(
            ""
            if value is None
            else (result.unit or attribute.unit)
            if result.reported_value is None and result.value_in_spec_unit is None
            else attribute.unit
        ),
        result=result.text_value,
        method=result.method,
        replicates=derived.get("videos") if isinstance(derived.get("videos"), int) else None,
        markers=markers,
        mode_nm=size_stat("mode"),
        d10_nm=size_stat("d10"),
        d50_nm=size_stat("d50"),
        d90_nm=size_stat("d90"),
        analyst=result.analyst.get_username(),
        raw_file_sha256=result.raw_file_sha256,
    )


def _lots(lots) -> tuple[list[ev.Lot], list[ev.Deviation]]:
    from evqms.lots.models import Deviation, ParameterValue

    out, deviations = [], []
    for lot in lots:
        usages = lot.material_usages.select_related("material_lot").order_by("material_lot__lot_number")
        step_records = []
        for record in lot.step_records.select_related("step", "operator").prefetch_related(
            "values__parameter"
        ):
            step_records.append(
                ev.StepRecord(
                    step=record.step.name,
                    parameters={v.parameter.name: num(v.value) for v in record.values.all()},
                    operator=record.operator.get_username(),
                )
            )
        results = lot.qc_results.filter(status="valid").select_related("attribute__specification", "analyst")
        signature = lot.release_signature
        out.append(
            ev.Lot(
                id=lot.number,
                product=lot.product.code,
                process_version=str(lot.process.version),
                cell_bank=lot.cell_bank.code,
                material_lots=sorted({u.material_lot.lot_number for u in usages}),
                manufactured_on=lot.manufactured_on,
                status=LOT_STATUS.get(lot.status, lot.status),
                step_records=step_records,
                qc_results=sorted(
                    (_qc_result(r) for r in results), key=lambda r: (r.attribute, r.tested_on or dt.date.min)
                ),
                release=ev.Release(
                    released_on=local_date(lot.released_at or signature.signed_at),
                    released_by=signature.printed_name,
                    signature=f"signature {signature.pk}",
                )
                if signature is not None
                else None,
                expiry=lot.expiry,
            )
        )
        values = ParameterValue.objects.filter(step_record__lot=lot, deviation__isnull=False).select_related(
            "parameter__step"
        )
        parameter_of = {v.deviation_id: parameter_ref(v.parameter) for v in values}
        for deviation in Deviation.objects.filter(lot=lot).order_by("opened_at", "id"):
            deviations.append(
                ev.Deviation(
                    id=deviation.number,
                    lot=lot.number,
                    description=deviation.description,
                    parameter=parameter_of.get(deviation.pk, ""),
                    status=deviation.status,
                    approved=deviation.status == "closed",  # QA closes a deviation after review
                    opened_on=local_date(deviation.opened_at),
                )
            )
    return out, deviations


# --- compliance records --------------------------------------------------------------------


def current_register(product):
    from evqms.compliance.models import RiskRegister

    return RiskRegister.objects.filter(product=product).order_by("-version").first()


def _risk_register(product) -> ev.RiskRegister | None:
    register = current_register(product)
    if register is None:
        return None
    items = []
    for item in register.items.prefetch_related(
        "control_attributes__specification", "control_parameters__step"
    ).order_by("id"):
        controls = sorted(attribute_id(a) for a in item.control_attributes.all())
        controls += sorted(parameter_ref(p) for p in item.control_parameters.all())
        items.append(
            ev.RiskItem(
                id=item.code,
                stage=item.stage,
                hazard=item.hazard,
                cause=item.cause,
                effect=item.effect,
                severity=item.severity,
                occurrence=item.occurrence,
                detectability=item.detectability,
                controls=controls,
                residual_risk=item.residual_risk,
                status=item.status,
            )
        )
    signature = register.approval_signature
    approved = register.status == "approved" and signature is not None
    return ev.RiskRegister(
        id=register.code,
        version=str(register.version),
        status="approved" if approved else "draft",
        approved_on=local_date(register.approved_at) if approved else None,
        approved_by=signature.printed_name if approved else "",
        items=items,
        none_identified=[
            ev.NoneIdentified(stage=stage, reason=reason)
            for stage, reason in sorted((register.none_identified or {}).items())
        ],
    )


def _attestations(product) -> list[ev.Attestation]:
    from evqms.compliance.models import Attestation

    return [
        ev.Attestation(
            id=a.code,
            item=a.item_id,
            role=a.role,
            signer=a.signature.printed_name,
            signed_on=local_date(a.signed_at),
            statement=a.statement,
            cites=list(a.cites),
        )
        for a in Attestation.objects.filter(product=product)
        .select_related("signature")
        .order_by("signed_at", "id")
        if not hasattr(a.signature, "invalidation")
    ]


def _qms_documents() -> list[ev.QMSDocument]:
    from evqms.compliance.models import QMSElementDocument

    out = []
    for link in QMSElementDocument.objects.select_related("document").order_by("element", "document__code"):
        doc = link.document
        out.append(
            ev.QMSDocument(
                id=qms_document_id(doc.code, doc.version),
                element=link.element,
                title=doc.title,
                version=str(doc.version),
                status="approved"
                if doc.status == "approved"
                else ("retired" if doc.status == "superseded" else "draft"),
                effective_on=local_date(doc.uploaded_at),
                review_due=link.review_due,
            )
        )
    return out


# --- optional apps -----------------------------------------------------------------------------


def _retention(lot_ids, material_lot_ids) -> list[ev.RetentionSample]:
    if not _installed("inventory"):
        return []
    from django.db.models import Q

    from evqms.inventory.models import RetentionSample

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


def _clinical(lot_ids) -> tuple[list[ev.Administration], list[ev.AdverseEvent]]:
    if not _installed("clinical") or not _installed("inventory"):
        return [], []
    from evqms.clinical.models import AdministeredAliquot, AdverseEvent

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


def _study_dose(value, unit: str) -> ev.Dose | None:
    if value is None:
        return None
    try:
        basis, factor, per_kg = parse_dose_unit(unit)
    except ValueError:
        return None  # a unit the engine cannot compare: the study supports no comparable range
    return ev.Dose(value=canonical_decimal(Decimal(value) * factor), basis=basis, per_kg=per_kg)


def _studies(product, spec_attribute_ids: dict[str, str]) -> ev.Studies:
    if not _installed("studies"):
        return ev.Studies()
    from evqms.studies import models as sm

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


# --- the snapshot ----------------------------------------------------------------------------


def build_snapshot(product) -> ev.EvidenceSnapshot:
    """The evidence snapshot of `product` as the database holds it now."""
    from evqms.dossier.models import CellBank, MaterialLot, ProcessDefinition, Specification
    from evqms.lots.models import Lot

    lots = list(
        Lot.objects.filter(product=product)
        .select_related("product", "process", "cell_bank", "release_signature")
        .order_by("number")
    )
    lot_ids = [lot.pk for lot in lots]
    process_ids = {lot.process_id for lot in lots}
    spec_ids = {lot.specification_id for lot in lots}
    processes = list(_in_evidence(ProcessDefinition.objects.filter(product=product), process_ids))
    specs = list(
        _in_evidence(Specification.objects.filter(product=product), spec_ids).select_related("product")
    )
    banks = list(CellBank.objects.filter(lots__in=lot_ids).distinct().select_related("donor", "parent"))
    material_lots = list(
        MaterialLot.objects.filter(usages__lot__in=lot_ids)
        .distinct()
        .select_related("material", "coa_document")
    )
    cell_banks, donors = _cell_banks_and_donors(banks)
    materials, mlots = _materials(material_lots)
    out_lots, deviations = _lots(lots)
    administrations, adverse_events = _clinical(lot_ids)
    specifications = _specifications(specs)
    latest_ids = {}
    for spec in specifications:  # later versions win: a potency assay names the current attribute
        for attribute in spec.attributes:
            latest_ids[attribute.id.rsplit("@", 1)[0]] = attribute.id
    return ev.EvidenceSnapshot(
        product=_product(product),
        donors=donors,
        cell_banks=cell_banks,
        materials=materials,
        material_lots=mlots,
        processes=_processes(processes),
        specifications=specifications,
        lots=out_lots,
        deviations=deviations,
        retention_samples=_retention(lot_ids, [m.pk for m in material_lots]),
        administrations=administrations,
        adverse_events=adverse_events,
        risk_register=_risk_register(product),
        studies=_studies(product, latest_ids),
        qms_documents=_qms_documents(),
        attestations=_attestations(product),
    )


def _in_evidence(versions, used_ids):
    """The approved and superseded versions, and any version a lot was made on or tested against."""
    return versions.filter(models_q(status__in=("approved", "superseded")) | models_q(pk__in=used_ids))


def citable_records(product) -> list[str]:
    """What an attestation may cite ('kind:id'): the keys of
    `guidance.checks.attestation.record_dates(build_snapshot(product))`, read as a few queries of
    ids. The compliance page offers them on every view, and the whole snapshot grows with the lots."""
    from evqms.compliance.models import QMSElementDocument
    from evqms.dossier.models import ProcessDefinition, Specification
    from evqms.lots.models import Lot

    lots = Lot.objects.filter(product=product)
    keys = {f"product:{product.code}"}
    register = current_register(product)
    if register is not None:
        keys.add(f"risk_register:{register.code}")
    specs = _in_evidence(Specification.objects.filter(product=product), lots.values("specification_id"))
    if specs.exists():
        keys.add(f"specification:{specification_id(product.code)}")
    processes = _in_evidence(ProcessDefinition.objects.filter(product=product), lots.values("process_id"))
    keys.update(f"process:{v}" for v in processes.values_list("version", flat=True))
    documents = QMSElementDocument.objects.values_list("document__code", "document__version")
    keys.update(f"qms_document:{qms_document_id(code, version)}" for code, version in documents)
    keys.update(f"lot:{number}" for number in lots.values_list("number", flat=True))
    if _installed("studies"):
        from evqms.studies import models as sm

        studies = [
            *sm.PotencyAssay.objects.filter(product=product).values_list("name", flat=True),
            *sm.BiodistributionStudy.objects.filter(product=product).values_list("title", flat=True),
            *sm.StabilityStudy.objects.filter(product=product).values_list("name", flat=True),
        ]
        for title, safe_high in sm.DoseResponseStudy.objects.filter(product=product).values_list(
            "title", "safe_high"
        ):
            studies.append(title)
            if safe_high is not None:
                studies.append(safety_study_id(title))
        keys.update(f"study:{study}" for study in studies)
    return sorted(keys)


def models_q(**kwargs):
    from django.db.models import Q

    return Q(**kwargs)
