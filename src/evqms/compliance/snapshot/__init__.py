"""The evidence snapshot of one product, built from the database (the same dataclasses a dossier
file gives), so the engine judges the database and a file the same way.

Scope, one module a part: the product and its dossier (`dossier`: the cell banks, with their
ancestry and donors, process versions and specifications the lots used, plus approved ones, and
the material lots they consumed); the lots with their QC results and deviations (`lots`); the
risk register's latest version, attestations and QMS-element documents (`qms`); retention
samples, administrations and adverse events (`clinical`); potency, biodistribution,
dose-response and stability studies (`studies`); the environmental monitoring, media fills,
calibrations and CAPA behind the lots (`quality`). `ids` names the records the way findings and
attestations cite them, and spells numbers the way a dossier file does, so the snapshot hash
depends on facts, not on the database's decimal places.
"""

from __future__ import annotations

from django.db.models import Q

from evqms.compliance.models import QMSElementDocument
from evqms.compliance.selectors import current_register
from evqms.compliance.snapshot import clinical, dossier, lots, qms, quality, studies
from evqms.compliance.snapshot.ids import (
    LOT_STATUS,
    STAGE_NAMES,
    attribute_category,
    attribute_id,
    local_date,
    material_id,
    num,
    parameter_ref,
    qms_document_id,
    safety_study_id,
    specification_id,
)
from evqms.dossier.models import CellBank, MaterialLot, ProcessDefinition, Specification
from evqms.guidance import evidence as ev
from evqms.lots.models import Lot

__all__ = [
    "LOT_STATUS",
    "STAGE_NAMES",
    "attribute_category",
    "attribute_id",
    "build_snapshot",
    "citable_records",
    "local_date",
    "material_id",
    "num",
    "parameter_ref",
    "qms_document_id",
    "safety_study_id",
    "specification_id",
]

# --- the snapshot ----------------------------------------------------------------------------


def build_snapshot(product) -> ev.EvidenceSnapshot:
    """The evidence snapshot of `product` as the database holds it now."""
    made = lots.lot_rows(product)
    # The lots' records are read with this query of their ids (a subquery), never a list of ids:
    # 10,000 ids as parameters are slow to send and past SQLite's limit at 32,767.
    lot_ids = Lot.objects.filter(product=product).values("pk")
    process_ids = {lot["process_id"] for lot in made}
    spec_ids = {lot["specification_id"] for lot in made}
    processes = list(
        _in_evidence(ProcessDefinition.objects.filter(product=product), process_ids).select_related(
            "change_request"
        )
    )
    specs = list(
        _in_evidence(Specification.objects.filter(product=product), spec_ids).select_related(
            "product", "change_request"
        )
    )
    banks = list(CellBank.objects.filter(lots__in=lot_ids).distinct().select_related("donor", "parent"))
    material_lots = list(
        MaterialLot.objects.filter(usages__lot__in=lot_ids)
        .distinct()
        .select_related("material", "coa_document")
    )
    cell_banks, donors = dossier.cell_banks_and_donors(banks)
    materials, mlots = dossier.materials_and_lots(material_lots)
    out_lots, deviations = lots.lots_and_deviations(made, lot_ids)
    administrations, adverse_events = clinical.administrations_and_events(lot_ids)
    specifications = dossier.specification_versions(specs)
    process_evidence = dossier.process_definitions(processes)
    latest_ids = {}
    for spec in specifications:  # later versions win: a potency assay names the current attribute
        for attribute in spec.attributes:
            latest_ids[attribute.id.rsplit("@", 1)[0]] = attribute.id
    return ev.EvidenceSnapshot(
        product=dossier.product_evidence(product),
        donors=donors,
        cell_banks=cell_banks,
        materials=materials,
        material_lots=mlots,
        processes=process_evidence,
        specifications=specifications,
        lots=out_lots,
        deviations=deviations,
        retention_samples=clinical.retention_samples(lot_ids, [m.pk for m in material_lots]),
        administrations=administrations,
        adverse_events=adverse_events,
        **clinical.collection(product, lot_ids),
        risk_register=qms.risk_register(product),
        studies=studies.studies(product, latest_ids),
        qms_documents=qms.qms_documents(),
        attestations=qms.attestations(product),
        quality_records=quality.quality_records(out_lots, process_evidence, lot_ids),
    )


def _in_evidence(versions, used_ids):
    """The approved and superseded versions, and any version a lot was made on or tested against."""
    return versions.filter(Q(status__in=("approved", "superseded")) | Q(pk__in=used_ids))


def citable_records(product, *, lots: bool = True) -> list[str]:
    """What an attestation may cite ('kind:id'): the keys of
    `guidance.checks.attestation.record_dates(build_snapshot(product))`, read as a few queries of
    ids. The compliance page offers them on every view, and the whole snapshot grows with the lots.
    `lots=False`: all but the lots (the page offers those as a typed list, not one box a lot)."""
    made = Lot.objects.filter(product=product)
    keys = {f"product:{product.code}"}
    register = current_register(product)
    if register is not None:
        keys.add(f"risk_register:{register.code}")
    specs = _in_evidence(Specification.objects.filter(product=product), made.values("specification_id"))
    if specs.exists():
        keys.add(f"specification:{specification_id(product.code)}")
    processes = _in_evidence(ProcessDefinition.objects.filter(product=product), made.values("process_id"))
    keys.update(f"process:{v}" for v in processes.values_list("version", flat=True))
    documents = QMSElementDocument.objects.values_list("document__code", "document__version")
    keys.update(f"qms_document:{qms_document_id(code, version)}" for code, version in documents)
    if lots:
        keys.update(f"lot:{number}" for number in made.values_list("number", flat=True))
    keys.update(f"study:{study}" for study in studies.study_ids(product))
    return sorted(keys)
