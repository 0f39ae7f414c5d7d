"""Who may do what with studies: QC analysts record, every staff member reads."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_qa_reviewer, is_qc_analyst, is_staff_member

rules.add_perm("studies.view", is_staff_member)
rules.add_perm("studies.record", is_qc_analyst)  # NTA exports, potency runs, stability results
rules.add_perm("studies.define", is_qc_analyst | is_qa_reviewer)  # assays, stability/in-vivo study records
