"""Who may do what with lots (services call `require`; views ask `user.has_perm`)."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_operator, is_qa_reviewer, is_qc_analyst, is_staff_member

rules.add_perm("lots.view", is_staff_member)
rules.add_perm("lots.create_lot", is_operator)
rules.add_perm("lots.record_manufacturing", is_operator)  # materials used, step records
rules.add_perm("lots.submit_to_qc", is_operator | is_qa_reviewer)
rules.add_perm("lots.record_qc_result", is_qc_analyst)
rules.add_perm("lots.import_qc_results", is_qc_analyst)
rules.add_perm("lots.verify_qc_result", is_qc_analyst | is_qa_reviewer)
rules.add_perm("lots.invalidate_qc_result", is_qc_analyst | is_qa_reviewer)
rules.add_perm("lots.complete_qc", is_qc_analyst | is_qa_reviewer)
rules.add_perm("lots.open_deviation", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("lots.close_deviation", is_qa_reviewer)
rules.add_perm("lots.classify_deviation", is_qa_reviewer)
rules.add_perm("lots.investigate_deviation", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("lots.assess_deviation_impact", is_qa_reviewer)
rules.add_perm("lots.release_lot", is_qa_reviewer)
rules.add_perm("lots.reject_lot", is_qa_reviewer)
rules.add_perm("lots.mark_expired", is_qa_reviewer)
rules.add_perm("lots.set_expiry", is_operator | is_qa_reviewer)
# Method suitability of sterility, endotoxin and mycoplasma tests: QC records, QA approves (signature).
rules.add_perm("lots.record_method_suitability", is_qc_analyst)
rules.add_perm("lots.approve_method_suitability", is_qa_reviewer)
