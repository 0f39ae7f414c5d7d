"""Writes for users and roles; each writes its audit event in the same transaction."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evqms.accounts import roles
from evqms.accounts.records import api_token_record, user_record
from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.converters import UsernameConverter
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _

USERNAME_RE = re.compile(UsernameConverter.regex)  # the user pages' URLs accept exactly these


def ensure_role_groups() -> None:
    for name in roles.ROLES:
        Group.objects.get_or_create(name=name)


def _check_roles(role_names: list[str]) -> None:
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


@transaction.atomic
def create_user(
    *,
    actor,
    username: str,
    password: str,
    role_names: list[str],
    printed_name: str = "",
    email: str = "",
    check_permission: bool = True,
):
    """Create a user with roles. `actor` None means the command line on the server (system)."""
    if check_permission and actor is not None:
        require(actor, "evqms.manage_users")
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise InputError(_("a user name is required"), where="username")
    if not USERNAME_RE.fullmatch(username):
        raise InputError(
            _("a user name has 1 to 150 letters, digits and @ . + - _ only: {name}").format(name=username),
            where="username",
        )
    _check_roles(role_names)
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
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.pk,
        after=user_record(user),
    )
    return user


@transaction.atomic
def set_roles(*, actor, user, role_names: list[str], reason: str):
    require(actor, "evqms.manage_users")
    _check_roles(role_names)
    reason = _require_reason(reason)
    if actor.pk == user.pk and roles.ADMINISTRATOR not in role_names:
        # Otherwise the last administrator could leave nobody able to manage users.
        raise RuleViolation(_("an administrator cannot remove their own administrator role"))
    user = _lock_user_row(user)
    before = user_record(user)
    ensure_role_groups()
    user.groups.set(Group.objects.filter(name__in=role_names))
    user.is_staff = roles.ADMINISTRATOR in role_names
    user.save(update_fields=["is_staff"])
    user._evqms_roles = None
    record_event(
        actor=actor,
        action="user.set_roles",
        object_type="user",
        object_id=user.pk,
        before=before,
        after=user_record(user),
        reason=reason,
    )
    return user


# --- Account state: deactivate, activate, unlock (each with the administrator's reason) ----------


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a reason is required"), where="reason")
    return reason


def _lock_user_row(user):
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def _set_active(*, actor, user, reason: str, active: bool):
    require(actor, "evqms.manage_users")
    reason = _require_reason(reason)
    if not active and actor is not None and actor.pk == user.pk:
        raise RuleViolation(_("an administrator cannot deactivate their own account"))
    user = _lock_user_row(user)
    if user.is_active == active:
        already = _("user {name} is already active") if active else _("user {name} is already inactive")
        raise RuleViolation(already.format(name=user.username))
    before = user_record(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user.pk,
        before=before,
        after=user_record(user),
        reason=reason,
    )
    return user


@transaction.atomic
def deactivate_user(*, actor, user, reason: str):
    """The account can no longer sign in; its open sessions and API tokens stop at the next request."""
    return _set_active(actor=actor, user=user, reason=reason, active=False)


@transaction.atomic
def activate_user(*, actor, user, reason: str):
    return _set_active(actor=actor, user=user, reason=reason, active=True)


@transaction.atomic
def unlock_user(*, actor, user, reason: str) -> int:
    """Forget the failed logins that lock `user` (from every address); returns how many were kept."""
    from evqms.accounts import lockout

    require(actor, "evqms.manage_users")
    reason = _require_reason(reason)
    sources = lockout.locked_sources(user.username)
    count = lockout.clear_failures(user.username)
    record_event(
        actor=actor,
        action="user.unlock",
        object_type="user",
        object_id=user.pk,
        before={"username": user.username, "locked_from": sources},
        after={"username": user.username, "locked_from": []},
        reason=reason,
    )
    return count


# --- API tokens --------------------------------------------------------------------------------
# The secret is shown once; the database keeps its SHA-256 (a copy of the database cannot call the
# API) and a short prefix so the owner can tell their tokens apart.


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(*, actor, name: str = "", days: int | None = None):
    """A new token for `actor` (a person makes tokens only for themselves). Returns
    (token, secret); the secret is not stored and cannot be shown again."""
    from django.conf import settings

    from evqms.accounts.models import ApiToken

    require(actor, "accounts.own_tokens")
    name = (name or "").strip()
    if len(name) > 100:
        raise InputError(_("at most {n} characters").format(n=100), where="name")
    limit = settings.EVQMS_TOKEN_DAYS
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise InputError(
            _("a token lasts 1 to {n} days").format(n=limit),
            where="days",
        )
    secret = "evq_" + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[:12],
        digest=token_digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    record_event(
        actor=actor,
        action="api_token.create",
        object_type="api_token",
        object_id=token.pk,
        after=api_token_record(token),
    )
    return token, secret


@transaction.atomic
def revoke_token(*, actor, token, reason: str = ""):
    """Revoke a token: its owner may revoke their own, an administrator anyone's (with a reason)."""
    from evqms.accounts.models import ApiToken

    own = actor is not None and token.user_id == actor.pk
    if own:
        require(actor, "accounts.own_tokens")
    else:
        require(actor, "evqms.manage_users")
        reason = _require_reason(reason)
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        raise RuleViolation(_("token {prefix} is already revoked").format(prefix=token.prefix))
    before = api_token_record(token)
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.revoke_reason = reason
    token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    record_event(
        actor=actor,
        action="api_token.revoke",
        object_type="api_token",
        object_id=token.pk,
        before=before,
        after=api_token_record(token),
        reason=reason,
    )
    return token


def token_for_secret(secret: str):
    """The live token for `secret` (not revoked, not expired), or None. Marks it used (at most once a
    minute, so busy clients do not write on every call)."""
    from evqms.accounts.models import ApiToken

    if not secret or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- notification preferences and the record of what was sent ------------------------------------


def notification_preference(user):
    """The person's preference as stored, or the defaults (both on, the site's language) unsaved."""
    from evqms.accounts.models import NotificationPreference

    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


@transaction.atomic
def set_notification_preferences(*, actor, digest: bool, immediate: bool, language: str = ""):
    """A person turns their own e-mails on or off and chooses their language (audited)."""
    from django.conf import settings

    from evqms.accounts.models import NotificationPreference
    from evqms.accounts.records import notification_preference_record

    require(actor, "accounts.own_notifications")
    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise InputError(_("unknown language {code}").format(code=language), where="language")
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=actor)
    before = notification_preference_record(pref)
    pref.digest, pref.immediate, pref.language = bool(digest), bool(immediate), language
    pref.updated_at = timezone.now()
    pref.save()
    record_event(
        actor=actor,
        action="notification_preference.set",
        object_type="user",
        object_id=actor.pk,
        before=before,
        after=notification_preference_record(pref),
    )
    return pref


def claim_notification(*, user, kind: str, key: str, day, subject: str, tasks: int) -> bool:
    """Record that `kind`/`key` is being sent to `user`; False when it was sent already. Call inside
    the transaction that sends: if sending fails, the record rolls back and the next run retries.

    The delivery log is not a quality record (the message only points at tasks the areas keep), so it
    writes no audit event; the unique constraint makes two runs at once send it only once."""
    from django.db import IntegrityError

    from evqms.accounts.models import NotificationSent

    if NotificationSent.objects.filter(user=user, kind=kind, key=key).exists():
        return False
    try:
        with transaction.atomic():
            NotificationSent.objects.create(
                user=user,
                kind=kind,
                key=key[:300],
                day=day,
                subject=subject[:300],
                tasks=tasks,
                sent_at=timezone.now(),
            )
    except IntegrityError:  # another run claimed it a moment ago
        return False
    return True
