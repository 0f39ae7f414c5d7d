"""Who may do what in the landscape monitor: any role reads; QA reviewers and administrators
record manual classifications and store new snapshots from the web or API."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_administrator, is_qa_reviewer, is_staff_member

rules.add_perm("landscape.view", is_staff_member)
rules.add_perm("landscape.override_trial", is_qa_reviewer | is_administrator)
rules.add_perm("landscape.override_clinic", is_qa_reviewer | is_administrator)
rules.add_perm("landscape.store_snapshot", is_qa_reviewer | is_administrator)
