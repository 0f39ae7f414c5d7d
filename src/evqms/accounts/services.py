"""Writes for users and roles; each writes its audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from evqms.accounts import roles
from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.errors import InputError
from evqms.i18n import _


def ensure_role_groups() -> None:
    for name in roles.ROLES:
        Group.objects.get_or_create(name=name)


def _user_record(user) -> dict:
    return {
        "username": user.username,
        "printed_name": user.printed_name,
        "email": user.email,
        "is_active": user.is_active,
        "roles": user.role_names(),
    }


@transaction.atomic
def create_user(
    *,
    acting_user,
    username: str,
    password: str,
    role_names: list[str],
    printed_name: str = "",
    email: str = "",
    check_permission: bool = True,
):
    """Create a user with roles. `acting_user` None means the command line on the server (system)."""
    if check_permission and acting_user is not None:
        require(acting_user, "evqms.manage_users")
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise InputError(_("a user name is required"), where="username")
    unknown = [r for r in role_names if r not in roles.ROLES]
    if unknown:
        raise InputError(
            _("unknown role {role}; choose from {choices}").format(
                role=", ".join(unknown), choices=", ".join(roles.ROLES)
            ),
            where="role",
        )
    if not role_names:
        raise InputError(_("at least one role is required"), where="role")
    if User.objects.filter(username=username).exists():
        raise InputError(_("user {name} already exists").format(name=username), where="username")
    user = User(username=username, printed_name=printed_name or username, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InputError(" ".join(str(m) for m in exc.messages), where="password") from exc
    user.set_password(password)
    user.save()
    ensure_role_groups()
    user.groups.set(Group.objects.filter(name__in=role_names))
    if roles.ADMINISTRATOR in role_names:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    record_event(
        actor=acting_user,
        action="user.create",
        object_type="user",
        object_id=user.pk,
        after=_user_record(user),
    )
    return user


@transaction.atomic
def set_roles(*, acting_user, user, role_names: list[str], reason: str):
    require(acting_user, "evqms.manage_users")
    unknown = [r for r in role_names if r not in roles.ROLES]
    if unknown:
        raise InputError(
            _("unknown role {role}; choose from {choices}").format(
                role=", ".join(unknown), choices=", ".join(roles.ROLES)
            ),
            where="role",
        )
    before = _user_record(user)
    ensure_role_groups()
    user.groups.set(Group.objects.filter(name__in=role_names))
    user._evqms_roles = None
    record_event(
        actor=acting_user,
        action="user.set_roles",
        object_type="user",
        object_id=user.pk,
        before=before,
        after=_user_record(user),
        reason=reason,
    )
    return user
