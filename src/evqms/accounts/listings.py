"""The users page's columns (evqms.core.listing): each account with its roles, active and locked.
The rows are `selectors.users_overview()` dicts, so they sort in Python."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr

USERS = Listing(
    "users",
    (
        Column("username", _("User name"), attr("user.username")),
        Column("printed_name", _("Printed name"), attr("user.printed_name")),
        Column("roles", _("Roles"), attr("roles")),
        Column("active", _("Active"), attr("user.is_active")),
        Column("locked", _("Locked"), attr("locked")),
    ),
)
