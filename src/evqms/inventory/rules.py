"""Who may do what with stock and retention samples (services call `require`; views ask `has_perm`)."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_operator, is_physician, is_qa_reviewer, is_qc_analyst, is_staff_member

rules.add_perm("inventory.view", is_staff_member)
rules.add_perm("inventory.manage_locations", is_operator | is_qa_reviewer)
rules.add_perm("inventory.manage_stock", is_operator | is_qa_reviewer)  # aliquots, moves, discards, shipments
rules.add_perm("inventory.reserve", is_operator | is_physician)
rules.add_perm("inventory.record_excursion", is_operator | is_qa_reviewer)
rules.add_perm("inventory.assess_excursion", is_qa_reviewer)  # aliquots held by a storage excursion
rules.add_perm("inventory.record_retention", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("inventory.manage_consignees", is_operator | is_qa_reviewer)
