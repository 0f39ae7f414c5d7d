"""Trace pages: a lineage drawn as layered columns (inline SVG), the recall action and its exports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core import identifiers
from evqms.core.pdf_views import pdf_view
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.trace import exports, forms, graph, selectors, services
from evqms.trace.models import Hold, Recall
from evqms.trace.queries import DIRECTIONS


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def index(request):
    _need(request, "trace.view")
    direction, code = request.GET.get("direction", ""), identifiers.normalise(request.GET.get("code", ""))
    error = None
    if direction in DIRECTIONS and code:
        try:
            return redirect(reverse("trace:trace", args=[direction, code]))
        except NoReverseMatch:  # not an identifier any record can have
            error = _("no {kind} {code} was found").format(
                kind=selectors.direction_labels()[direction], code=code
            )
    return render(
        request,
        "trace/index.html",
        {
            "directions": selectors.direction_labels(),
            "recalls": selectors.recall_list()[:50],
            "holds": Hold.objects.all()[:50],
            "can_hold": request.user.has_perm("trace.hold"),
            "error": error,
        },
        status=404 if error else 200,
    )


def trace_page(request, direction: str, code: str):
    _need(request, "trace.view")
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
    recallable = [lot for lot in lots if lot.status in services.RECALLABLE]
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
    _need(request, "trace.recall")
    found = Lot.objects.filter(number=lot).first()
    if found is None:
        raise Http404
    form = forms.RecallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.recall_lot(
                request=request,
                actor=request.user,
                lot=found,
                reason=form.cleaned_data["reason"],
                password=form.cleaned_data["password"],
            )
        except (errors.InputError, errors.RuleViolation, errors.PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Lot {lot} is recalled.").format(lot=found.number))
            return redirect(reverse("trace:recall-detail", args=[done.number]))
    preview = selectors.trace("lot", found.number).recipients()
    return render(
        request,
        "trace/recall_form.html",
        {
            "lot": found,
            "form": form,
            "recipients": preview,
            "shipped": services.shipped_items(found),
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


@require_http_methods(["GET", "POST"])
def recall_detail(request, number: str):
    _need(request, "trace.view")
    recall = _recall_or_404(number)
    unit_form, close_form, status = None, forms.RecallCloseForm(), 200
    destroy_form = None
    codes = request.user.has_perm(selectors.PATIENT_CODES)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "destroy-held":
                _need(request, "trace.destroy_held")
                destroy_form = forms.DestroyHeldForm(request.POST, units=selectors.recall_held_stock(recall))
                if _destroy_held(request, recall, destroy_form):
                    return redirect(reverse("trace:recall-detail", args=[recall.number]))
            elif action == "close-unit":
                _need(request, "trace.recall_effectiveness")
                unit_form = forms.RecallUnitForm(request.POST)
                if unit_form.is_valid():
                    data = unit_form.cleaned_data
                    unit = services.close_recall_unit(
                        actor=request.user,
                        recall=recall,
                        aliquot=data["aliquot"],
                        outcome=data["outcome"],
                        note=data["note"],
                    )
                    messages.success(
                        request,
                        _("{code} closed as {outcome}.").format(
                            code=unit.aliquot.container_id, outcome=unit.get_outcome_display()
                        ),
                    )
                    return redirect(reverse("trace:recall-detail", args=[recall.number]))
                messages.error(request, _("Choose an outcome and give the evidence."))
            elif action == "close-recall":
                _need(request, "trace.recall")
                close_form = forms.RecallCloseForm(request.POST)
                if close_form.is_valid():
                    services.close_recall(
                        request=request,
                        actor=request.user,
                        recall=recall,
                        reason=close_form.cleaned_data["reason"],
                        password=close_form.cleaned_data["password"],
                    )
                    messages.success(request, _("Recall {number} is closed.").format(number=recall.number))
                    return redirect(reverse("trace:recall-detail", args=[recall.number]))
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except (errors.InputError, errors.RuleViolation) as exc:
            if action == "close-recall":
                close_form.add_error(None, str(exc))
            elif action == "destroy-held" and destroy_form is not None:
                destroy_form.add_error(None, str(exc))
            else:
                messages.error(request, str(exc))
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
    """The 'destroy held units' form of a recall or hold page: True when done. Refusals of the service
    are raised for the caller to show on the form."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    done = services.destroy_held_units(
        request=request,
        actor=request.user,
        source=source,
        aliquots=data["aliquots"],
        reason=data["reason"],
        password=data["password"],
    )
    messages.success(
        request,
        _("Destroyed under {number}: {units}.").format(
            number=source.number, units=", ".join(d.aliquot.container_id for d in done)
        ),
    )
    return True


def recall_csv(request, number: str):
    _need(request, "trace.view")
    recall = _recall_or_404(number)
    codes = request.user.has_perm(selectors.PATIENT_CODES)
    response = HttpResponse(
        exports.recall_csv(recall, patient_codes=codes), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{recall.number}-{recall.lot.number}.csv"'
    return response


@pdf_view
def recall_pdf(request, number: str):
    _need(request, "trace.view")
    recall = _recall_or_404(number)
    codes = request.user.has_perm(selectors.PATIENT_CODES)
    response = HttpResponse(exports.recall_pdf(recall, patient_codes=codes), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{recall.number}-{recall.lot.number}.pdf"'
    return response


# --- holds ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def hold_new(request):
    _need(request, "trace.hold")
    initial = {k: request.GET.get(k, "") for k in ("scope", "code")}
    form = forms.HoldForm(request.POST or None, initial=initial)
    preview, status = None, 200
    scope = (request.POST or request.GET).get("scope", "")
    code = (request.POST or request.GET).get("code", "").strip()
    if scope and code:
        try:
            subject, _code = services._subject(scope, code)
            preview = services.downstream_lots(scope, subject)
        except errors.InputError:
            preview = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                hold = services.place_hold(
                    actor=request.user, scope=data["scope"], code=data["code"], reason=data["reason"]
                )
            except errors.PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except (errors.InputError, errors.RuleViolation) as exc:
                if isinstance(exc, errors.InputError) and exc.where in form.fields:
                    form.add_error(exc.where, exc.message)
                else:
                    form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Hold {number} placed on {n} lots.").format(number=hold.number, n=len(hold.lots)),
                )
                return redirect(reverse("trace:hold-detail", args=[hold.number]))
        status = 400
    return render(request, "trace/hold_form.html", {"form": form, "preview": preview}, status=status)


@require_http_methods(["GET", "POST"])
def hold_detail(request, number: str):
    _need(request, "trace.view")
    hold = (
        Hold.objects.select_related("placed_by", "released_by", "release_signature")
        .filter(number=number)
        .first()
    )
    if hold is None:
        raise Http404
    form, status = forms.HoldReleaseForm(), 200
    destroy_form = None
    if request.method == "POST" and request.POST.get("action") == "destroy-held":
        _need(request, "trace.destroy_held")
        destroy_form = forms.DestroyHeldForm(request.POST, units=selectors.hold_held_stock(hold))
        try:
            done = _destroy_held(request, hold, destroy_form)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except (errors.InputError, errors.RuleViolation) as exc:
            destroy_form.add_error(None, str(exc))
            done = False
        if done:
            return redirect(reverse("trace:hold-detail", args=[hold.number]))
        status = 400
    elif request.method == "POST":
        _need(request, "trace.hold")
        form = forms.HoldReleaseForm(request.POST)
        if form.is_valid():
            try:
                services.release_hold(
                    request=request,
                    actor=request.user,
                    hold=hold,
                    reason=form.cleaned_data["reason"],
                    password=form.cleaned_data["password"],
                )
            except errors.PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except (errors.InputError, errors.RuleViolation) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Hold {number} is lifted.").format(number=hold.number))
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
