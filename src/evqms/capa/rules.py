"""Who may read and work CAPA (services call `require`; views ask `user.has_perm`)."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_auditor, is_operator, is_qa_reviewer, is_qc_analyst, is_staff_member


@rules.predicate
def owns_action(user, action) -> bool:
    """The owner of a CAPA action records it done (QA may too)."""
    return action is not None and getattr(action, "owner_id", None) == getattr(user, "pk", None)


# Deviations are read by whoever reads lots (the lot page lists them); their writes are lots'
# permissions (lots.open_deviation, lots.classify_deviation, ...).
rules.add_perm("deviations.view", is_staff_member)
rules.add_perm("capa.view", is_qa_reviewer | is_operator | is_qc_analyst | is_auditor)
rules.add_perm("capa.manage", is_qa_reviewer)  # open a CAPA, link deviations, plan actions
rules.add_perm("capa.complete_action", is_qa_reviewer | owns_action)
rules.add_perm("capa.check_effectiveness", is_qa_reviewer)
rules.add_perm("capa.close", is_qa_reviewer)
