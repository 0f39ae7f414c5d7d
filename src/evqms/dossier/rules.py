"""Who may do what in the product dossier (services call `require`; views ask `user.has_perm`)."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_operator, is_physician, is_qa_reviewer, is_qc_analyst, is_staff_member

rules.add_perm("dossier.view", is_staff_member)
# Product records: QA keeps the dossier; the responsible physician may set it up too.
rules.add_perm("dossier.manage_product", is_qa_reviewer | is_physician)
rules.add_perm("dossier.manage_donor", is_operator | is_qa_reviewer)
rules.add_perm("dossier.manage_cell_bank", is_operator | is_qa_reviewer)
rules.add_perm("dossier.manage_material", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("dossier.decide_material_lot", is_qa_reviewer | is_qc_analyst)
rules.add_perm("dossier.upload_document", is_operator | is_qc_analyst | is_qa_reviewer | is_physician)
rules.add_perm("dossier.approve_document", is_qa_reviewer)
rules.add_perm("dossier.edit_process", is_operator | is_qa_reviewer)
rules.add_perm("dossier.approve_process", is_qa_reviewer)
rules.add_perm("dossier.edit_specification", is_qc_analyst | is_qa_reviewer)
rules.add_perm("dossier.approve_specification", is_qa_reviewer)
rules.add_perm("dossier.manage_marker_panel", is_qa_reviewer)
