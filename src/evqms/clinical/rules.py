"""Who may do what with clinical records."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_auditor, is_physician, is_qa_reviewer, is_qc_analyst

# One policy for patient codes and clinical pages: those who need them (physicians, QA, auditors) read
# clinical records and see patient codes; everyone else (operators, QC analysts, administrators) sees
# counts, never codes (trace, recall, inventory, API). A QC analyst records investigations, so opens
# the adverse events they investigate, without the patient's code.
needs_patient_codes = is_physician | is_qa_reviewer | is_auditor
rules.add_perm("clinical.view_patient_codes", needs_patient_codes)
rules.add_perm("clinical.view", needs_patient_codes)
rules.add_perm("clinical.view_adverse_event", needs_patient_codes | is_qc_analyst)
rules.add_perm("clinical.register_patient", is_physician)
rules.add_perm("clinical.record_administration", is_physician)
rules.add_perm("clinical.record_adverse_event", is_physician | is_qa_reviewer)
rules.add_perm("clinical.record_investigation", is_physician | is_qa_reviewer | is_qc_analyst)
# Outcomes and safety reporting are the physician's: which instruments a product uses, the
# evaluations, and the signed submission of a safety report.
rules.add_perm("clinical.manage_outcomes", is_physician)
rules.add_perm("clinical.record_evaluation", is_physician)
rules.add_perm("clinical.record_safety_report", is_physician)
