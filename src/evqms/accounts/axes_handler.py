"""django-axes' database handler (AXES_HANDLER), which also notes on the account when it locks it.

The note (User.lock_possible_until) lets the per-request check of a signed-in person or an API
token skip the failed-login table while the account has no lock in its cool-off. Every lock goes
through here, whatever asked for the password: the login page, the token view, a signature, the CLI.
Kept apart from accounts.lockout because it imports axes' models when loaded.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username

from evqms.accounts import lockout


class LockoutNotingHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is not None and getattr(request, "axes_locked_out", False):
            lockout.note_lock(get_client_username(request, credentials))
