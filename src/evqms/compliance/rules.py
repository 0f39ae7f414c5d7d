"""Who may do what with compliance records (services call `require`; views ask `user.has_perm`)."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_physician, is_qa_reviewer, is_staff_member

rules.add_perm("compliance.view", is_staff_member)
rules.add_perm("compliance.run_assessment", is_qa_reviewer | is_physician)
rules.add_perm("compliance.edit_risk_register", is_qa_reviewer | is_physician)
rules.add_perm("compliance.approve_risk_register", is_qa_reviewer | is_physician)
rules.add_perm("compliance.attest", is_qa_reviewer | is_physician)
rules.add_perm("compliance.manage_qms_links", is_qa_reviewer)
