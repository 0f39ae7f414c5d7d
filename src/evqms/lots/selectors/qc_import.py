"""Reads for the QC import page: the specifications a template can be made for and the lots that
take results now."""

from __future__ import annotations

from evqms.dossier.models import Specification
from evqms.lots.models import Lot
from evqms.lots.services.qc import QC_OPEN_STATUSES


def template_specifications(lot: Lot | None = None) -> list[Specification]:
    """The lot's own specification; otherwise the specifications of the lots open for QC, and every
    approved one (a template may be wanted before a lot reaches QC), newest version first."""
    if lot is not None:
        return [lot.specification]
    used = Lot.objects.filter(status__in=QC_OPEN_STATUSES).values("specification_id")
    query = Specification.objects.filter(status="approved") | Specification.objects.filter(pk__in=used)
    return list(query.select_related("product").distinct().order_by("product__code", "-version"))


def lots_open_for_qc() -> list[Lot]:
    """Lots in QC or in quarantine (they take QC results), oldest first."""
    return list(
        Lot.objects.filter(status__in=QC_OPEN_STATUSES)
        .select_related("product", "specification")
        .order_by("manufactured_on", "number")
    )
