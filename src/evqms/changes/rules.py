"""Who may propose, approve, implement and close a change."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_operator, is_qa_reviewer, is_qc_analyst, is_staff_member

rules.add_perm("changes.view", is_staff_member)
# Whoever works on the process, the methods or the documents may propose a change; QA decides it.
rules.add_perm("changes.propose", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("changes.approve", is_qa_reviewer)
rules.add_perm("changes.implement", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("changes.close", is_qa_reviewer)
