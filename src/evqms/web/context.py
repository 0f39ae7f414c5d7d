"""Template context: the navigation, the pages of web.menu.MENU the user may open."""

from __future__ import annotations

from django.urls import reverse

from evqms.web.menu import pages_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for page in pages_for(user):
        url = reverse(page.url_name)
        items.append(
            {
                "url": url,
                "label": page.label,
                "active": request.path.startswith(url) and url != "/" or request.path == url,
            }
        )
    return {"nav_items": items}
