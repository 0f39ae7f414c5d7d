"""Permissions as `rules` predicates over roles. Services call `require(user, perm)`."""

from __future__ import annotations

import rules

from evqms.accounts import roles
from evqms.errors import PermissionDenied
from evqms.i18n import _


def has_role(*names: str):
    @rules.predicate(name=f"has_role({','.join(names)})")
    def predicate(user) -> bool:
        if not user or not user.is_authenticated or not user.is_active:
            return False
        return bool(user.role_set().intersection(names))

    return predicate


is_operator = has_role(roles.OPERATOR)
is_qc_analyst = has_role(roles.QC_ANALYST)
is_qa_reviewer = has_role(roles.QA_REVIEWER)
is_physician = has_role(roles.PHYSICIAN)
is_auditor = has_role(roles.AUDITOR)
is_administrator = has_role(roles.ADMINISTRATOR)
is_staff_member = has_role(*roles.ROLES)  # any role: may read the QMS

rules.add_perm("audit.view", is_auditor | is_qa_reviewer | is_administrator)
rules.add_perm("evqms.manage_users", is_administrator)


def require(user, perm: str, obj=None) -> None:
    """Raise PermissionDenied unless `user` has `perm`: the check lives in services, not only views."""
    if user is None or not user.has_perm(perm, obj):
        who = getattr(user, "username", None) or _("anonymous")
        raise PermissionDenied(_("{user} may not do this ({perm})").format(user=who, perm=perm))


# Every person with a role may make API tokens for themselves, see and revoke them.
rules.add_perm("accounts.own_tokens", is_staff_member)
# Every person with a role sets their own notification e-mails.
rules.add_perm("accounts.own_notifications", is_staff_member)
