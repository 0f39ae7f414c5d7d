from django.http import HttpResponseRedirect
from django.shortcuts import render

from evqms.core import readonce
from evqms.web import scan as scanning
from evqms.web import search, selectors, worklist

DASHBOARD_TASKS = 10  # the dashboard shows the oldest ten; the tasks page shows them all


def dashboard(request):
    with readonce.scope():  # the cards and the work queue ask some questions alike: each read once
        tasks = worklist.tasks_for(request.user)
        cards = selectors.dashboard_cards(request.user)
    return render(
        request,
        "web/dashboard.html",
        {
            "cards": cards,
            "task_rows": worklist.rows(tasks[:DASHBOARD_TASKS]),
            "task_summary": worklist.summary(tasks),
        },
    )


def my_tasks(request):
    tasks = worklist.tasks_for(request.user)
    kind = request.GET.get("kind", "")
    shown = [t for t in tasks if t.kind == kind] if kind else tasks
    return render(
        request,
        "web/tasks.html",
        {
            "task_rows": worklist.rows(shown),
            "task_summary": worklist.summary(tasks),
            "kind": kind if any(t.kind == kind for t in tasks) else "",
            "kind_label": worklist.kind_label(kind) if kind else "",
        },
    )


def find(request):
    """The header's search box: straight to the one record found, a list when several, else a
    page that says nothing was found for what was typed."""
    raw = request.GET.get("q", "")
    hits = search.find(request.user, raw)
    if len(hits) == 1:
        return HttpResponseRedirect(hits[0].url)
    text = search.query_text(raw)
    return render(
        request,
        "web/search.html",
        {"hits": hits, "text": text[:200], "too_long": len(text) > search.LONGEST},
        status=200,
    )


def scan(request):
    """The scan page: a label's QR code read by the camera, a hardware scanner typing into the box,
    or a pasted code (web.scan) opens its record; otherwise the page says why not."""
    result = scanning.read(request.user, request.GET.get("code", ""), request_host=request.get_host())
    if result.url:
        return HttpResponseRedirect(result.url)
    return render(request, "web/scan.html", {"scan": result})
