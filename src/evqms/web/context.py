"""Template context: the navigation, shown per the user's permissions.

Areas add their entry to NAVIGATION; an entry whose URL name does not exist yet is left out.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, permission or None)
NAVIGATION = [
    ("web:dashboard", _("Dashboard"), None),
    ("dossier:product-list", _("Products"), "evqms.view_records"),
    ("lots:lot-list", _("Lots"), "evqms.view_records"),
    ("inventory:aliquot-list", _("Inventory"), "evqms.view_records"),
    ("clinical:administration-list", _("Clinical"), "evqms.view_records"),
    ("studies:index", _("Studies"), "evqms.view_records"),
    ("compliance:index", _("Compliance"), "evqms.view_records"),
    ("landscape:index", _("Landscape"), None),
    ("audit:trail", _("Audit trail"), "evqms.view_audit_trail"),
]


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
