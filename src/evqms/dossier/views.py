"""Dossier pages: product list, the product's whole dossier, and create/edit pages for its records.

Views parse forms, call the services (which check roles again) and show the outcome. A refused
action re-renders the form with the service's message next to the field it names.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from evqms import errors
from evqms.core.concurrency import SeenField, fingerprint
from evqms.dossier import forms, records, selectors, services
from evqms.dossier import models as m
from evqms.i18n import _


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _product_or_404(code: str) -> m.Product:
    product = selectors.get_product(code)
    if product is None:
        raise Http404
    return product


def _apply_error(form, exc: Exception) -> None:
    """Put a service's refusal on the form: next to the field it names, else on top."""
    if isinstance(exc, errors.InputError):
        field = exc.where if exc.where in form.fields else None
        form.add_error(field, exc.message if field else str(exc))
    else:
        form.add_error(None, str(exc))


def _form_view(
    request, form, action, *, success: str, title: str, submit: str, back: str, done, multipart=False
):
    """A form page: on a valid POST run `action(cleaned_data)` and go to `done` (a URL, or a function
    of the result giving one); otherwise show the form with the service's refusal on it."""
    result = _attempt(request, form, action, success)
    if result:
        return redirect(done(result) if callable(done) else done)
    return _form_page(request, form, title=title, back=back, submit=submit, multipart=multipart)


def _edit_page(request, form, *, record: dict, update, success: str, title: str, back: str, done: str):
    """An edit page: the form carries the fingerprint of `record` as shown (evqms.core.concurrency),
    `update(seen=..., **cleaned_data)` saves (fields named `code` are shown, never changed)."""
    form.fields["seen"] = SeenField()
    form.initial["seen"] = fingerprint(record)

    def act(data):
        if "code" in form.fields and form.fields["code"].disabled:
            data.pop("code", None)
        return update(seen=data.pop("seen"), **data)

    return _form_view(
        request, form, act, success=success, title=title, submit=_("Save"), back=back, done=done
    )


def _attempt(request, form, action, success: str):
    """Run `action(cleaned_data)`; on success flash `success` and return the result, else None."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except (errors.InputError, errors.RuleViolation) as exc:
        _apply_error(form, exc)
        return None
    messages.success(request, success)
    return result if result is not None else True


def _form_page(request, form, *, title: str, back: str, submit: str, multipart: bool = False, status=None):
    return render(
        request,
        "dossier/form.html",
        {"form": form, "title": title, "back": back, "submit": submit, "multipart": multipart},
        status=status or (400 if request.method == "POST" else 200),
    )


# --- products -------------------------------------------------------------------------------


def product_list(request):
    _need(request, "dossier.view")
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "dossier/product_list.html",
        {
            "products": selectors.product_list(q or None),
            "q": q,
            "can_create": request.user.has_perm("dossier.manage_product"),
        },
    )


@require_http_methods(["GET", "POST"])
def product_create(request):
    _need(request, "dossier.manage_product")
    return _form_view(
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
    _need(request, "dossier.manage_product")
    product = _product_or_404(code)
    initial = {f: getattr(product, f) for f in services.PRODUCT_FIELDS}
    initial["code"] = product.code
    detail = reverse("dossier:product-detail", args=[product.code])
    return _edit_page(
        request,
        forms.ProductForm(request.POST or None, initial=initial, editing=True),
        record=records.product_record(product),
        update=partial(services.update_product, actor=request.user, product=product),
        success=_("Product updated."),
        title=_("Edit product {code}").format(code=product.code),
        back=detail,
        done=detail,
    )


def product_detail(request, code):
    _need(request, "dossier.view")
    product = _product_or_404(code)
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


# --- process versions -----------------------------------------------------------------------


@require_POST
def process_new(request, code):
    _need(request, "dossier.edit_process")
    product = _product_or_404(code)
    form = forms.VersionForm(request.POST)
    proc = _attempt(
        request,
        form,
        lambda d: services.create_process_version(
            actor=request.user, product=product, description=d["description"]
        ),
        _("Draft process version created."),
    )
    if proc:
        return redirect("dossier:process-detail", pk=proc.pk)
    messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
    return redirect("dossier:product-detail", code=product.code)


def _process_page(
    request, proc, *, step_form=None, param_forms=None, sign_form=None, dialog=None, status=200
):
    proc = selectors.processes(proc.product).get(pk=proc.pk)
    editable = proc.status == "draft" and request.user.has_perm("dossier.edit_process")
    steps = list(proc.steps.all())
    param_forms = param_forms or {}
    return render(
        request,
        "dossier/process_detail.html",
        {
            "process": proc,
            "signatures": selectors.process_signatures(proc),
            "editable": editable,
            "steps": [(s, param_forms.get(s.pk) or forms.ParameterForm(prefix=f"p{s.pk}")) for s in steps],
            "step_form": step_form or forms.StepForm(prefix="step"),
            "can_approve": proc.status == "draft" and request.user.has_perm("dossier.approve_process"),
            "sign_form": sign_form or forms.SignForm(prefix="sign"),
            "dialog": dialog,
        },
        status=status,
    )


def process_detail(request, pk):
    _need(request, "dossier.view")
    return _process_page(request, get_object_or_404(m.ProcessDefinition, pk=pk))


@require_http_methods(["GET", "POST"])
def process_materials(request, pk):
    _need(request, "dossier.edit_process")
    proc = get_object_or_404(m.ProcessDefinition.objects.select_related("product"), pk=pk)
    page = reverse("dossier:process-detail", args=[proc.pk])
    initial = {"xeno_free": proc.xeno_free, "materials": list(proc.bill_of_materials.all())}
    return _form_view(
        request,
        forms.ProcessMaterialsForm(request.POST or None, initial=initial),
        lambda d: services.set_process_materials(
            actor=request.user, process=proc, xeno_free=d["xeno_free"], materials=d["materials"]
        ),
        success=_("Bill of materials saved."),
        title=_("Bill of materials of process v{version}").format(version=proc.version),
        submit=_("Save"),
        back=page,
        done=page,
    )


@require_POST
def step_add(request, pk):
    _need(request, "dossier.edit_process")
    proc = get_object_or_404(m.ProcessDefinition, pk=pk)
    form = forms.StepForm(request.POST, prefix="step")
    if _attempt(
        request,
        form,
        lambda d: services.add_process_step(actor=request.user, process=proc, **d),
        _("Step added."),
    ):
        return redirect("dossier:process-detail", pk=proc.pk)
    return _process_page(request, proc, step_form=form, status=400)


@require_POST
def parameter_add(request, pk):
    _need(request, "dossier.edit_process")
    step = get_object_or_404(m.ProcessStep, pk=pk)
    form = forms.ParameterForm(request.POST, prefix=f"p{step.pk}")
    if _attempt(
        request,
        form,
        lambda d: services.add_process_parameter(actor=request.user, step=step, **d),
        _("Parameter added."),
    ):
        return redirect("dossier:process-detail", pk=step.process_id)
    return _process_page(request, step.process, param_forms={step.pk: form}, status=400)


@require_POST
def step_remove(request, pk):
    _need(request, "dossier.edit_process")
    step = get_object_or_404(m.ProcessStep, pk=pk)
    try:
        services.remove_process_step(actor=request.user, step=step)
        messages.success(request, _("Step removed."))
    except errors.RuleViolation as exc:
        messages.error(request, str(exc))
    return redirect("dossier:process-detail", pk=step.process_id)


@require_POST
def parameter_remove(request, pk):
    _need(request, "dossier.edit_process")
    param = get_object_or_404(m.ProcessParameter.objects.select_related("step"), pk=pk)
    try:
        services.remove_process_parameter(actor=request.user, parameter=param)
        messages.success(request, _("Parameter removed."))
    except errors.RuleViolation as exc:
        messages.error(request, str(exc))
    return redirect("dossier:process-detail", pk=param.step.process_id)


@require_POST
def process_approve(request, pk):
    _need(request, "dossier.approve_process")
    proc = get_object_or_404(m.ProcessDefinition, pk=pk)
    form = forms.SignForm(request.POST, prefix="sign")
    if _attempt(
        request,
        form,
        lambda d: services.approve_process(
            request=request, actor=request.user, process=proc, password=d["password"], reason=d["reason"]
        ),
        _("Process v{version} approved and signed.").format(version=proc.version),
    ):
        return redirect("dossier:process-detail", pk=proc.pk)
    return _process_page(request, proc, sign_form=form, dialog="approve", status=400)


# --- specifications -------------------------------------------------------------------------


@require_POST
def specification_new(request, code):
    _need(request, "dossier.edit_specification")
    product = _product_or_404(code)
    if request.POST.get("template"):
        form = forms.TemplateForm(request.POST)
        spec = _attempt(
            request,
            form,
            lambda d: services.create_specification_from_template(
                product, request.user, max_dose_ml_per_kg=d["max_dose_ml_per_kg"] or None
            ),
            _("Draft specification created from the default EV release template."),
        )
    else:
        form = forms.VersionForm(request.POST)
        spec = _attempt(
            request,
            form,
            lambda d: services.create_specification_version(
                actor=request.user, product=product, description=d["description"]
            ),
            _("Draft specification version created."),
        )
    if spec:
        return redirect("dossier:specification-detail", pk=spec.pk)
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
    _need(request, "dossier.view")
    return _spec_page(request, get_object_or_404(m.Specification, pk=pk))


@require_http_methods(["GET", "POST"])
def specification_shelf_life(request, pk):
    _need(request, "dossier.edit_specification")
    spec = get_object_or_404(m.Specification.objects.select_related("product"), pk=pk)
    page = reverse("dossier:specification-detail", args=[spec.pk])
    initial = {"shelf_life_months": spec.shelf_life_months or "", "shelf_life_basis": spec.shelf_life_basis}
    return _form_view(
        request,
        forms.ShelfLifeForm(request.POST or None, initial=initial),
        lambda d: services.set_shelf_life(
            actor=request.user, specification=spec, months=d["shelf_life_months"], basis=d["shelf_life_basis"]
        ),
        success=_("Shelf life saved."),
        title=_("Shelf life approved with specification v{version}").format(version=spec.version),
        submit=_("Save"),
        back=page,
        done=page,
    )


@require_http_methods(["GET", "POST"])
def attribute_add(request, pk):
    _need(request, "dossier.edit_specification")
    spec = get_object_or_404(m.Specification.objects.select_related("product"), pk=pk)
    spec_page = reverse("dossier:specification-detail", args=[spec.pk])
    return _form_view(
        request,
        forms.AttributeForm(request.POST or None, initial={"lower_inclusive": True, "upper_inclusive": True}),
        lambda d: services.add_spec_attribute(actor=request.user, specification=spec, **d),
        success=_("Attribute added."),
        title=_("New attribute for {spec}").format(spec=spec),
        submit=_("Add"),
        back=spec_page,
        done=spec_page,
    )


@require_http_methods(["GET", "POST"])
def attribute_edit(request, pk):
    _need(request, "dossier.edit_specification")
    attr = get_object_or_404(m.SpecAttribute.objects.select_related("specification__product"), pk=pk)
    spec_page = reverse("dossier:specification-detail", args=[attr.specification_id])
    return _edit_page(
        request,
        forms.AttributeForm(request.POST or None, initial=forms.AttributeForm.initial_from(attr)),
        record=records.attribute_record(attr),
        update=partial(services.update_spec_attribute, actor=request.user, attribute=attr),
        success=_("Attribute saved."),
        title=_("Edit attribute {code}").format(code=attr.code),
        back=spec_page,
        done=spec_page,
    )


@require_POST
def attribute_remove(request, pk):
    _need(request, "dossier.edit_specification")
    attr = get_object_or_404(m.SpecAttribute, pk=pk)
    try:
        services.remove_spec_attribute(actor=request.user, attribute=attr)
        messages.success(request, _("Attribute removed."))
    except errors.RuleViolation as exc:
        messages.error(request, str(exc))
    return redirect("dossier:specification-detail", pk=attr.specification_id)


@require_POST
def specification_approve(request, pk):
    _need(request, "dossier.approve_specification")
    spec = get_object_or_404(m.Specification.objects.select_related("product"), pk=pk)
    form = forms.SignForm(request.POST, prefix="sign")
    if _attempt(
        request,
        form,
        lambda d: services.approve_specification(
            request=request,
            actor=request.user,
            specification=spec,
            password=d["password"],
            reason=d["reason"],
        ),
        _("Specification v{version} approved and signed.").format(version=spec.version),
    ):
        return redirect("dossier:specification-detail", pk=spec.pk)
    return _spec_page(request, spec, sign_form=form, dialog="approve", status=400)


# --- donors, cell banks, materials ----------------------------------------------------------


def _back(request) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else reverse("dossier:product-list")


@require_http_methods(["GET", "POST"])
def donor_create(request):
    _need(request, "dossier.manage_donor")
    return _form_view(
        request,
        forms.DonorForm(request.POST or None),
        lambda d: services.create_donor(actor=request.user, **d),
        success=_("Donor recorded."),
        title=_("New donor"),
        submit=_("Create"),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def donor_edit(request, pk):
    _need(request, "dossier.manage_donor")
    donor = get_object_or_404(m.Donor, pk=pk)
    initial = {"code": donor.code, "consent_on": donor.consent_on, "consent_document": donor.consent_document}
    return _edit_page(
        request,
        forms.DonorEditForm(request.POST or None, initial=initial),
        record=records.donor_record(donor),
        update=partial(services.update_donor, actor=request.user, donor=donor),
        success=_("Donor updated."),
        title=_("Edit donor {donor}").format(donor=donor.code),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def donor_test(request, pk):
    _need(request, "dossier.manage_donor")
    donor = get_object_or_404(m.Donor, pk=pk)
    return _form_view(
        request,
        forms.DonorTestForm(request.POST or None),
        lambda d: services.record_donor_test(actor=request.user, donor=donor, **d),
        success=_("Test result recorded."),
        title=_("Infectious-marker result for donor {donor}").format(donor=donor.code),
        submit=_("Record"),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def donor_eligibility(request, pk):
    _need(request, "dossier.manage_donor")
    donor = get_object_or_404(m.Donor, pk=pk)
    return _form_view(
        request,
        forms.EligibilityForm(request.POST or None, initial={"eligibility": donor.eligibility}),
        lambda d: services.set_donor_eligibility(actor=request.user, donor=donor, **d),
        success=_("Eligibility saved."),
        title=_("Eligibility of donor {donor}").format(donor=donor.code),
        submit=_("Save"),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def cell_bank_create(request):
    _need(request, "dossier.manage_cell_bank")
    return _form_view(
        request,
        forms.CellBankForm(request.POST or None),
        lambda d: services.create_cell_bank(actor=request.user, **d),
        success=_("Cell bank recorded."),
        title=_("New cell bank"),
        submit=_("Create"),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def cell_bank_edit(request, pk):
    _need(request, "dossier.manage_cell_bank")
    bank = get_object_or_404(m.CellBank, pk=pk)
    initial = forms.CellBankEditForm.initial_from(bank)
    return _edit_page(
        request,
        forms.CellBankEditForm(request.POST or None, initial=initial, bank=bank),
        record=records.cell_bank_record(bank),
        update=partial(services.update_cell_bank, actor=request.user, bank=bank),
        success=_("Cell bank updated."),
        title=_("Edit cell bank {bank}").format(bank=bank.code),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def material_create(request):
    _need(request, "dossier.manage_material")
    return _form_view(
        request,
        forms.MaterialForm(request.POST or None),
        lambda d: services.create_material(actor=request.user, **d),
        success=_("Material recorded."),
        title=_("New material"),
        submit=_("Create"),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def material_edit(request, pk):
    _need(request, "dossier.manage_material")
    material = get_object_or_404(m.Material, pk=pk)
    fixed = services.MATERIAL_FIXED_ONCE_RECEIVED if selectors.material_has_lots(material) else ()
    initial = forms.MaterialEditForm.initial_from(material)
    return _edit_page(
        request,
        forms.MaterialEditForm(request.POST or None, initial=initial, fixed=fixed),
        record=records.material_record(material),
        update=partial(services.update_material, actor=request.user, material=material),
        success=_("Material updated."),
        title=_("Edit material {material}").format(material=material.name),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def material_lot_edit(request, pk):
    _need(request, "dossier.manage_material")
    lot = get_object_or_404(m.MaterialLot.objects.select_related("material"), pk=pk)
    return _edit_page(
        request,
        forms.MaterialLotEditForm(request.POST or None, initial=forms.MaterialLotEditForm.initial_from(lot)),
        record=records.material_lot_record(lot),
        update=partial(services.update_material_lot, actor=request.user, lot=lot),
        success=_("Material lot updated."),
        title=_("Edit material lot {lot}").format(lot=f"{lot.material.name} {lot.lot_number}"),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def material_lot_create(request):
    _need(request, "dossier.manage_material")
    return _form_view(
        request,
        forms.MaterialLotForm(request.POST or None),
        lambda d: services.receive_material_lot(actor=request.user, **d),
        success=_("Material lot received into quarantine."),
        title=_("Receive a material lot"),
        submit=_("Receive"),
        back=_back(request),
        done=_back(request),
    )


@require_http_methods(["GET", "POST"])
def material_lot_decide(request, pk):
    _need(request, "dossier.decide_material_lot")
    lot = get_object_or_404(m.MaterialLot.objects.select_related("material"), pk=pk)
    return _form_view(
        request,
        forms.DecisionForm(request.POST or None),
        lambda d: services.decide_material_lot(actor=request.user, lot=lot, **d),
        success=_("Decision recorded."),
        title=_("Accept or reject {lot}").format(lot=lot),
        submit=_("Record"),
        back=_back(request),
        done=_back(request),
    )


# --- documents ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def document_upload(request):
    _need(request, "dossier.upload_document")
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

    return _form_view(
        request,
        form,
        act,
        success=_("Document stored."),
        title=_("Upload a document"),
        submit=_("Upload"),
        back=_back(request),
        done=_back(request),
        multipart=True,
    )


@require_http_methods(["GET", "POST"])
def document_approve(request, pk):
    _need(request, "dossier.approve_document")
    doc = get_object_or_404(m.Document, pk=pk)
    form = forms.SignForm(request.POST or None, prefix="sign")
    if _attempt(
        request,
        form,
        lambda d: services.approve_document(
            request=request, actor=request.user, document=doc, password=d["password"], reason=d["reason"]
        ),
        _("Document {doc} approved and signed.").format(doc=doc),
    ):
        return redirect(_back(request))
    return render(
        request,
        "dossier/sign.html",
        {
            "form": form,
            "title": _("Approve {doc}").format(doc=doc),
            "back": _back(request),
            "record": doc,
        },
        status=400 if request.method == "POST" else 200,
    )


def document_download(request, pk):
    _need(request, "dossier.view")
    doc = get_object_or_404(m.Document, pk=pk)
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.original_name)
