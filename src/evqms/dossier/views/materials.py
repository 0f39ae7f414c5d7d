"""Materials and their lots: recording, editing, receiving into quarantine, accepting or rejecting."""

from __future__ import annotations

from functools import partial

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from evqms.core.views import require
from evqms.dossier import forms, records, selectors, services
from evqms.dossier import models as m
from evqms.dossier.views import back_url, edit_page, form_view
from evqms.i18n import _


@require_http_methods(["GET", "POST"])
def material_create(request):
    require(request, "dossier.manage_material")
    return form_view(
        request,
        forms.MaterialForm(request.POST or None),
        lambda d: services.create_material(actor=request.user, **d),
        success=_("Material recorded."),
        title=_("New material"),
        submit=_("Create"),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def material_edit(request, pk):
    require(request, "dossier.manage_material")
    material = get_object_or_404(m.Material, pk=pk)
    fixed = services.MATERIAL_FIXED_ONCE_RECEIVED if selectors.material_has_lots(material) else ()
    initial = forms.MaterialEditForm.initial_from(material)
    return edit_page(
        request,
        forms.MaterialEditForm(request.POST or None, initial=initial, fixed=fixed),
        record=records.material_record(material),
        update=partial(services.update_material, actor=request.user, material=material),
        success=_("Material updated."),
        title=_("Edit material {material}").format(material=material.name),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def material_lot_edit(request, pk):
    require(request, "dossier.manage_material")
    lot = get_object_or_404(m.MaterialLot.objects.select_related("material"), pk=pk)
    return edit_page(
        request,
        forms.MaterialLotEditForm(request.POST or None, initial=forms.MaterialLotEditForm.initial_from(lot)),
        record=records.material_lot_record(lot),
        update=partial(services.update_material_lot, actor=request.user, lot=lot),
        success=_("Material lot updated."),
        title=_("Edit material lot {lot}").format(lot=f"{lot.material.name} {lot.lot_number}"),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def material_lot_create(request):
    require(request, "dossier.manage_material")
    return form_view(
        request,
        forms.MaterialLotForm(request.POST or None),
        lambda d: services.receive_material_lot(actor=request.user, **d),
        success=_("Material lot received into quarantine."),
        title=_("Receive a material lot"),
        submit=_("Receive"),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def material_lot_decide(request, pk):
    require(request, "dossier.decide_material_lot")
    lot = get_object_or_404(m.MaterialLot.objects.select_related("material"), pk=pk)
    return form_view(
        request,
        forms.DecisionForm(request.POST or None),
        lambda d: services.decide_material_lot(actor=request.user, lot=lot, **d),
        success=_("Decision recorded."),
        title=_("Accept or reject {lot}").format(lot=lot),
        submit=_("Record"),
        back=back_url(request),
    )
