"""The audit trail's pages: the search, one event, and the exports of a search (CSV and PDF).

Read-only but for one thing: an export writes an `audit.export` event (audit.services)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_POST

from evqms.audit import eventview, exports, keys, selectors, services
from evqms.audit.messages import finding_text
from evqms.audit.models import AuditEvent
from evqms.audit.search import PARAMS, TrailFilter, search
from evqms.core.limits import MAX_RECORD_ID
from evqms.core.pdf_views import pdf_view
from evqms.core.views import page_language, require
from evqms.errors import InputError

PAGE_SIZE = 50


def _form_values(request) -> dict:
    values = {name: request.GET.get(name, "").strip()[:300] for name in PARAMS}
    values["children"] = request.GET.get("children", "1")
    return values


def _context_lists() -> dict:
    return {
        "kinds": [(k.kind, str(k.label)) for k in keys.key_kinds()],
        "areas": [(a.code, str(a.label)) for a in keys.areas()],
        "zone": timezone.get_current_timezone_name(),
    }


def _scope_summary(found) -> dict | None:
    """What the key or record resolved to, named, for the line above the results."""
    scope = found.scope
    if scope is None:
        return None
    pairs = [(t, i) for t, ids in scope.roots.items() for i in ids]
    names = keys.names_for(pairs)
    roots = []
    for object_type, object_id in sorted(pairs):
        name = names.get((object_type, object_id), "")
        roots.append(
            {
                "type": keys.type_label(object_type),
                "name": name or f"#{object_id}",
                "url": keys.record_url(object_type, name),
                "found": bool(name) or keys.record_type(object_type) is None,
            }
        )
    return {"roots": roots, "children": scope.child_count()}


def trail(request):
    require(request, "audit.view")
    values = _form_values(request)
    error = None
    try:
        flt = TrailFilter.from_params(request.GET)
    except InputError as exc:
        flt, error = None, exc
    context = {"filters": values, "error": error, **_context_lists()}
    if flt is None:
        return render(request, "audit/trail.html", {**context, "page": None, "rows": []}, status=400)
    found = search(flt)
    page = Paginator(found.events, PAGE_SIZE).get_page(request.GET.get("page"))
    verify = selectors.verify_chain() if request.GET.get("verify") else None
    query = urlencode(flt.as_params())
    context.update(
        export_params=sorted(flt.as_params().items()),
        page=page,
        rows=eventview.rows_for(page.object_list),
        found=found,
        scope=_scope_summary(found),
        query=query,
        verify=verify,
        verify_messages=[finding_text(f) for f in verify.findings] if verify else [],
    )
    return render(request, "audit/trail.html", context)


def event_detail(request, seq: int):
    require(request, "audit.view")
    if not 0 < seq <= MAX_RECORD_ID:
        raise Http404
    event = AuditEvent.objects.filter(seq=seq).select_related("actor").first()
    if event is None:
        raise Http404
    neighbours = dict(AuditEvent.objects.filter(seq__in=[seq - 1, seq + 1]).values_list("seq", "hash"))
    (row,) = eventview.rows_for([event])
    actor = event.actor
    return render(
        request,
        "audit/event.html",
        {
            "e": event,
            "row": row,
            "fields": eventview.compare(event.before, event.after),
            "changed": sum(1 for f in eventview.compare(event.before, event.after) if f.changed),
            "signature": eventview.signature_of(event),
            "hash_ok": eventview.hash_recomputes(event),
            "links_ok": neighbours.get(seq - 1, "0" * 64 if seq == 1 else None) == event.prev_hash,
            "previous": seq - 1 if (seq - 1) in neighbours else None,
            "next": seq + 1 if (seq + 1) in neighbours else None,
            "printed_name": actor.signature_name() if actor is not None else "",
            "history_query": urlencode({"object_type": event.object_type, "object_id": event.object_id}),
            "zone": timezone.get_current_timezone_name(),
        },
    )


def _filter_or_400(request):
    try:
        return TrailFilter.from_params(request.POST), None
    except InputError as exc:
        return None, HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M%S")


@require_POST  # an export is recorded in the trail: a write, never a link a crawler follows
def export_csv(request):
    require(request, "audit.view")
    flt, refusal = _filter_or_400(request)
    if refusal:
        return refusal
    found = search(flt)
    seq, digest = selectors.head_hash()
    # Counted and audited before the first line leaves: the event names the head the extract
    # stops at (events appended while it streams are newer than the head and not in it).
    events = found.events.filter(seq__lte=seq)
    found.events = events
    services.record_export(
        actor=request.user,
        export_format="csv",
        filters=flt.as_params(),
        events=events.count(),
        head_seq=seq,
        head_hash=digest,
    )
    response = StreamingHttpResponse(exports.csv_lines(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{_stamp()}.csv"'
    return response


@require_POST
@pdf_view
def export_pdf(request):
    require(request, "audit.view")
    flt, refusal = _filter_or_400(request)
    if refusal:
        return refusal
    lang = request.POST.get("lang") or page_language(request)
    lang = lang if lang in ("ja", "en") else page_language(request)
    verify = selectors.verify_chain()
    with translation.override(lang):
        found = search(flt)
        found.events = found.events.filter(seq__lte=verify.last_seq)
        total = found.events.count()
        services.record_export(
            actor=request.user,
            export_format="pdf",
            filters=flt.as_params(),
            events=min(total, exports.PDF_MAX_EVENTS),
            head_seq=verify.last_seq,
            head_hash=verify.head_hash,
            verified=verify.ok,
        )
        data = exports.pdf_bytes(
            found,
            verify=verify,
            exported_by=f"{request.user.signature_name()} ({request.user.get_username()})",
            exported_at=timezone.now(),
            total=total,
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{_stamp()}-{lang}.pdf"'
    return response
