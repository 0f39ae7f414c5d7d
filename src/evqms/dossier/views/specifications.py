"""Specification versions: a new draft (empty or from the release template), its attributes and
shelf life, and approval."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from evqms.core.views import act, attempt, require
from evqms.dossier import forms, records, selectors, services
from evqms.dossier import models as m
from evqms.dossier.views import edit_page, form_view, product_or_404
from evqms.i18n import _


@require_POST
def specification_new(request, code):
    require(request, "dossier.edit_specification")
    product = product_or_404(code)
    if request.POST.get("template"):
        form = forms.TemplateForm(request.POST)
        created = attempt(
            request,
            form,
            lambda d: services.create_specification_from_template(
                actor=request.user, product=product, max_dose_ml_per_kg=d["max_dose_ml_per_kg"] or None
            ),
            success=_("Draft specification created from the default EV release template."),
        )
    else:
        form = forms.VersionForm(request.POST)
        created = attempt(
            request,
            form,
            lambda d: services.create_specification_version(
                actor=request.user, product=product, description=d["description"]
            ),
            success=_("Draft specification version created."),
        )
    if created:
        return redirect("dossier:specification-detail", pk=created.result.pk)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("dossier:product-detail", code=product.code)


def _spec_page(request, spec, *, sign_form=None, dialog=None, status=200):
    spec = selectors.specifications(spec.product).get(pk=spec.pk)
    return render(
        request,
        "dossier/specification_detail.html",
        {
            "spec": spec,
            "signatures": selectors.specification_signatures(spec),
            "editable": spec.status == "draft" and request.user.has_perm("dossier.edit_specification"),
            "can_approve": spec.status == "draft" and request.user.has_perm("dossier.approve_specification"),
            "sign_form": sign_form or forms.SignForm(prefix="sign"),
            "dialog": dialog,
        },
        status=status,
    )


def specification_detail(request, pk):
    require(request, "dossier.view")
    return _spec_page(request, get_object_or_404(m.Specification, pk=pk))


@require_http_methods(["GET", "POST"])
def specification_shelf_life(request, pk):
    require(request, "dossier.edit_specification")
    spec = get_object_or_404(m.Specification.objects.select_related("product"), pk=pk)
    page = reverse("dossier:specification-detail", args=[spec.pk])
    initial = {"shelf_life_months": spec.shelf_life_months or "", "shelf_life_basis": spec.shelf_life_basis}
    return form_view(
        request,
        forms.ShelfLifeForm(request.POST or None, initial=initial),
        lambda d: services.set_shelf_life(
            actor=request.user, specification=spec, months=d["shelf_life_months"], basis=d["shelf_life_basis"]
        ),
        success=_("Shelf life saved."),
        title=_("Shelf life approved with specification v{version}").format(version=spec.version),
        submit=_("Save"),
        back=page,
    )


@require_http_methods(["GET", "POST"])
def attribute_add(request, pk):
    require(request, "dossier.edit_specification")
    spec = get_object_or_404(m.Specification.objects.select_related("product"), pk=pk)
    spec_page = reverse("dossier:specification-detail", args=[spec.pk])
    return form_view(
        request,
        forms.AttributeForm(request.POST or None, initial={"lower_inclusive": True, "upper_inclusive": True}),
        lambda d: services.add_spec_attribute(actor=request.user, specification=spec, **d),
        success=_("Attribute added."),
        title=_("New attribute for {spec}").format(spec=spec),
        submit=_("Add"),
        back=spec_page,
    )


@require_http_methods(["GET", "POST"])
def attribute_edit(request, pk):
    require(request, "dossier.edit_specification")
    attr = get_object_or_404(m.SpecAttribute.objects.select_related("specification__product"), pk=pk)
    spec_page = reverse("dossier:specification-detail", args=[attr.specification_id])
    return edit_page(
        request,
        forms.AttributeForm(request.POST or None, initial=forms.AttributeForm.initial_from(attr)),
        record=records.attribute_record(attr),
        update=partial(services.update_spec_attribute, actor=request.user, attribute=attr),
        success=_("Attribute saved."),
        title=_("Edit attribute {code}").format(code=attr.code),
        back=spec_page,
    )


@require_POST
def attribute_remove(request, pk):
    require(request, "dossier.edit_specification")
    attr = get_object_or_404(m.SpecAttribute, pk=pk)
    act(
        request,
        lambda: services.remove_spec_attribute(actor=request.user, attribute=attr),
        success=_("Attribute removed."),
    )
    return redirect("dossier:specification-detail", pk=attr.specification_id)


@require_POST
def specification_approve(request, pk):
    require(request, "dossier.approve_specification")
    spec = get_object_or_404(m.Specification.objects.select_related("product"), pk=pk)
    form = forms.SignForm(request.POST, prefix="sign")
    if attempt(
        request,
        form,
        lambda d: services.approve_specification(
            request=request,
            actor=request.user,
            specification=spec,
            password=d["password"],
            reason=d["reason"],
        ),
        success=_("Specification v{version} approved and signed.").format(version=spec.version),
    ):
        return redirect("dossier:specification-detail", pk=spec.pk)
    return _spec_page(request, spec, sign_form=form, dialog="approve", status=400)
