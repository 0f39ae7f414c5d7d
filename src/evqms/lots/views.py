"""Lot pages: the list, creation, and the lot page (the batch record) with its actions.

Views parse forms, ask the services to act and show what happened; every rule lives in the
services (`evqms.lots.services`), which check roles again. A refused action re-renders the lot
page with the message next to the form that caused it. Forms on the lot page are boosted by
htmx (the page's <main> is swapped, no full reload); without JavaScript they post normally.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core.canonical import sha256_hex
from evqms.dossier.models import Product
from evqms.lots import forms, selectors, services
from evqms.lots.models import LOT_STATUSES, Deviation, QCResult
from evqms.reports import formatting as fmt

QC_OPEN = ("qc", "quarantine")
DISPOSABLE = ("in_process", "qc", "quarantine")


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _lot_or_404(number: str):
    lot = selectors.get_lot(number)
    if lot is None:
        raise Http404
    return lot


def _detail_url(lot) -> str:
    return reverse("lots:lot-detail", args=[lot.number])


# --- list and creation --------------------------------------------------------------------


def lot_list(request):
    _need(request, "lots.view")
    filters = {k: request.GET.get(k, "").strip() for k in ("status", "product", "q")}
    qs = selectors.lot_list(
        status=filters["status"] or None, product=filters["product"] or None, search=filters["q"] or None
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "lots/lot_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": LOT_STATUSES,
            "products": Product.objects.order_by("code"),
            "can_create": request.user.has_perm("lots.create_lot"),
        },
    )


@require_http_methods(["GET", "POST"])
def lot_create(request):
    _need(request, "lots.create_lot")
    form = forms.LotCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lot = services.create_lot(
                actor=request.user,
                product=data["product"],
                process=data["process"],
                specification=data["specification"],
                cell_bank=data["cell_bank"],
                number=data["number"],
                manufactured_on=data["manufactured_on"],
                volume_ml=data["volume_ml"],
                expiry=data["expiry"],
                notes=data["notes"],
            )
        except errors.InputError as exc:
            forms.attach_input_error(form, exc)
        except errors.RuleViolation as exc:
            form.add_error(None, str(exc))
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Lot {lot} created.").format(lot=lot.number))
            return redirect(_detail_url(lot))
    return render(request, "lots/lot_create.html", {"form": form}, status=400 if form.errors else 200)


# --- the lot page -------------------------------------------------------------------------


def _permissions(user) -> dict:
    names = (
        "record_manufacturing",
        "submit_to_qc",
        "record_qc_result",
        "verify_qc_result",
        "invalidate_qc_result",
        "complete_qc",
        "open_deviation",
        "close_deviation",
        "release_lot",
        "reject_lot",
        "set_expiry",
    )
    return {n: user.has_perm(f"lots.{n}") for n in names}


def _decorate_result(r: dict) -> dict:
    r["shown"] = fmt.fmt_result(r)
    r["entered"] = fmt.fmt_entered(r)
    r["criterion_shown"] = fmt.fmt_criterion(r["limits"])
    r["alert_shown"] = fmt.fmt_alert(r["limits"])
    r["tested_shown"] = fmt.fmt_datetime_short(r["tested_at"])
    r["verified_shown"] = fmt.fmt_datetime_short(r["verified_at"])
    return r


def _qc_rows(lot, story: dict, can: dict, user, bound: dict) -> list[dict]:
    by_attribute: dict[str, list[dict]] = {}
    for r in story["results"]:
        by_attribute.setdefault(r["attribute"], []).append(_decorate_result(r))
    qc_open = lot.status in QC_OPEN
    rows = []
    for attribute in lot.specification.attributes.order_by("order", "id"):  # as current_results orders them
        results = by_attribute.get(attribute.code, [])
        for r in results:
            r["can_verify"] = (
                qc_open
                and can["verify_qc_result"]
                and r["status"] == "valid"
                and not r["verified_by"]
                and r["analyst"]["username"] != user.get_username()
            )
            r["invalidate_form"] = (
                bound.get(("invalidate", r["id"])) or forms.ReasonForm(prefix=f"inv{r['id']}")
                if qc_open and can["invalidate_qc_result"] and r["status"] == "valid"
                else None
            )
            r["retest_form"] = None
        if results and qc_open and can["record_qc_result"]:
            last = results[-1]
            last["retest_form"] = bound.get(("retest", last["id"])) or forms.QCResultForm(
                attribute=attribute, prefix=f"r{last['id']}"
            )
        entry_form = None
        if not results and qc_open and can["record_qc_result"]:
            entry_form = bound.get(("qc", attribute.pk)) or forms.QCResultForm(attribute=attribute)
        rows.append(
            {
                "attribute": attribute,
                "criterion": fmt.fmt_criterion(fmt.spec_limits(attribute)),
                "results": results,
                "entry_form": entry_form,
            }
        )
    return rows


def _step_rows(lot, story: dict, can: dict, bound: dict) -> list[dict]:
    recorded: dict[int, list[dict]] = {}
    for s in story["steps"]:
        for v in s["values"]:
            v["value_shown"] = fmt.fmt_number(v["value"])
            v["range_shown"] = "–".join(
                fmt.fmt_number(x) if x is not None else "" for x in (v["low"], v["high"])
            )
        s["started_shown"] = fmt.fmt_datetime_short(s["started_at"])
        s["finished_shown"] = fmt.fmt_datetime_short(s["finished_at"])
        recorded.setdefault(s["order"], []).append(s)
    rows = []
    for step in lot.process.steps.prefetch_related("parameters").order_by("order"):
        form = None
        if lot.status == "in_process" and can["record_manufacturing"] and step.order not in recorded:
            form = bound.get(("step", step.pk)) or forms.StepRecordForm(step=step)
        rows.append({"step": step, "records": recorded.get(step.order, []), "form": form})
    return rows


def _signature_rows(story: dict) -> list[dict]:
    rows = []
    for s in story["signatures"]:
        s["signed_shown"] = fmt.fmt_datetime(s["signed_at"])
        rows.append(s)
    return rows


def _render_lot(request, lot, *, bound: dict | None = None, dialog: str = "", status: int = 200):
    bound = bound or {}
    user = request.user
    can = _permissions(user)
    story = selectors.lot_detail(lot)
    lot.refresh_from_db()
    gate_lang = "ja" if (request.LANGUAGE_CODE or "ja").startswith("ja") else "en"
    gate = [
        {**p, "text": p["message"].get(gate_lang) or p["message"].get("en")} for p in story["release_gate"]
    ]
    checklist = [
        {**c, "text": c["message"].get(gate_lang) or c["message"].get("en")}
        for c in story["release_checklist"]
    ]
    # The checklist shows its own refusals (with the source of the shelf life); the list above it the rest.
    listed = {c["code"] for c in checklist}
    for d in story["deviations"]:
        d["opened_shown"] = fmt.fmt_datetime_short(d["opened_at"])
        d["closed_shown"] = fmt.fmt_datetime_short(d["closed_at"])
        d["close_form"] = (
            bound.get(("close", d["id"])) or forms.CloseDeviationForm(prefix=f"dev{d['id']}")
            if d["status"] == "open" and can["close_deviation"]
            else None
        )
    story["volume_shown"] = fmt.fmt_number(story["volume_ml"]) if story["volume_ml"] is not None else "—"
    for m in story["materials"]:
        m["quantity_shown"] = fmt.fmt_number(m["quantity"])
    context = {
        "lot": lot,
        "story": story,
        "can": can,
        "gate": gate,
        "gate_other": [p for p in gate if p["code"] not in listed],
        "checklist": checklist,
        "expiry_form": (
            bound.get(("expiry",)) or forms.ExpiryForm(initial={"expiry": lot.expiry})
            if can["set_expiry"] and lot.status in DISPOSABLE
            else None
        ),
        "qc_rows": _qc_rows(lot, story, can, user, bound),
        "step_rows": _step_rows(lot, story, can, bound),
        "signatures": _signature_rows(story),
        "material_form": (
            bound.get(("material",)) or forms.MaterialUsageForm()
            if lot.status == "in_process" and can["record_manufacturing"]
            else None
        ),
        "deviation_form": (
            bound.get(("deviation",)) or forms.DeviationForm()
            if can["open_deviation"] and lot.status in DISPOSABLE
            else None
        ),
        "release_form": bound.get(("release",)) or forms.SignForm(prefix="release"),
        "reject_form": bound.get(("reject",)) or forms.SignForm(prefix="reject"),
        "show_release": can["release_lot"] and lot.status == "quarantine",
        "show_reject": can["reject_lot"] and lot.status in DISPOSABLE,
        "dialog": dialog,
        "can_submit": can["submit_to_qc"] and lot.status == "in_process",
        "can_complete": can["complete_qc"] and lot.status == "qc",
        "coa_lang": gate_lang,
    }
    return render(request, "lots/lot_detail.html", context, status=status)


def lot_detail(request, number):
    _need(request, "lots.view")
    return _render_lot(request, _lot_or_404(number))


def qc_raw_file(request, number, result_id):
    """The instrument file a QC result was recorded from, as kept, only while it matches its recorded hash."""
    _need(request, "lots.view")
    result = QCResult.objects.filter(lot=_lot_or_404(number), pk=result_id).first()
    if result is None or not result.raw_file:
        raise Http404(_("this QC result has no raw file"))
    try:
        with result.raw_file.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise Http404(_("the raw file of this QC result is missing from storage")) from None
    if sha256_hex(data) != result.raw_file_sha256:
        # Serving an altered original would defeat the point of keeping it with its hash.
        return HttpResponse(
            _("the stored raw file no longer matches the SHA-256 recorded with the result"),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    name = result.raw_file_name or result.raw_file.name.rsplit("/", 1)[-1]
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=name)


# --- actions ------------------------------------------------------------------------------


def _act(request, lot, *, key: tuple, form, action, success: str, dialog: str = ""):
    """Run a service call for a valid form; on refusal show the lot page with the error on `form`."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except errors.InputError as exc:
            forms.attach_input_error(form, exc)
        except errors.RuleViolation as exc:  # includes SignatureRefused and ReleaseBlocked
            form.add_error(None, str(exc))
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, success)
            return redirect(_detail_url(lot))
    # htmx swaps only 2xx answers: keep 200 for it, 400 for a plain form post.
    return _render_lot(request, lot, bound={key: form}, dialog=dialog, status=200 if request.htmx else 400)


def _post_only(view):
    """GET on an action URL (e.g. a reload after htmx pushed it) shows the lot page instead."""

    def wrapper(request, number, *args, **kwargs):
        if request.method != "POST":
            return redirect(reverse("lots:lot-detail", args=[number]))
        return view(request, number, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@_post_only
def material_add(request, number):
    _need(request, "lots.record_manufacturing")
    lot = _lot_or_404(number)
    form = forms.MaterialUsageForm(request.POST)
    return _act(
        request,
        lot,
        key=("material",),
        form=form,
        action=lambda d: services.record_material_usage(
            actor=request.user,
            lot=lot,
            material_lot=d["material_lot"],
            quantity=d["quantity"],
            unit=d["unit"],
        ),
        success=_("Material recorded."),
    )


@_post_only
def step_record(request, number, step_id):
    _need(request, "lots.record_manufacturing")
    lot = _lot_or_404(number)
    step = lot.process.steps.filter(pk=step_id).first()
    if step is None:
        raise Http404
    form = forms.StepRecordForm(request.POST, step=step)
    return _act(
        request,
        lot,
        key=("step", step.pk),
        form=form,
        action=lambda d: services.record_step(
            actor=request.user,
            lot=lot,
            step=step,
            started_at=d["started_at"],
            finished_at=d["finished_at"],
            values=form.values(),
            notes=d["notes"],
        ),
        success=_("Step {step} recorded.").format(step=step.name),
    )


def _simple(request, lot, perm: str, call, success: str):
    """Actions without a form (submit to QC, complete QC, verify): errors become a message."""
    _need(request, perm)
    try:
        call()
    except (errors.InputError, errors.RuleViolation) as exc:
        messages.error(request, str(exc))
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    else:
        messages.success(request, success)
    return redirect(_detail_url(lot))


@_post_only
def submit_qc(request, number):
    lot = _lot_or_404(number)
    return _simple(
        request,
        lot,
        "lots.submit_to_qc",
        lambda: services.submit_to_qc(actor=request.user, lot=lot),
        _("Lot submitted to QC."),
    )


@_post_only
def complete_qc(request, number):
    lot = _lot_or_404(number)
    return _simple(
        request,
        lot,
        "lots.complete_qc",
        lambda: services.complete_qc(actor=request.user, lot=lot),
        _("QC complete: the lot is in quarantine awaiting release."),
    )


def _result_or_404(lot, result_id) -> QCResult:
    result = QCResult.objects.filter(lot=lot, pk=result_id).select_related("attribute", "lot").first()
    if result is None:
        raise Http404
    return result


def _record_result(request, lot, form, attribute, retest_of=None):
    def action(d):
        return services.record_qc_result(
            actor=request.user,
            lot=lot,
            attribute=attribute,
            value=d.get("value") or None,
            unit=d.get("unit") or "",
            text_value=d.get("text_value") or "",
            method=d.get("method") or "",
            tested_at=d["tested_at"],
            raw_file=d.get("raw_file"),
            retest_of=retest_of,
        )

    return action


@_post_only
def qc_entry(request, number, attribute_id):
    _need(request, "lots.record_qc_result")
    lot = _lot_or_404(number)
    attribute = lot.specification.attributes.filter(pk=attribute_id).first()
    if attribute is None:
        raise Http404
    form = forms.QCResultForm(request.POST, request.FILES, attribute=attribute)
    return _act(
        request,
        lot,
        key=("qc", attribute.pk),
        form=form,
        action=_record_result(request, lot, form, attribute),
        success=_("Result for {attribute} recorded.").format(attribute=attribute.name),
    )


@_post_only
def qc_retest(request, number, result_id):
    _need(request, "lots.record_qc_result")
    lot = _lot_or_404(number)
    original = _result_or_404(lot, result_id)
    form = forms.QCResultForm(
        request.POST, request.FILES, attribute=original.attribute, prefix=f"r{original.pk}"
    )
    return _act(
        request,
        lot,
        key=("retest", original.pk),
        form=form,
        action=_record_result(request, lot, form, original.attribute, retest_of=original),
        success=_("Retest of {attribute} recorded.").format(attribute=original.attribute.name),
    )


@_post_only
def qc_verify(request, number, result_id):
    lot = _lot_or_404(number)
    result = _result_or_404(lot, result_id)
    return _simple(
        request,
        lot,
        "lots.verify_qc_result",
        lambda: services.verify_qc_result(actor=request.user, result=result),
        _("Result verified."),
    )


@_post_only
def qc_invalidate(request, number, result_id):
    _need(request, "lots.invalidate_qc_result")
    lot = _lot_or_404(number)
    result = _result_or_404(lot, result_id)
    form = forms.ReasonForm(request.POST, prefix=f"inv{result.pk}")
    return _act(
        request,
        lot,
        key=("invalidate", result.pk),
        form=form,
        action=lambda d: services.invalidate_qc_result(actor=request.user, result=result, reason=d["reason"]),
        success=_("Result invalidated."),
    )


@_post_only
def deviation_open(request, number):
    _need(request, "lots.open_deviation")
    lot = _lot_or_404(number)
    form = forms.DeviationForm(request.POST)
    return _act(
        request,
        lot,
        key=("deviation",),
        form=form,
        action=lambda d: services.open_deviation(actor=request.user, lot=lot, description=d["description"]),
        success=_("Deviation opened."),
    )


@_post_only
def deviation_close(request, number, deviation_id):
    _need(request, "lots.close_deviation")
    lot = _lot_or_404(number)
    deviation = Deviation.objects.filter(lot=lot, pk=deviation_id).first()
    if deviation is None:
        raise Http404
    form = forms.CloseDeviationForm(request.POST, prefix=f"dev{deviation.pk}")
    return _act(
        request,
        lot,
        key=("close", deviation.pk),
        form=form,
        action=lambda d: services.close_deviation(
            actor=request.user, deviation=deviation, resolution=d["resolution"]
        ),
        success=_("Deviation {number} closed.").format(number=deviation.number),
    )


@_post_only
def set_expiry(request, number):
    _need(request, "lots.set_expiry")
    lot = _lot_or_404(number)
    form = forms.ExpiryForm(request.POST)
    return _act(
        request,
        lot,
        key=("expiry",),
        form=form,
        action=lambda d: services.set_lot_expiry(
            actor=request.user, lot=lot, expiry=d["expiry"], reason=d["reason"]
        ),
        success=_("Expiry recorded."),
    )


@_post_only
def release(request, number):
    _need(request, "lots.release_lot")
    lot = _lot_or_404(number)
    form = forms.SignForm(request.POST, prefix="release")
    return _act(
        request,
        lot,
        key=("release",),
        form=form,
        action=lambda d: services.release_lot(
            request=request, actor=request.user, lot=lot, password=d["password"], reason=d["reason"]
        ),
        success=_("Lot {lot} released and signed.").format(lot=lot.number),
        dialog="release",
    )


@_post_only
def reject(request, number):
    _need(request, "lots.reject_lot")
    lot = _lot_or_404(number)
    form = forms.SignForm(request.POST, prefix="reject")
    return _act(
        request,
        lot,
        key=("reject",),
        form=form,
        action=lambda d: services.reject_lot(
            request=request, actor=request.user, lot=lot, password=d["password"], reason=d["reason"]
        ),
        success=_("Lot {lot} rejected and signed.").format(lot=lot.number),
        dialog="reject",
    )
