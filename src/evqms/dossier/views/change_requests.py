"""Putting a draft process or specification version under an approved change request."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from evqms.changes.selectors import usable_for_versions
from evqms.core.views import require
from evqms.dossier import models as m
from evqms.dossier import services
from evqms.dossier.views import form_view
from evqms.i18n import _


def _form(kind: str, product, data=None):
    class ChangeRequestForm(forms.Form):
        change_request = forms.ModelChoiceField(
            label=gettext_lazy("change request"),
            queryset=usable_for_versions(kind, product.code),
            help_text=gettext_lazy("approved change requests of this kind for this product"),
        )

    return ChangeRequestForm(data)


@require_http_methods(["GET", "POST"])
def process_change_request(request, pk):
    require(request, "dossier.edit_process")
    proc = get_object_or_404(m.ProcessDefinition.objects.select_related("product"), pk=pk)
    page = reverse("dossier:process-detail", args=[proc.pk])
    return form_view(
        request,
        _form("process", proc.product, request.POST or None),
        lambda d: services.link_process_change_request(
            actor=request.user, process=proc, change_request=d["change_request"]
        ),
        success=_("Process v{version} is now under the change request.").format(version=proc.version),
        title=_("Change request of process v{version}").format(version=proc.version),
        submit=_("Link"),
        back=page,
    )


@require_http_methods(["GET", "POST"])
def specification_change_request(request, pk):
    require(request, "dossier.edit_specification")
    spec = get_object_or_404(m.Specification.objects.select_related("product"), pk=pk)
    page = reverse("dossier:specification-detail", args=[spec.pk])
    return form_view(
        request,
        _form("specification", spec.product, request.POST or None),
        lambda d: services.link_specification_change_request(
            actor=request.user, specification=spec, change_request=d["change_request"]
        ),
        success=_("Specification v{version} is now under the change request.").format(version=spec.version),
        title=_("Change request of specification v{version}").format(version=spec.version),
        submit=_("Link"),
        back=page,
    )
