"""Template context: the navigation, shown per the user's permissions.

Areas add their entry to NAVIGATION; an entry whose URL name does not exist yet is left out.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, the area's read permission). Each permission is the one the area's own page
# checks before answering (its rules.py predicate), so a role sees exactly the entries it can open;
# tests/web walk every demo role's menu and dashboard and get no 403.
NAVIGATION = [
    ("web:dashboard", _("Dashboard"), None),
    ("dossier:product-list", _("Products"), "dossier.view"),
    ("lots:lot-list", _("Lots"), "lots.view"),
    ("inventory:aliquot-list", _("Inventory"), "inventory.view"),
    ("clinical:administration-list", _("Clinical"), "clinical.view"),
    ("trace:index", _("Trace"), "trace.view"),  # trace, recalls and holds
    ("studies:index", _("Studies"), "studies.view"),
    ("compliance:index", _("Compliance"), "compliance.view"),
    ("landscape:index", _("Landscape"), "landscape.view"),
    ("audit:trail", _("Audit trail"), "audit.view"),
    ("accounts:user-list", _("Users"), "evqms.manage_users"),
]


def read_permission(url_name: str) -> str | None:
    """The permission an area's entry page asks for (None: every signed-in user)."""
    for name, _label, perm in NAVIGATION:
        if name == url_name:
            return perm
    raise KeyError(url_name)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label, perm in NAVIGATION:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "url": url,
                "label": label,
                "active": request.path.startswith(url) and url != "/" or request.path == url,
            }
        )
    return {"nav_items": items}
