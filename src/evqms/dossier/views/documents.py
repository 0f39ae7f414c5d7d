"""Controlled documents: upload, approval with a signature, and download of the kept original."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from evqms.core.views import attempt, require
from evqms.dossier import forms, services
from evqms.dossier import models as m
from evqms.dossier.views import back_url, form_view
from evqms.i18n import _


@require_http_methods(["GET", "POST"])
def document_upload(request):
    require(request, "dossier.upload_document")
    form = forms.DocumentForm(request.POST or None, request.FILES or None)

    def act(d):
        f = d["file"]
        return services.upload_document(
            actor=request.user,
            code=d["code"],
            title=d["title"],
            kind=d["kind"],
            content=f.read(),
            original_name=f.name,
        )

    return form_view(
        request,
        form,
        act,
        success=_("Document stored."),
        title=_("Upload a document"),
        submit=_("Upload"),
        back=back_url(request),
        multipart=True,
    )


@require_http_methods(["GET", "POST"])
def document_approve(request, pk):
    require(request, "dossier.approve_document")
    doc = get_object_or_404(m.Document, pk=pk)
    form = forms.SignForm(request.POST or None, prefix="sign")
    if attempt(
        request,
        form,
        lambda d: services.approve_document(
            request=request, actor=request.user, document=doc, password=d["password"], reason=d["reason"]
        ),
        success=_("Document {doc} approved and signed.").format(doc=doc),
    ):
        return redirect(back_url(request))
    return render(
        request,
        "dossier/sign.html",
        {
            "form": form,
            "title": _("Approve {doc}").format(doc=doc),
            "back": back_url(request),
            "record": doc,
        },
        status=400 if request.method == "POST" else 200,
    )


def document_download(request, pk):
    require(request, "dossier.view")
    doc = get_object_or_404(m.Document, pk=pk)
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name)
