"""Who may trace, recall, hold and follow a recall's shipped units."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_auditor, is_operator, is_physician, is_qa_reviewer, is_qc_analyst

rules.add_perm("trace.view", is_qa_reviewer | is_physician | is_auditor | is_qc_analyst)
rules.add_perm("trace.recall", is_qa_reviewer)
rules.add_perm("trace.hold", is_qa_reviewer)
# The physician who sees a serious adverse event may stop the lots behind it at once (signed); lifting
# that hold, like any other, stays with QA (trace.hold).
rules.add_perm("trace.hold_from_event", is_qa_reviewer | is_physician)
# Confirming a shipped unit's fate (returned, destroyed, administered) is recorded by whoever handled
# it in the stores or QA; closing the recall stays with QA.
rules.add_perm("trace.recall_effectiveness", is_qa_reviewer | is_operator)
# Destroying held stock kept in-house (controlled disposal, signed) is QA's decision alone.
rules.add_perm("trace.destroy_held", is_qa_reviewer)
