"""The product list, a product's whole dossier, and creating and editing a product."""

from __future__ import annotations

from functools import partial

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evqms.core.views import require
from evqms.dossier import forms, records, selectors, services
from evqms.dossier import models as m
from evqms.dossier.listings import PRODUCTS
from evqms.dossier.views import edit_page, form_view, product_or_404
from evqms.i18n import _


def product_list(request):
    require(request, "dossier.view")
    q = request.GET.get("q", "").strip()
    table = PRODUCTS.table(request, selectors.product_list(q or None))
    if table.export_format:
        return table.export()
    return render(
        request,
        "dossier/product_list.html",
        {
            "products": table.rows,
            "table": table,
            "q": q,
            "can_create": request.user.has_perm("dossier.manage_product"),
        },
    )


@require_http_methods(["GET", "POST"])
def product_create(request):
    require(request, "dossier.manage_product")
    return form_view(
        request,
        forms.ProductForm(request.POST or None, initial={"routes": [], "ev_type": "natural"}),
        lambda d: services.create_product(actor=request.user, **d),
        success=_("Product created."),
        title=_("New product"),
        submit=_("Create"),
        back=reverse("dossier:product-list"),
        done=lambda product: reverse("dossier:product-detail", args=[product.code]),
    )


@require_http_methods(["GET", "POST"])
def product_edit(request, code):
    require(request, "dossier.manage_product")
    product = product_or_404(code)
    initial = {f: getattr(product, f) for f in services.PRODUCT_FIELDS}
    initial["code"] = product.code
    detail = reverse("dossier:product-detail", args=[product.code])
    return edit_page(
        request,
        forms.ProductForm(request.POST or None, initial=initial, editing=True),
        record=records.product_record(product),
        update=partial(services.update_product, actor=request.user, product=product),
        success=_("Product updated."),
        title=_("Edit product {code}").format(code=product.code),
        back=detail,
    )


def product_detail(request, code):
    require(request, "dossier.view")
    product = product_or_404(code)
    procs = list(selectors.processes(product))
    specs = list(selectors.specifications(product))
    user = request.user
    return render(
        request,
        "dossier/product_detail.html",
        {
            "product": product,
            "processes": [(p, selectors.process_signatures(p)) for p in procs],
            "specifications": [(s, selectors.specification_signatures(s)) for s in specs],
            "lineage": selectors.lineage(),
            "material_lots": selectors.material_lots(),
            "materials": selectors.materials(),
            "documents": selectors.documents(),
            "markers": m.InfectiousMarker.objects.order_by("code"),
            "template_form": forms.TemplateForm(),
            "perm": {
                "product": user.has_perm("dossier.manage_product"),
                "process": user.has_perm("dossier.edit_process"),
                "spec": user.has_perm("dossier.edit_specification"),
                "donor": user.has_perm("dossier.manage_donor"),
                "bank": user.has_perm("dossier.manage_cell_bank"),
                "material": user.has_perm("dossier.manage_material"),
                "decide": user.has_perm("dossier.decide_material_lot"),
                "document": user.has_perm("dossier.upload_document"),
                "approve_document": user.has_perm("dossier.approve_document"),
            },
            "has_draft_process": any(p.status == "draft" for p in procs),
            "has_draft_spec": any(s.status == "draft" for s in specs),
        },
    )
