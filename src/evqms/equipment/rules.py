"""Who may do what with rooms and instruments (services call `require`; views ask `has_perm`).

QA keeps the register and decides what an overdue instrument means (refuse, or record with a
deviation) and when an instrument returns to service; the people who use the instruments record
their calibration and maintenance and take one out of service when it fails."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_operator, is_qa_reviewer, is_qc_analyst, is_staff_member

rules.add_perm("equipment.view", is_staff_member)
rules.add_perm("equipment.manage", is_qa_reviewer)  # rooms, instruments, overdue policy
rules.add_perm("equipment.record_calibration", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("equipment.record_maintenance", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("equipment.take_out_of_service", is_operator | is_qc_analyst | is_qa_reviewer)
rules.add_perm("equipment.return_to_service", is_qa_reviewer)
