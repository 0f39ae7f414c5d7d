import datetime as dt

from django.core.paginator import Paginator
from django.shortcuts import render

from evqms.audit import selectors
from evqms.audit.messages import finding_text
from evqms.core.views import require


def _date(value: str | None):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def trail(request):
    require(request, "audit.view")
    filters = {
        k: request.GET.get(k, "").strip()
        for k in ("object_type", "object_id", "actor", "action", "since", "until")
    }
    qs = selectors.events(
        object_type=filters["object_type"] or None,
        object_id=filters["object_id"] or None,
        actor=filters["actor"] or None,
        action=filters["action"] or None,
        since=_date(filters["since"]),
        until=_date(filters["until"]),
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    verify = selectors.verify_chain() if request.GET.get("verify") else None
    return render(
        request,
        "audit/trail.html",
        {
            "page": page,
            "filters": filters,
            "verify": verify,
            "verify_messages": [finding_text(f) for f in verify.findings] if verify else [],
        },
    )
