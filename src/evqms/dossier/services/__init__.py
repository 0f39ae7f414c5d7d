"""Writes to the product dossier, one module per part (products, donors, cell banks, materials,
documents, processes, specifications), re-exported here. Every function checks the actor's role,
validates, writes and records an audit event (before/after) in one transaction.

Versioned records (documents, process definitions, specifications) follow one life cycle:
draft -> approved (QA, electronic signature "approval", password re-entered, never by an author
of the version) -> superseded (when a later version is approved). Approved and superseded
versions are never edited: a change is a new draft that starts as a copy of the latest version.
"""

from __future__ import annotations

from evqms.dossier.services._common import EDITABLE, ImmutableRecord
from evqms.dossier.services.cell_banks import CELL_BANK_FIELDS, create_cell_bank, update_cell_bank
from evqms.dossier.services.documents import approve_document, upload_document
from evqms.dossier.services.donors import (
    DONOR_FIELDS,
    add_infectious_marker,
    create_donor,
    panel_gaps,
    record_donor_test,
    set_donor_eligibility,
    update_donor,
)
from evqms.dossier.services.materials import (
    MATERIAL_FIELDS,
    MATERIAL_FIXED_ONCE_RECEIVED,
    MATERIAL_LOT_EDITABLE,
    create_material,
    decide_material_lot,
    receive_material_lot,
    update_material,
    update_material_lot,
)
from evqms.dossier.services.processes import (
    add_process_parameter,
    add_process_step,
    approve_process,
    create_process_version,
    link_process_change_request,
    remove_process_parameter,
    remove_process_step,
    set_process_materials,
    update_process,
    update_process_parameter,
    update_process_step,
)
from evqms.dossier.services.products import PRODUCT_FIELDS, create_product, update_product
from evqms.dossier.services.specifications import (
    add_spec_attribute,
    approve_specification,
    create_specification_from_template,
    create_specification_version,
    link_specification_change_request,
    remove_spec_attribute,
    set_shelf_life,
    update_spec_attribute,
    update_specification,
)

__all__ = [
    "CELL_BANK_FIELDS",
    "DONOR_FIELDS",
    "EDITABLE",
    "ImmutableRecord",
    "MATERIAL_FIELDS",
    "MATERIAL_FIXED_ONCE_RECEIVED",
    "MATERIAL_LOT_EDITABLE",
    "PRODUCT_FIELDS",
    "add_infectious_marker",
    "add_process_parameter",
    "add_process_step",
    "add_spec_attribute",
    "approve_document",
    "approve_process",
    "approve_specification",
    "create_cell_bank",
    "create_donor",
    "create_material",
    "create_process_version",
    "create_product",
    "create_specification_from_template",
    "create_specification_version",
    "link_process_change_request",
    "link_specification_change_request",
    "decide_material_lot",
    "panel_gaps",
    "receive_material_lot",
    "record_donor_test",
    "remove_process_parameter",
    "remove_process_step",
    "remove_spec_attribute",
    "set_process_materials",
    "set_shelf_life",
    "set_donor_eligibility",
    "update_cell_bank",
    "update_donor",
    "update_material",
    "update_material_lot",
    "update_process",
    "update_process_parameter",
    "update_process_step",
    "update_product",
    "update_spec_attribute",
    "update_specification",
    "upload_document",
]
