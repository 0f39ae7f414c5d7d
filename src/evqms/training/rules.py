"""Who may do what with training records and media fills (services call `require`)."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_qa_reviewer, is_staff_member

rules.add_perm("training.view", is_staff_member)
# QA keeps the training file and signs the media fills (a trainer is named on each record).
rules.add_perm("training.record_training", is_qa_reviewer)
rules.add_perm("training.revoke_training", is_qa_reviewer)
rules.add_perm("training.record_media_fill", is_qa_reviewer)
