"""Who may do what with clinical records."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_auditor, is_physician, is_qa_reviewer, is_qc_analyst

# Clinical records are read by those who need them: physicians, QA, auditors.
rules.add_perm("clinical.view", is_physician | is_qa_reviewer | is_auditor)
rules.add_perm("clinical.register_patient", is_physician)
rules.add_perm("clinical.record_administration", is_physician)
rules.add_perm("clinical.record_adverse_event", is_physician | is_qa_reviewer)
rules.add_perm("clinical.record_investigation", is_physician | is_qa_reviewer | is_qc_analyst)
