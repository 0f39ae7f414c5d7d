"""Trace pages: a lineage drawn as layered columns (inline SVG), the recall action and its exports."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core import identifiers
from evqms.core.pdf_views import pdf_view
from evqms.core.views import act, attempt, require, show_refusal
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.trace import exports, forms, graph, selectors
from evqms.trace.listings import HOLDS, RECALLS
from evqms.trace.models import Hold, Recall, RecallUnit
from evqms.trace.queries import DIRECTIONS
from evqms.trace.services import disposal, event_holds, holds, recalls


def index(request):
    require(request, "trace.view")
    direction, code = request.GET.get("direction", ""), identifiers.normalise(request.GET.get("code", ""))
    error = None
    if direction in DIRECTIONS and code:
        try:
            return redirect(reverse("trace:trace", args=[direction, code]))
        except NoReverseMatch:  # not an identifier any record can have
            error = _("no {kind} {code} was found").format(
                kind=selectors.direction_labels()[direction], code=code
            )
    recalls = RECALLS.table(request, selectors.recall_list())
    holds = HOLDS.table(request, Hold.objects.all())
    for table in (recalls, holds):
        if table.export_format:
            return table.export()
    return render(
        request,
        "trace/index.html",
        {
            "directions": selectors.direction_labels(),
            "recalls": recalls.rows[:50],
            "table": recalls,
            "holds": holds.rows[:50],
            "holds_table": holds,
            "can_hold": request.user.has_perm("trace.hold"),
            "error": error,
        },
        status=404 if error else 200,
    )


def trace_page(request, direction: str, code: str):
    require(request, "trace.view")
    if direction not in DIRECTIONS:
        raise Http404
    try:
        result = selectors.trace(direction, code)
    except errors.InputError as exc:
        return render(
            request,
            "trace/index.html",
            {
                "directions": selectors.direction_labels(),
                "error": str(exc),
                "recalls": [],
            },
            status=404,
        )
    lots = result.of("lot")
    recallable = [lot for lot in lots if lot.status in recalls.RECALLABLE]
    holds = selectors.active_holds_for_trace(result)
    lineage, recipients = graph.layout(result), result.recipients()
    show_patients = request.user.has_perm(selectors.PATIENT_CODES)
    patient_count = None if show_patients else selectors.hide_patient_codes(result, lineage, recipients)
    return render(
        request,
        "trace/trace.html",
        {
            "result": result,
            "graph": lineage,
            "labels": selectors.kind_labels(),
            "direction_label": selectors.direction_labels()[direction],
            "sections": [
                (k, selectors.kind_labels()[k], [(n, holds.get(n.code, ())) for n in result.of(k)])
                for k in selectors.KIND_ORDER
                if result.of(k) and (show_patients or k != "patient")
            ],
            "show_patients": show_patients,
            "patient_count": patient_count,
            "holds": holds,
            "can_hold": request.user.has_perm("trace.hold") and direction in ("cell_bank", "material_lot"),
            "recipients": recipients,
            "recallable": recallable,
            # Every recall of a lot in the trace, open or closed (a closed one still names the lot).
            "lot_recalls": list(selectors.recall_list().filter(lot_id__in=[lot.id for lot in lots])[:100]),
            "can_recall": request.user.has_perm("trace.recall"),
        },
    )


@require_http_methods(["GET", "POST"])
def recall(request, lot: str):
    require(request, "trace.recall")
    found = Lot.objects.filter(number=lot).first()
    if found is None:
        raise Http404
    form = forms.RecallForm(request.POST or None)

    def recall_lot(data):
        return recalls.recall_lot(
            request=request, actor=request.user, lot=found, reason=data["reason"], password=data["password"]
        )

    if done := attempt(
        request, form, recall_lot, success=_("Lot {lot} is recalled.").format(lot=found.number)
    ):
        return redirect(reverse("trace:recall-detail", args=[done.result.number]))
    preview = selectors.trace("lot", found.number).recipients()
    return render(
        request,
        "trace/recall_form.html",
        {
            "lot": found,
            "form": form,
            "recipients": preview,
            "shipped": recalls.shipped_items(found),
            "to_hold": selectors.units_to_hold(found),
        },
    )


def _recall_or_404(number: str) -> Recall:
    recall = (
        Recall.objects.select_related("lot", "initiated_by", "signature", "close_signature")
        .filter(number=number)
        .first()
    )
    if recall is None:
        raise Http404
    return recall


def _close_unit(request, recall: Recall):
    """The 'confirm a shipped unit' form: Done when recorded; an invalid form or a refusal is flashed."""
    form = forms.RecallUnitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome and give the evidence."))
        return form, None
    data = form.cleaned_data
    success = _("{code} closed as {outcome}.").format(
        code=data["aliquot"], outcome=dict(RecallUnit.OUTCOMES)[data["outcome"]]
    )
    return form, act(
        request,
        lambda: recalls.close_recall_unit(
            actor=request.user,
            recall=recall,
            aliquot=data["aliquot"],
            outcome=data["outcome"],
            note=data["note"],
        ),
        success=success,
    )


def _close_recall(request, recall: Recall, form):
    def close(data):
        return recalls.close_recall(
            request=request,
            actor=request.user,
            recall=recall,
            reason=data["reason"],
            password=data["password"],
        )

    return attempt(request, form, close, success=_("Recall {number} is closed.").format(number=recall.number))


@require_http_methods(["GET", "POST"])
def recall_detail(request, number: str):
    require(request, "trace.view")
    recall = _recall_or_404(number)
    unit_form, close_form, status = None, forms.RecallCloseForm(), 200
    destroy_form = None
    codes = request.user.has_perm(selectors.PATIENT_CODES)
    if request.method == "POST":
        action, done = request.POST.get("action"), None
        if action == "destroy-held":
            require(request, "trace.destroy_held")
            destroy_form = forms.DestroyHeldForm(request.POST, units=selectors.recall_held_stock(recall))
            done = _destroy_held(request, recall, destroy_form)
        elif action == "close-unit":
            require(request, "trace.recall_effectiveness")
            unit_form, done = _close_unit(request, recall)
        elif action == "close-recall":
            require(request, "trace.recall")
            close_form = forms.RecallCloseForm(request.POST)
            done = _close_recall(request, recall, close_form)
        if done:
            return redirect(reverse("trace:recall-detail", args=[recall.number]))
        status = 400
        recall = _recall_or_404(number)
    contents = selectors.recall_contents(recall, patient_codes=codes)
    return render(
        request,
        "trace/recall_detail.html",
        {
            "recall": recall,
            **contents,
            "destroy_form": destroy_form or forms.DestroyHeldForm(units=contents["held"]),
            "can_destroy": request.user.has_perm("trace.destroy_held"),
            "unit_form": unit_form or forms.RecallUnitForm(),
            "close_form": close_form,
            "can_confirm": request.user.has_perm("trace.recall_effectiveness") and recall.status == "open",
            "can_close": request.user.has_perm("trace.recall") and recall.status == "open",
        },
        status=status,
    )


def _destroy_held(request, source, form) -> bool:
    """The 'destroy held units' form of a recall or hold page: True when done, else the refusal is on
    the form. The success message names the units destroyed, so it is written once they are known."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        done = disposal.destroy_held_units(
            request=request,
            actor=request.user,
            source=source,
            aliquots=data["aliquots"],
            reason=data["reason"],
            password=data["password"],
        )
    except (errors.InputError, errors.RuleViolation) as exc:
        show_refusal(form, exc)
        return False
    messages.success(
        request,
        _("Destroyed under {number}: {units}.").format(
            number=source.number, units=", ".join(d.aliquot.container_id for d in done)
        ),
    )
    return True


def recall_csv(request, number: str):
    require(request, "trace.view")
    recall = _recall_or_404(number)
    codes = request.user.has_perm(selectors.PATIENT_CODES)
    response = HttpResponse(
        exports.recall_csv(recall, patient_codes=codes), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{recall.number}-{recall.lot.number}.csv"'
    return response


@pdf_view
def recall_pdf(request, number: str):
    require(request, "trace.view")
    recall = _recall_or_404(number)
    codes = request.user.has_perm(selectors.PATIENT_CODES)
    response = HttpResponse(exports.recall_pdf(recall, patient_codes=codes), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{recall.number}-{recall.lot.number}.pdf"'
    return response


# --- holds ------------------------------------------------------------------------------------


def _hold_preview(scope: str, code: str):
    """The lots a hold on the typed item would cover, or None while it names no known item."""
    if not (scope and code):
        return None
    try:
        subject, _code = holds.hold_subject(scope, code)
        return holds.downstream_lots(scope, subject)
    except errors.InputError:
        return None


def _place_hold(request, form):
    """The placed hold, or None with the refusal on the form. The success message names the hold's
    number, so it is written once the hold exists."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        hold = holds.place_hold(
            actor=request.user, scope=data["scope"], code=data["code"], reason=data["reason"]
        )
    except (errors.InputError, errors.RuleViolation) as exc:
        show_refusal(form, exc)
        return None
    messages.success(
        request, _("Hold {number} placed on {n} lots.").format(number=hold.number, n=len(hold.lots))
    )
    return hold


@require_http_methods(["GET", "POST"])
def hold_new(request):
    require(request, "trace.hold")
    initial = {k: request.GET.get(k, "") for k in ("scope", "code")}
    form = forms.HoldForm(request.POST or None, initial=initial)
    asked = request.POST or request.GET
    preview, status = _hold_preview(asked.get("scope", ""), asked.get("code", "").strip()), 200
    if request.method == "POST":
        hold = _place_hold(request, form)
        if hold is not None:
            return redirect(reverse("trace:hold-detail", args=[hold.number]))
        status = 400
    return render(request, "trace/hold_form.html", {"form": form, "preview": preview}, status=status)


def _release_hold(request, hold: Hold, form):
    def release(data):
        return holds.release_hold(
            request=request, actor=request.user, hold=hold, reason=data["reason"], password=data["password"]
        )

    return attempt(request, form, release, success=_("Hold {number} is lifted.").format(number=hold.number))


@require_http_methods(["GET", "POST"])
def hold_detail(request, number: str):
    require(request, "trace.view")
    hold = (
        Hold.objects.select_related("placed_by", "released_by", "release_signature")
        .filter(number=number)
        .first()
    )
    if hold is None:
        raise Http404
    form, status = forms.HoldReleaseForm(), 200
    destroy_form = None
    if request.method == "POST":
        if request.POST.get("action") == "destroy-held":
            require(request, "trace.destroy_held")
            destroy_form = forms.DestroyHeldForm(request.POST, units=selectors.hold_held_stock(hold))
            done = _destroy_held(request, hold, destroy_form)
        else:
            require(request, "trace.hold")
            form = forms.HoldReleaseForm(request.POST)
            done = _release_hold(request, hold, form)
        if done:
            return redirect(reverse("trace:hold-detail", args=[hold.number]))
        status = 400
    held = list(selectors.hold_held_stock(hold))
    return render(
        request,
        "trace/hold_detail.html",
        {
            "hold": hold,
            "lot_holds": selectors.hold_lots(hold),
            "held": held,
            "destroyed": list(selectors.destructions(hold)),
            "destroy_form": destroy_form or forms.DestroyHeldForm(units=held),
            "can_destroy": request.user.has_perm("trace.destroy_held") and hold.status == "active",
            "form": form,
            "can_release": request.user.has_perm("trace.hold") and hold.status == "active",
        },
        status=status,
    )


# --- a hold from an adverse event -----------------------------------------------------------------


def _candidate_rows(candidates, selected: set[str]) -> list[dict]:
    """The sibling groups for the page; a lot listed in an earlier group (or among the event's own) has
    its checkbox there only, so one lot is never two boxes that disagree."""
    seen = {lot.number for lot in candidates.event_lots}
    groups = []
    for group in candidates.groups:
        rows = []
        for lot in group.lots:
            rows.append({"lot": lot, "box": lot.number not in seen, "checked": lot.number in selected})
            seen.add(lot.number)
        groups.append({"group": group, "rows": rows})
    return groups


@require_http_methods(["GET", "POST"])
def event_hold(request, number: str):
    require(request, "trace.hold_from_event")
    try:
        candidates = selectors.event_hold_candidates(number)
    except errors.InputError as exc:
        raise Http404(str(exc)) from exc
    own = [lot.number for lot in candidates.event_lots]
    form = forms.EventHoldForm(
        request.POST or None, numbers=sorted(candidates.numbers), initial={"lots": own}
    )

    def place(data):
        return event_holds.place_event_hold(
            request=request,
            actor=request.user,
            adverse_event=candidates.event,
            lots=data["lots"],
            reason=data["reason"],
            password=data["password"],
        )

    def placed(hold):
        return _("Hold {number} placed on {n} lots.").format(number=hold.number, n=len(hold.lots))

    if done := attempt(request, form, place, success=placed):
        return redirect(reverse("trace:hold-detail", args=[done.result.number]))
    selected = set(form.data.getlist("lots")) if form.is_bound else set(own)
    return render(
        request,
        "trace/event_hold_form.html",
        {
            "candidates": candidates,
            "own": [{"lot": lot, "checked": lot.number in selected} for lot in candidates.event_lots],
            "groups": _candidate_rows(candidates, selected),
            "form": form,
            "holds": selectors.event_holds_by_number(candidates.event),
            "can_open_event": request.user.has_perm("clinical.view_adverse_event"),
        },
        status=400 if request.method == "POST" else 200,
    )


def event_hold_list(request, number: str):
    require(request, "trace.view")
    holds_placed = selectors.event_holds_by_number(number)
    if holds_placed is None:
        raise Http404
    return render(
        request,
        "trace/event_holds.html",
        {
            "event": number,
            "holds": holds_placed,
            "can_hold": request.user.has_perm("trace.hold_from_event"),
            "can_open_event": request.user.has_perm("clinical.view_adverse_event"),
        },
    )
