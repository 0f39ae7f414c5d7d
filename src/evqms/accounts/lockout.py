"""Failed logins: who is locked out, the back-off for unknown sources, and unlocking.

django-axes counts failures per account *and* source address together (AXES_LOCKOUT_PARAMETERS):
five wrong passwords from one address lock that account from that address for an hour, so a
stranger guessing QA's password cannot lock QA out of their own workstation. Guessing from many
addresses is slowed instead of locked: once an account has BACKOFF_AFTER failures in the cool-off
window from addresses it has never signed in from, every further attempt from such an address
waits, and the wait doubles with each failure (BackoffBackend). Addresses the person has signed in
from before are not slowed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Max, Sum
from django.utils import timezone

BACKOFF_FIRST_SECONDS = 15
BACKOFF_MAX_SECONDS = 3600


def _cool_off() -> timedelta:
    value = settings.AXES_COOLOFF_TIME
    return value if isinstance(value, timedelta) else timedelta(hours=value)


def _address(request) -> str | None:
    from axes.helpers import get_client_ip_address

    ip = getattr(request, "axes_ip_address", None)
    return ip or get_client_ip_address(request)


def is_locked(request, username: str) -> bool:
    """Whether `username` is locked out from the address this request comes from."""
    from axes.handlers.proxy import AxesProxyHandler

    return bool(username) and AxesProxyHandler.is_locked(request, {"username": username})


def note_lock(username: str) -> None:
    """Axes has just locked `username` from some address (LockoutHandler): until that lock's cool-off
    ends, the account's requests ask axes whether it holds for their address."""
    from django.contrib.auth import get_user_model

    if username:
        get_user_model().objects.filter(username=username).update(
            lock_possible_until=timezone.now() + _cool_off()
        )


def is_user_locked(request, user) -> bool:
    """`is_locked` for a signed-in person or a token's owner, on every request: the account row
    (already read) tells whether any lock was recorded in the cool-off; only then is axes asked."""
    until = user.lock_possible_until
    return until is not None and until > timezone.now() and is_locked(request, user.get_username())


def locked_usernames() -> set[str]:
    """Accounts locked from at least one address now (the administrator's users page)."""
    from axes.models import AccessAttempt

    since = timezone.now() - _cool_off()
    return set(
        AccessAttempt.objects.filter(
            attempt_time__gte=since, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        )
        .exclude(username=None)
        .values_list("username", flat=True)
    )


def locked_sources(username: str) -> list[str]:
    from axes.models import AccessAttempt

    since = timezone.now() - _cool_off()
    return sorted(
        AccessAttempt.objects.filter(
            username=username, attempt_time__gte=since, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        )
        .values_list("ip_address", flat=True)
        .distinct()
    )


def clear_failures(username: str) -> int:
    """Forget the failed attempts of `username` from every address (the lock and the back-off)."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username=username).update(lock_possible_until=None)
    return AxesProxyHandler.reset_attempts(username=username) or 0


def backoff_seconds(request, username: str) -> int:
    """Seconds this (unknown) address must still wait before trying `username`'s password; 0 if none."""
    from axes.models import AccessAttempt, AccessLog

    if not username or request is None:
        return 0
    ip = _address(request)
    known = AccessLog.objects.filter(username=username, ip_address=ip).exists()
    if known:
        return 0
    signed_in_from = AccessLog.objects.filter(username=username).values("ip_address")
    now = timezone.now()
    recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=now - _cool_off()).exclude(
        ip_address__in=signed_in_from
    )
    seen = recent.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    failures = seen["failures"] or 0
    after = settings.EVQMS_LOGIN_BACKOFF_AFTER
    if failures < after or seen["last"] is None:
        return 0
    wait = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - after))
    remaining = (seen["last"] + timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(remaining + 0.999))


class BackoffBackend:
    """Refuses a password check from an unknown address while its back-off runs (listed after
    axes' backend, before ModelBackend). Refusing counts as one more failure, so hammering during
    the wait makes it longer."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        wait = backoff_seconds(request, username)
        if wait:
            target = getattr(request, "_request", request)
            target.evqms_backoff_seconds = wait
            raise DjangoPermissionDenied
        return None

    # No get_user(): it never signs anyone in, so no session names it (and the test client's
    # force_login must not pick it).


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out attempt answers (AXES_LOCKOUT_CALLABLE): 429, as JSON on the API (the token
    view's own answer when it gave one) and as the lockout page elsewhere."""
    from django.http import JsonResponse
    from django.shortcuts import render

    from evqms.i18n import _

    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response
        return JsonResponse(
            {
                "error": _(
                    "too many failed attempts from this address: try again in an hour or ask an administrator to unlock the account"
                )
            },
            status=429,
        )
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
