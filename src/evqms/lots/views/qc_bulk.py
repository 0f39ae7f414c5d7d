"""QC work in bulk: the entry grid (every attribute of a lot that still needs a valid result, saved
all or nothing) and the verification of several results with one signature (select, review, sign).

The grid's rows are the single entry form (`forms.QCResultForm`) read the same way
(`qc_entry_arguments`); the QC rules and the signature live in the services, which check roles
again. A refused row or result is shown in place with the service's message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.audit.services import SignatureRefused
from evqms.core.views import require, show_refusal
from evqms.equipment import selectors as equipment
from evqms.lots import display, evaluation, forms, selectors, services
from evqms.lots.services.qc import QCEntriesRefused, QCEntry, record_qc_results
from evqms.lots.views.actions import qc_entry_arguments
from evqms.lots.views.pages import detail_url, lot_or_404


def _grid_rows(lot, data=None) -> list[dict]:
    """A row per attribute of the lot's specification without a valid result, in its order."""
    rows = []
    for current in selectors.current_results(lot):
        if current["result"] is None:
            attribute = current["attribute"]
            rows.append(
                {
                    "attribute": attribute,
                    "criterion": display.criterion_text(evaluation.attribute_limits(attribute)),
                    "form": forms.QCGridRowForm(data, attribute=attribute),
                }
            )
    return rows


def _with_grid_time(post, rows: list[dict], tested_at: str):
    """The posted data with the grid's moment tested in every typed row that has none of its own."""
    data = post.copy()
    for row in rows:
        form = row["form"]
        key = form.add_prefix("tested_at")
        if tested_at and not (data.get(key) or "").strip() and not form.is_blank():
            data[key] = tested_at
    return data


def _save_grid(request, lot, rows: list[dict]) -> int | None:
    """Check every typed row, then record them all or none; each refusal lands on its row. The
    number of results recorded, or None when something was refused."""
    entries, owners, refused = [], [], False
    for row in rows:
        form = row["form"]
        if form.is_blank():
            continue
        if not form.is_valid():
            refused = True
            continue
        try:
            arguments = qc_entry_arguments(form.cleaned_data, form)
        except errors.InputError as exc:  # an unknown instrument
            show_refusal(form, exc, field_for=forms.field_for)
            refused = True
            continue
        arguments.pop("raw_file")
        entries.append(QCEntry(lot=lot, attribute=row["attribute"], **arguments))
        owners.append(form)
    if refused:
        return None
    try:
        record_qc_results(actor=request.user, entries=entries)
    except QCEntriesRefused as exc:
        for index, why in exc.refusals:
            show_refusal(owners[index], why, field_for=forms.field_for)
        return None
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except (errors.InputError, errors.RuleViolation) as exc:
        messages.error(request, str(exc))
        return None
    return len(entries)


def _entry_refusal(user, lot) -> str | None:
    """Why no result may be recorded for `lot` now (its status), or None."""
    try:
        services.require_qc_entry(user, lot)
    except errors.RuleViolation as exc:
        return str(exc)
    return None


@require_http_methods(["GET", "POST"])
def qc_grid(request, number):
    """Every attribute still without a valid result, one row each, saved with one button."""
    require(request, "lots.record_qc_result")
    lot = lot_or_404(number)
    refusal = _entry_refusal(request.user, lot)
    rows = _grid_rows(lot)
    common = forms.QCGridForm(request.POST or None, prefix="grid")
    status = 200
    if request.method == "POST" and refusal is None and rows:
        tested_at = (request.POST.get(common.add_prefix("tested_at")) or "").strip()
        rows = _grid_rows(lot, _with_grid_time(request.POST, _grid_rows(lot, request.POST), tested_at))
        if common.is_valid():
            if all(row["form"].is_blank() for row in rows):
                common.add_error(None, _("Enter at least one result: every row is empty."))
            else:
                saved = _save_grid(request, lot, rows)
                if saved is not None:
                    messages.success(request, _("{n} QC results recorded.").format(n=saved))
                    return redirect(detail_url(lot) + "#qc")
        status = 400
    context = {"lot": lot, "rows": rows, "common": common, "refusal": refusal}
    context["instrument_options"] = equipment.usable_instruments()
    return render(request, "lots/qc_grid.html", context, status=status)


def _scope_lot(request):
    """The lot a verification page is limited to (?lot= or the form's `lot`), or None for all lots."""
    number = (request.GET.get("lot") or request.POST.get("lot") or "").strip()
    return lot_or_404(number) if number else None


@require_http_methods(["GET"])
def qc_verify_select(request):
    """The results this person may verify, of one lot or of every lot, to select and review."""
    require(request, "lots.verify_qc_result")
    lot = _scope_lot(request)
    rows = selectors.results_to_verify(request.user, lot=lot)
    return render(request, "lots/qc_verify_select.html", {"lot": lot, "rows": rows})


def _selected(request, lot) -> list[int]:
    if request.POST.get("all"):
        return [r["id"] for r in selectors.results_to_verify(request.user, lot=lot)]
    return [int(x) for x in request.POST.getlist("result") if x.strip().isdigit() and len(x.strip()) < 19]


@require_http_methods(["POST"])
def qc_verify_review(request):
    """The selection reviewed, each result with what stops this person verifying it, then one
    signature (the password again, meaning "verification") over all of them."""
    require(request, "lots.verify_qc_result")
    lot = _scope_lot(request)
    ids = _selected(request, lot)
    if not ids:
        messages.error(request, _("Select at least one QC result to verify."))
        back = reverse("lots:qc-verify-select") + (f"?lot={lot.number}" if lot else "")
        return redirect(back)
    signing = "sign" in request.POST
    form = forms.VerifySignForm(request.POST if signing else None)
    if signing and form.is_valid():
        try:
            verified = services.verify_qc_results(
                request=request, actor=request.user, result_ids=ids, password=form.cleaned_data["password"]
            )
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.QCVerificationsRefused:
            form.add_error(
                None, _("Nothing was verified: remove the results marked below from the selection.")
            )
        except SignatureRefused as exc:  # the password is wrong or the account locked
            form.add_error("password", str(exc))
        except (errors.InputError, errors.RuleViolation) as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("{n} QC results verified and signed.").format(n=len(verified)))
            return redirect(detail_url(lot) + "#qc" if lot else reverse("lots:qc-verify-select"))
    rows = []
    for r in selectors.results_selected(ids):
        row = selectors.result_row(r)
        row["refusal"] = services.verification_refusal(
            request.user, lot=r.lot, analyst=row["analyst"], status=row["status"], verified=row["verified"]
        )
        rows.append(row)
    if not rows:
        raise Http404
    context = {
        "lot": lot,
        "rows": rows,
        "form": form,
        "refused": sum(1 for r in rows if r["refusal"]),
    }
    return render(request, "lots/qc_verify_review.html", context, status=400 if form.errors else 200)
