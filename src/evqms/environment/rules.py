"""Who may do what in environmental monitoring: QC analysts sample and record, QA sets the
limits, the points and their schedules and reviews excursions; every staff member reads."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_qa_reviewer, is_qc_analyst, is_staff_member

rules.add_perm("environment.view", is_staff_member)
rules.add_perm("environment.record", is_qc_analyst)  # results, imports, missed samples
rules.add_perm("environment.plan", is_qa_reviewer | is_qc_analyst)  # due samples for a period
rules.add_perm("environment.manage", is_qa_reviewer)  # sampling points and schedules
rules.add_perm("environment.set_limits", is_qa_reviewer)
rules.add_perm("environment.review", is_qa_reviewer)  # alert and action results
