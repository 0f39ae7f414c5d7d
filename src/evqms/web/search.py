"""One search box: a record found by any of its identifiers (lot, aliquot, material lot, donor, cell
bank, patient code, deviation, recall, hold, document code, shipment, ...), among the records the
person may open.

The text is read as core.identifiers reads an identifier (Unicode NFKC, trimmed) and compared
ignoring letter case, exactly: a search box that goes straight to a record must not guess. Each kind
is asked only of those whose role opens its page, so a physician finds a patient by code and a QC
analyst does not (clinical.view_patient_codes). One query per kind the person may open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from evqms.capa.models import Capa
from evqms.changes.models import ChangeRequest
from evqms.clinical.models import Administration, AdverseEvent, Patient, SafetyReport
from evqms.core import identifiers
from evqms.dossier.models import CellBank, Document, Donor, MaterialLot, Product
from evqms.equipment.models import Instrument
from evqms.inventory.models import Aliquot, Shipment
from evqms.lots.models import Deviation, Lot
from evqms.trace.models import Hold, Recall

# Longer than any identifier's rule allows (max_length): nothing stored can match, so no query.
LONGEST = 100


@dataclass(frozen=True)
class Hit:
    kind: str
    label: str  # the kind as a person reads it
    identifier: str
    detail: str
    url: str


def _link(name: str, *args, anchor: str = "", query: dict | None = None) -> str | None:
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:  # a stored identifier that breaks the rule cannot be put in a URL
        return None
    if query:
        url += "?" + urlencode(query)
    return url + (f"#{anchor}" if anchor else "")


def _first_product() -> str | None:
    return Product.objects.order_by("code").values_list("code", flat=True).first()


def _lineage_link(user, direction: str, code: str, anchor: str) -> str | None:
    """Donors, cell banks and material lots have no page of their own: their trace (what came from
    them) for those who may trace, else the dossier's lineage or materials table."""
    if user.has_perm("trace.view"):
        return _link("trace:trace", direction, code)
    product = _first_product()
    return _link("dossier:product-detail", product, anchor=anchor) if product else None


@dataclass(frozen=True)
class Source:
    kind: str
    label: Callable[[], str]
    permission: str
    find: Callable[[str], list[tuple[str, str, tuple]]]  # text -> [(identifier, detail, link key)]
    link: Callable[..., str | None]  # (user, identifier, *key) -> url


def _rows(queryset, field: str, *extra: str):
    def find(text: str):
        return [
            (row[0], row[1] or "", tuple(row[2:]))
            for row in queryset().filter(**{f"{field}__iexact": text}).values_list(field, *extra)[:20]
        ]

    return find


SOURCES: tuple[Source, ...] = (
    Source(
        "lot",
        lambda: _("Lot"),
        "lots.view",
        _rows(lambda: Lot.objects, "number", "product__code"),
        lambda user, number: _link("lots:lot-detail", number),
    ),
    Source(
        "deviation",
        lambda: _("Deviation"),
        "lots.view",
        _rows(lambda: Deviation.objects, "number", "description"),
        # the deviation's own page: a deviation may name several lots, or none
        lambda user, number: _link("deviations:detail", number),
    ),
    Source(
        "capa",
        lambda: _("CAPA"),
        "capa.view",
        _rows(lambda: Capa.objects, "number", "title"),
        lambda user, number: _link("capa:detail", number),
    ),
    Source(
        "change_request",
        lambda: _("Change request"),
        "changes.view",
        _rows(lambda: ChangeRequest.objects, "number", "title"),
        lambda user, number: _link("changes:detail", number),
    ),
    Source(
        "instrument",
        lambda: _("Instrument"),
        "equipment.view",
        _rows(lambda: Instrument.objects, "identifier", "name"),
        lambda user, identifier: _link("equipment:instrument-detail", identifier),
    ),
    Source(
        "aliquot",
        lambda: _("Aliquot"),
        "inventory.view",
        _rows(lambda: Aliquot.objects, "container_id", "lot__number"),
        lambda user, code: _link("inventory:aliquot-detail", code),
    ),
    Source(
        "shipment",
        lambda: _("Shipment"),
        "inventory.view",
        _rows(lambda: Shipment.objects, "number", "consignee__name"),
        lambda user, number: _link("inventory:shipment-detail", number),
    ),
    Source(
        "material_lot",
        lambda: _("Material lot"),
        "dossier.view",
        _rows(lambda: MaterialLot.objects, "lot_number", "material__name"),
        lambda user, code: _lineage_link(user, "material_lot", code, "materials"),
    ),
    Source(
        "donor",
        lambda: _("Donor"),
        "dossier.view",
        _rows(lambda: Donor.objects, "code", "code"),
        lambda user, code: _lineage_link(user, "donor", code, "lineage"),
    ),
    Source(
        "cell_bank",
        lambda: _("Cell bank"),
        "dossier.view",
        _rows(lambda: CellBank.objects, "code", "kind"),
        lambda user, code: _lineage_link(user, "cell_bank", code, "lineage"),
    ),
    Source(
        "product",
        lambda: _("Product"),
        "dossier.view",
        _rows(lambda: Product.objects, "code", "name"),
        lambda user, code: _link("dossier:product-detail", code),
    ),
    Source(
        "document",
        lambda: _("Document"),
        "dossier.view",
        _rows(lambda: Document.objects.values("code").annotate(latest=Max("version")), "code", "latest"),
        lambda user, code: (
            _link("dossier:product-detail", product, anchor="documents")
            if (product := _first_product())
            else None
        ),
    ),
    Source(
        "patient",
        lambda: _("Patient"),
        "clinical.view_patient_codes",
        _rows(lambda: Patient.objects, "code", "code"),
        lambda user, code: (
            _link("clinical:administration-list", query={"q": code})
            if user.has_perm("clinical.view")
            else None
        ),
    ),
    Source(
        "administration",
        lambda: _("Administration"),
        "clinical.view",
        _rows(lambda: Administration.objects, "number", "patient__code"),
        lambda user, number: _link("clinical:administration-detail", number),
    ),
    Source(
        "adverse_event",
        lambda: _("Adverse event"),
        "clinical.view_adverse_event",
        _rows(lambda: AdverseEvent.objects, "number", "ctcae_term"),
        lambda user, number: _link("clinical:adverse-event-detail", number),
    ),
    Source(
        "safety_report",
        lambda: _("Safety report"),
        "clinical.view",
        _rows(lambda: SafetyReport.objects, "number", "kind"),
        lambda user, number: _link("clinical:safety-report-detail", number),
    ),
    Source(
        "recall",
        lambda: _("Recall"),
        "trace.view",
        _rows(lambda: Recall.objects, "number", "lot__number"),
        lambda user, number: _link("trace:recall-detail", number),
    ),
    Source(
        "hold",
        lambda: _("Hold"),
        "trace.view",
        _rows(lambda: Hold.objects, "number", "subject"),
        lambda user, number: _link("trace:hold-detail", number),
    ),
)


def query_text(raw) -> str:
    """What is searched for: NFKC, trimmed (core.identifiers.normalise)."""
    return identifiers.normalise(raw)


def find(user, raw) -> list[Hit]:
    """The records `user` may open whose identifier is `raw` (ignoring case), in SOURCES' order."""
    text = query_text(raw)
    if not text or len(text) > LONGEST or user is None or not user.is_authenticated:
        return []
    if not text.isprintable():  # no identifier holds a control character (PostgreSQL refuses NUL)
        return []
    hits: list[Hit] = []
    for source in SOURCES:
        if not user.has_perm(source.permission):
            continue
        for identifier, detail, key in source.find(text):
            url = source.link(user, identifier, *key)
            if url:
                hits.append(Hit(source.kind, str(source.label()), identifier, str(detail), url))
    return hits
