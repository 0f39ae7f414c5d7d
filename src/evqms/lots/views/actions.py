"""The lot page's actions: each parses its form, asks the service to act and shows what happened.

Every rule lives in the services (`evqms.lots.services`), which check roles again. A refused
action renders the lot page again with the message next to the form that caused it; forms on the
page are boosted by htmx (the page's <main> is swapped, no full reload), without JavaScript they
post normally.
"""

from __future__ import annotations

import re

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from evqms.core.views import act, attempt, require
from evqms.equipment import selectors as equipment
from evqms.errors import InputError
from evqms.lots import forms, services
from evqms.lots.models import QCResult
from evqms.lots.views.lot_page import render_lot
from evqms.lots.views.pages import detail_url, lot_or_404


def _act(request, lot, *, key: tuple, form, action, success: str, dialog: str = ""):
    """`attempt` for a form of the lot page; on refusal the lot page again, the error on `form`."""
    if attempt(request, form, action, success=success, field_for=forms.field_for):
        return redirect(detail_url(lot))
    # htmx swaps only 2xx answers: keep 200 for it, 400 for a plain form post.
    return render_lot(request, lot, bound={key: form}, dialog=dialog, status=200 if request.htmx else 400)


def room_named(code: str | None):
    """The room a form names by its code, or None when empty; unknown is refused on the field."""
    code = (code or "").strip()
    if not code:
        return None
    room = equipment.find_room(code)
    if room is None:
        raise InputError(_("unknown room {code}").format(code=code), where="room")
    return room


def instruments_named(text: str | None, *, field: str = "instruments") -> list:
    """The instruments a form names by identifier (comma- or space-separated)."""
    found = []
    for identifier in re.split(r"[\s,、，]+", text or ""):
        if not identifier:
            continue
        instrument = equipment.find_instrument(identifier)
        if instrument is None:
            raise InputError(_("unknown instrument {identifier}").format(identifier=identifier), where=field)
        found.append(instrument)
    return found


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
    require(request, "lots.record_manufacturing")
    lot = lot_or_404(number)
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
    require(request, "lots.record_manufacturing")
    lot = lot_or_404(number)
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
            room=room_named(d.get("room")),
            instruments=instruments_named(d.get("instruments")),
        ),
        success=_("Step {step} recorded.").format(step=step.name),
    )


@_post_only
def submit_qc(request, number):
    require(request, "lots.submit_to_qc")
    lot = lot_or_404(number)
    act(
        request, lambda: services.submit_to_qc(actor=request.user, lot=lot), success=_("Lot submitted to QC.")
    )
    return redirect(detail_url(lot))


@_post_only
def complete_qc(request, number):
    require(request, "lots.complete_qc")
    lot = lot_or_404(number)
    act(
        request,
        lambda: services.complete_qc(actor=request.user, lot=lot),
        success=_("QC complete: the lot is in quarantine awaiting release."),
    )
    return redirect(detail_url(lot))


def _result_or_404(lot, result_id) -> QCResult:
    result = QCResult.objects.filter(lot=lot, pk=result_id).select_related("attribute", "lot").first()
    if result is None:
        raise Http404
    return result


def qc_entry_arguments(d: dict, form=None) -> dict:
    """What a QC entry form (`forms.QCResultForm`, a row of the grid) gives the QC service: the
    one reading of its fields, shared by the single entry, the retest and the grid, with the run
    controls of a sterility, endotoxin or mycoplasma result (`form.controls()`, None for others)."""
    return dict(
        value=d.get("value") or None,
        unit=d.get("unit") or "",
        text_value=d.get("text_value") or "",
        method=d.get("method") or "",
        tested_at=d["tested_at"],
        raw_file=d.get("raw_file"),
        instrument=(instruments_named(d.get("instrument"), field="instrument") or [None])[0],
        controls=form.controls() if form is not None else None,
    )


def _record_result(request, lot, attribute, retest_of=None, form=None):
    def action(d):
        return services.record_qc_result(
            actor=request.user,
            lot=lot,
            attribute=attribute,
            retest_of=retest_of,
            **qc_entry_arguments(d, form),
        )

    return action


@_post_only
def qc_entry(request, number, attribute_id):
    require(request, "lots.record_qc_result")
    lot = lot_or_404(number)
    attribute = lot.specification.attributes.filter(pk=attribute_id).first()
    if attribute is None:
        raise Http404
    form = forms.QCResultForm(request.POST, request.FILES, attribute=attribute)
    return _act(
        request,
        lot,
        key=("qc", attribute.pk),
        form=form,
        action=_record_result(request, lot, attribute, form=form),
        success=_("Result for {attribute} recorded.").format(attribute=attribute.name),
    )


@_post_only
def qc_retest(request, number, result_id):
    require(request, "lots.record_qc_result")
    lot = lot_or_404(number)
    original = _result_or_404(lot, result_id)
    form = forms.QCResultForm(
        request.POST, request.FILES, attribute=original.attribute, prefix=f"r{original.pk}"
    )
    return _act(
        request,
        lot,
        key=("retest", original.pk),
        form=form,
        action=_record_result(request, lot, original.attribute, retest_of=original, form=form),
        success=_("Retest of {attribute} recorded.").format(attribute=original.attribute.name),
    )


@_post_only
def qc_verify(request, number, result_id):
    require(request, "lots.verify_qc_result")
    lot = lot_or_404(number)
    result = _result_or_404(lot, result_id)
    act(
        request,
        lambda: services.verify_qc_result(actor=request.user, result=result),
        success=_("Result verified."),
    )
    return redirect(detail_url(lot))


@_post_only
def qc_invalidate(request, number, result_id):
    require(request, "lots.invalidate_qc_result")
    lot = lot_or_404(number)
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
    require(request, "lots.open_deviation")
    lot = lot_or_404(number)
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
def set_expiry(request, number):
    require(request, "lots.set_expiry")
    lot = lot_or_404(number)
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


def _signed(request, number, *, meaning: str, sign, success: str):
    """Release or rejection: the password again and a reason, in the dialog of that name."""
    lot = lot_or_404(number)
    form = forms.SignForm(request.POST, prefix=meaning)
    return _act(
        request,
        lot,
        key=(meaning,),
        form=form,
        action=lambda d: sign(
            request=request, actor=request.user, lot=lot, password=d["password"], reason=d["reason"]
        ),
        success=success.format(lot=lot.number),
        dialog=meaning,
    )


@_post_only
def release(request, number):
    require(request, "lots.release_lot")
    return _signed(
        request,
        number,
        meaning="release",
        sign=services.release_lot,
        success=_("Lot {lot} released and signed."),
    )


@_post_only
def reject(request, number):
    require(request, "lots.reject_lot")
    return _signed(
        request,
        number,
        meaning="reject",
        sign=services.reject_lot,
        success=_("Lot {lot} rejected and signed."),
    )
