"""Who may trace and recall."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_auditor, is_physician, is_qa_reviewer, is_qc_analyst

rules.add_perm("trace.view", is_qa_reviewer | is_physician | is_auditor | is_qc_analyst)
rules.add_perm("trace.recall", is_qa_reviewer)
