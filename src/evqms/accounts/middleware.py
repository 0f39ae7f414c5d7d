"""Every request of a signed-in person checks that the account may still act.

- An account deactivated by an administrator, or locked out from this address after failed
  password checks, is signed out at its next request (its session stops working at once).
- A session idle for longer than SESSION_IDLE_TIMEOUT seconds is ended; the page warns before
  (web/static/web/session.js) and its "stay signed in" button calls the ping view.

It runs after AuthenticationMiddleware and MessageMiddleware; the login-required check that follows
sends the signed-out person to the login page.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

from evqms.accounts import lockout
from evqms.i18n import _

LAST_SEEN = "evqms_last_seen"
TOUCH_EVERY = 5  # seconds


def idle_timeout() -> int:
    return int(settings.SESSION_IDLE_TIMEOUT)


class AccountStateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = self._refusal(request, user)
            if reason:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.warning(request, reason)
            else:
                now = int(time.time())
                last = request.session.get(LAST_SEEN)
                # Written at most every few seconds: each write saves the session row.
                if not isinstance(last, int) or now - last >= TOUCH_EVERY:
                    request.session[LAST_SEEN] = now
        return self.get_response(request)

    def _refusal(self, request, user) -> str | None:
        if not user.is_active:
            return _("Your account has been deactivated: you were signed out.")
        if lockout.is_user_locked(request, user):
            return _("Your account is locked after repeated failed password checks: you were signed out.")
        last = request.session.get(LAST_SEEN)
        if isinstance(last, int) and time.time() - last > idle_timeout():
            return _("You were signed out after {n} min without activity.").format(
                n=max(1, idle_timeout() // 60)
            )
        return None
