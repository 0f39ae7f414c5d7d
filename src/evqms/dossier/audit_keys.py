"""How the audit trail finds the dossier's records (see audit/keys.py).

A product's history holds its process and specification versions (not its lots: those have
their own); a donor's its cell banks; a cell bank's the banks made from it."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import (
    children_by,
    names_by,
    register_area,
    register_children,
    register_key,
    register_record,
    resolve_by,
)
from evqms.dossier.models import (
    CellBank,
    Document,
    Donor,
    InfectiousMarker,
    Material,
    MaterialLot,
    ProcessDefinition,
    Product,
    Specification,
)

register_area("dossier", label=_("Product dossier"))
register_record(
    "product",
    label=_("Product"),
    area="dossier",
    names=names_by(Product, "code"),
    url_name="dossier:product-detail",
)
register_record(
    "process",
    label=_("Process"),
    area="dossier",
    names=names_by(ProcessDefinition, ("product__code", "version"), fmt=lambda code, v: f"{code} v{v}"),
)
register_record(
    "specification",
    label=_("Specification"),
    area="dossier",
    names=names_by(Specification, ("product__code", "version"), fmt=lambda code, v: f"{code} v{v}"),
)
register_record(
    "document",
    label=_("Document"),
    area="dossier",
    names=names_by(Document, ("code", "version"), fmt=lambda code, v: f"{code} v{v}"),
)
register_record("donor", label=_("Donor"), area="dossier", names=names_by(Donor, "code"))
register_record("cell_bank", label=_("Cell bank"), area="dossier", names=names_by(CellBank, "code"))
register_record("material", label=_("Material"), area="dossier", names=names_by(Material, "name"))
register_record(
    "material_lot",
    label=_("Material lot"),
    area="dossier",
    names=names_by(
        MaterialLot, ("material__name", "lot_number"), fmt=lambda name, number: f"{name} {number}"
    ),
)
register_record(
    "infectious_marker",
    label=_("Infectious marker"),
    area="dossier",
    names=names_by(InfectiousMarker, "code"),
)
register_key("product", label=_("Product code"), object_type="product", resolve=resolve_by(Product, "code"))
register_key(
    "cell_bank", label=_("Cell bank code"), object_type="cell_bank", resolve=resolve_by(CellBank, "code")
)
register_key("donor", label=_("Donor code"), object_type="donor", resolve=resolve_by(Donor, "code"))
register_key(
    "material_lot",
    label=_("Material lot number"),
    object_type="material_lot",
    resolve=resolve_by(MaterialLot, "lot_number"),
)
register_key(
    "document", label=_("Document code"), object_type="document", resolve=resolve_by(Document, "code")
)
register_children("product", children_by(ProcessDefinition, "product_id", "process"))
register_children("product", children_by(Specification, "product_id", "specification"))
register_children("donor", children_by(CellBank, "donor_id", "cell_bank"))
register_children("cell_bank", children_by(CellBank, "parent_id", "cell_bank"))
