"""Training pages: the matrix (people x documents), a person's training file, recording a training,
media fills (list, detail, record with QA's signature). Thin: services decide, selectors read."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from evqms.audit.selectors import signatures_for
from evqms.core.views import act, attempt, require
from evqms.i18n import _
from evqms.training import forms, records, selectors, services
from evqms.training import models as m
from evqms.training.listings import MEDIA_FILLS, matrix_listing


def matrix(request):
    require(request, "training.view")
    filters = {k: request.GET.get(k, "").strip()[:150] for k in ("document", "person")}
    grid = selectors.matrix(document=filters["document"], person=filters["person"])
    table = matrix_listing(grid.documents).table(request, grid.rows)
    if table.export_format:
        return table.export()
    return render(
        request,
        "training/matrix.html",
        {
            "grid": grid,
            "rows": table.rows,
            "table": table,
            "filters": filters,
            "all_documents": selectors.training_documents(),
            "all_people": selectors.trainees(),
            "unguarded": selectors.aseptic_steps_without_sop(),
            "can_record": request.user.has_perm("training.record_training"),
        },
    )


def person(request, username: str):
    require(request, "training.view")
    who = get_user_model().objects.filter(username=username).first()
    if who is None:
        raise Http404
    return render(
        request,
        "training/person.html",
        {
            "person": who,
            "trainings": selectors.person_trainings(who),
            "media_fills": selectors.person_media_fills(who),
            "qualification": selectors.qualification_status(who),
            "outstanding": selectors.outstanding_trainings(who),
            "can_revoke": request.user.has_perm("training.revoke_training"),
            "revoke_form": forms.RevokeForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def record_training(request):
    require(request, "training.record_training")
    initial = {"trainer": request.user.pk, "method": "read_understood"}
    who = get_user_model().objects.filter(username=request.GET.get("person", "")[:150]).first()
    if who is not None:
        initial["person"] = who.pk
    wanted = request.GET.get("document", "")
    if wanted.isascii() and wanted.isdigit() and len(wanted) <= 18:
        initial["document"] = int(wanted)
    form = forms.TrainingForm(request.POST or None, request.FILES or None, initial=initial)

    def save(d):
        upload = d.get("evidence")
        return services.record_training(
            actor=request.user,
            person=d["person"],
            document=d["document"],
            trained_on=d["trained_on"],
            effective_from=d["effective_from"],
            trainer=d["trainer"],
            method=d["method"],
            notes=d["notes"],
            evidence=(upload.name, upload.read()) if upload else None,
        )

    done = attempt(
        request,
        form,
        save,
        success=lambda r: _("Training of {name} on {document} recorded.").format(
            name=r.person.signature_name(), document=r.document
        ),
    )
    if done:
        return redirect(reverse("training:person", args=[done.result.person.get_username()]))
    return render(
        request, "training/record.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@require_POST
def revoke(request, pk: int):
    require(request, "training.revoke_training")
    record = get_object_or_404(m.TrainingRecord.objects.select_related("person"), pk=pk)
    act(
        request,
        lambda: services.revoke_training(
            actor=request.user, record=record, reason=request.POST.get("reason", "")
        ),
        success=_("Training record revoked."),
    )
    return redirect(reverse("training:person", args=[record.person.get_username()]))


def media_fill_list(request):
    require(request, "training.view")
    table = MEDIA_FILLS.table(request, selectors.media_fills())
    if table.export_format:
        return table.export()
    return render(
        request,
        "training/media_fill_list.html",
        {
            "runs": table.rows[:500],
            "table": table,
            "due": selectors.requalifications_due(),
            "today": timezone.localdate(),
            "can_record": request.user.has_perm("training.record_media_fill"),
        },
    )


def media_fill_detail(request, pk: int):
    require(request, "training.view")
    run = selectors.get_media_fill(pk)
    if run is None:
        raise Http404
    return render(
        request,
        "training/media_fill_detail.html",
        {
            "run": run,
            "signatures": signatures_for("media_fill", run.pk, records.media_fill_signed_record(run)),
        },
    )


@require_http_methods(["GET", "POST"])
def media_fill_record(request):
    require(request, "training.record_media_fill")
    form = forms.MediaFillForm(request.POST or None)

    def save(d):
        return services.record_media_fill(
            request=request,
            actor=request.user,
            password=d["password"],
            performed_on=d["performed_on"],
            line=d["line"],
            operators=form.participants(),
            units_filled=d["units_filled"],
            units_incubated=d["units_incubated"],
            units_contaminated=d["units_contaminated"],
            process_description=d["process_description"],
            notes=d["notes"],
            reason=d["reason"],
        )

    done = attempt(
        request,
        form,
        save,
        success=lambda run: _("Media fill {number} recorded and signed.").format(number=run.number),
    )
    if done:
        return redirect(reverse("training:media-fill-detail", args=[done.result.pk]))
    return render(
        request,
        "training/media_fill_record.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
