"""Who may see and correct identifiers that break the identifier rule."""

from __future__ import annotations

import rules

from evqms.accounts.rules import is_administrator, is_auditor, is_qa_reviewer

rules.add_perm("web.view_identifier_check", is_qa_reviewer | is_auditor | is_administrator)
rules.add_perm("web.correct_identifier", is_qa_reviewer)
