"""Reads of the product dossier (pages, API, dashboard card)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from evqms.audit.selectors import SignatureStatus, signatures_for
from evqms.core.db import counts
from evqms.dossier import models as m
from evqms.dossier import records, services


def product_list(search: str | None = None):
    qs = m.Product.objects.select_related("responsible_physician").annotate(
        n_process=Count("processes", distinct=True),
        n_spec=Count("specifications", distinct=True),
    )
    if search:
        qs = qs.filter(
            Q(code__icontains=search) | Q(name__icontains=search) | Q(indications__icontains=search)
        )
    return qs.order_by("code")


def get_product(code: str) -> m.Product | None:
    return m.Product.objects.select_related("responsible_physician").filter(code=code).first()


def processes(product: m.Product):
    steps = m.ProcessStep.objects.order_by("order").prefetch_related(
        Prefetch("parameters", queryset=m.ProcessParameter.objects.order_by("id"))
    )
    return (
        m.ProcessDefinition.objects.filter(product=product)
        .select_related("change_request")
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("-version")
    )


def specifications(product: m.Product):
    attrs = m.SpecAttribute.objects.order_by("order", "id")
    return (
        m.Specification.objects.filter(product=product)
        .select_related("change_request")
        .prefetch_related(Prefetch("attributes", queryset=attrs))
        .order_by("-version")
    )


def current_specification(product: m.Product) -> m.Specification | None:
    return m.Specification.objects.filter(product=product, status="approved").order_by("-version").first()


@dataclass
class BankNode:
    bank: m.CellBank
    depth: int


@dataclass
class DonorLineage:
    donor: m.Donor
    gaps: list[str]
    results: list
    banks: list[BankNode] = field(default_factory=list)


def lineage() -> list[DonorLineage]:
    """Donors with their banks as an indented tree (donor -> MCB -> WCB ...), two queries."""
    banks = list(m.CellBank.objects.select_related("donor", "parent").order_by("code"))
    children: dict[int | None, list[m.CellBank]] = {}
    for b in banks:
        children.setdefault(b.parent_id, []).append(b)
    out = []
    for donor in m.Donor.objects.prefetch_related("test_results__marker").order_by("code"):
        node = DonorLineage(
            donor=donor,
            gaps=services.panel_gaps(donor),
            results=sorted(donor.test_results.all(), key=lambda r: (r.marker.code, r.tested_on)),
        )
        stack = [(b, 0) for b in reversed([b for b in banks if b.donor_id == donor.pk])]
        seen = set()
        while stack:
            bank, depth = stack.pop()
            if bank.pk in seen:  # a cycle cannot be stored through the services; stay safe anyway
                continue
            seen.add(bank.pk)
            node.banks.append(BankNode(bank, depth))
            stack.extend((c, depth + 1) for c in reversed(children.get(bank.pk, [])))
        out.append(node)
    return out


def material_lots():
    return m.MaterialLot.objects.select_related("material", "coa_document").order_by(
        "material__name", "lot_number"
    )


def materials():
    """Every material with its number of received lots (one without lots shows too)."""
    return m.Material.objects.annotate(n_lots=Count("lots")).order_by("name", "supplier")


def material_has_lots(material: m.Material) -> bool:
    return material.lots.exists()


@dataclass
class DocumentRow:
    document: m.Document
    signatures: list[SignatureStatus]


def documents() -> list[DocumentRow]:
    rows = []
    for doc in m.Document.objects.select_related("uploaded_by").order_by("code", "-version"):
        rows.append(DocumentRow(doc, signatures_for("document", doc.pk, records.document_signed_record(doc))))
    return rows


def file_intact(doc: m.Document) -> bool:
    digest = hashlib.sha256()
    try:
        with doc.file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == doc.sha256


def process_signatures(process: m.ProcessDefinition) -> list[SignatureStatus]:
    return signatures_for("process", process.pk, records.process_signed_record(process))


def specification_signatures(spec: m.Specification) -> list[SignatureStatus]:
    return signatures_for("specification", spec.pk, records.specification_signed_record(spec))


def dashboard_card(user) -> dict | None:
    if not user.has_perm("dossier.view"):
        return None
    from evqms.i18n import _

    n = counts(
        products=m.Product.objects.all(),
        processes=m.ProcessDefinition.objects.filter(status="draft"),
        specifications=m.Specification.objects.filter(status="draft"),
        documents=m.Document.objects.filter(status="draft"),
        material_lots=m.MaterialLot.objects.filter(acceptance_status="quarantine"),
    )
    pending = n["processes"] + n["specifications"] + n["documents"] + n["material_lots"]
    return {
        "title": _("Product dossier"),
        "value": n["products"],
        "caption": _("products; {n} drafts or quarantined material lots to decide").format(n=pending),
        "url_name": "dossier:product-list",
    }
