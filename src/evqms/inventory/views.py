"""Inventory pages: aliquots (list, creation, detail with move/reserve/discard/ship, labels), storage
locations (list; detail with its contents and temperature excursions), retention samples (due and
missing). Rules live in the services; a refusal is shown next to the field it names."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.dossier.models import MaterialLot
from evqms.i18n import _
from evqms.inventory import forms, selectors, services
from evqms.inventory.models import ALIQUOT_STATUSES, StorageLocation
from evqms.lots.models import Lot

REFUSALS = (errors.InputError, errors.RuleViolation, errors.PermissionDenied)


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _apply_error(form, exc: Exception) -> None:
    """Put a service's refusal on the form: next to the field it names, else on top."""
    if isinstance(exc, errors.InputError) and exc.where in form.fields:
        form.add_error(exc.where, exc.message)
    else:
        form.add_error(None, str(exc))


def _location(code: str) -> StorageLocation:
    location = StorageLocation.objects.filter(code=(code or "").strip()).first()
    if location is None:
        raise errors.InputError(_("unknown location {code}").format(code=code), where="location")
    return location


def aliquot_list(request):
    _need(request, "inventory.view")
    filters = {k: request.GET.get(k, "").strip() for k in ("status", "lot", "q")}
    qs = selectors.aliquot_list(
        status=filters["status"] or None, lot=filters["lot"] or None, search=filters["q"] or None
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/aliquot_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": ALIQUOT_STATUSES,
            "can_create": request.user.has_perm("inventory.manage_stock"),
        },
    )


@require_http_methods(["GET", "POST"])
def aliquot_create(request):
    _need(request, "inventory.manage_stock")
    form = forms.AliquotCreateForm(request.POST or None, initial={"lot": request.GET.get("lot", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lot = Lot.objects.filter(number=data["lot"].strip()).first()
            if lot is None:
                raise errors.InputError(_("unknown lot {lot}").format(lot=data["lot"]), where="lot")
            created = services.create_aliquots(
                actor=request.user,
                lot=lot,
                count=data["count"],
                volume_ml=data["volume_ml"],
                particle_count=data["particle_count"] or None,
                protein_ug=data["protein_ug"],
            )
        except REFUSALS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("{n} aliquots created.").format(n=len(created)))
            return redirect(f"{_url('inventory:aliquot-list')}?lot={lot.number}")
    return render(request, "inventory/aliquot_create.html", {"form": form})


def _url(name, *args):
    from django.urls import reverse

    return reverse(name, args=args)


@require_http_methods(["GET", "POST"])
def aliquot_detail(request, container_id: str):
    _need(request, "inventory.view")
    aliquot = selectors.get_aliquot(container_id)
    if aliquot is None:
        raise Http404
    move_form, reason_form, ship_form = forms.MoveForm(), forms.ReasonForm(), forms.ShipForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "ship":
            _need(request, "inventory.manage_stock")
            ship_form = forms.ShipForm(request.POST)
            shipment = _ship(request, aliquot, ship_form)
            if shipment is not None:
                messages.success(
                    request,
                    _("{code} shipped to {consignee} ({shipment}).").format(
                        code=container_id, consignee=shipment.consignee.name, shipment=shipment.number
                    ),
                )
                return redirect(_url("inventory:aliquot-detail", container_id))
            status = 400
        try:
            if action == "move":
                move_form = forms.MoveForm(request.POST)
                if move_form.is_valid():
                    services.move_aliquot(
                        actor=request.user,
                        aliquot=aliquot,
                        to_location=_location(move_form.cleaned_data["to_location"]),
                        reason=move_form.cleaned_data["reason"],
                    )
                    messages.success(request, _("Moved."))
                    return redirect(_url("inventory:aliquot-detail", container_id))
            elif action in ("discard", "reserve", "unreserve"):
                reason_form = forms.ReasonForm(request.POST)
                reason = request.POST.get("reason", "")
                if action == "discard":
                    services.discard_aliquot(actor=request.user, aliquot=aliquot, reason=reason)
                elif action == "reserve":
                    services.reserve_aliquot(actor=request.user, aliquot=aliquot, reason=reason)
                else:
                    services.unreserve_aliquot(actor=request.user, aliquot=aliquot, reason=reason)
                messages.success(request, _("Saved."))
                return redirect(_url("inventory:aliquot-detail", container_id))
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except REFUSALS as exc:
            messages.error(request, str(exc))
        status = 400  # the action was refused or its form is invalid: nothing was written
    return render(
        request,
        "inventory/aliquot_detail.html",
        {
            "aliquot": aliquot,
            "path": selectors.location_path(aliquot.location),
            "moves": aliquot.moves.select_related("from_location", "to_location", "moved_by"),
            "administrations": aliquot.administrations.select_related("patient"),
            # Patient codes follow the clinical policy (clinical/rules.py): others see the count.
            "show_patients": request.user.has_perm("clinical.view_patient_codes"),
            "shipments": selectors.aliquot_shipments(aliquot),
            "hold": selectors.hold_of(aliquot),
            "label": selectors.label_svg(aliquot),
            "move_form": move_form,
            "reason_form": reason_form,
            "ship_form": ship_form,
            "free_positions": selectors.free_positions(50),
            "can_manage": request.user.has_perm("inventory.manage_stock"),
            "can_reserve": request.user.has_perm("inventory.reserve"),
        },
        status=status,
    )


def _ship(request, aliquot, form):
    """Ship to the chosen consignee; a refusal lands on the form (the field it names or on top)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.ship_aliquot(
            actor=request.user,
            aliquot=aliquot,
            consignee=data["consignee"],
            shipped_at=data["shipped_at"],
            reference=data["reference"],
        )
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except (errors.InputError, errors.RuleViolation) as exc:
        _apply_error(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def consignee_list(request):
    _need(request, "inventory.view")
    form = forms.ConsigneeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _need(request, "inventory.manage_consignees")
        if form.is_valid():
            try:
                services.create_consignee(actor=request.user, **form.cleaned_data)
            except errors.PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except (errors.InputError, errors.RuleViolation) as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("Consignee registered."))
                return redirect(_url("inventory:consignee-list"))
        status = 400
    return render(
        request,
        "inventory/consignee_list.html",
        {
            "consignees": selectors.consignees(),
            "form": form,
            "can_manage": request.user.has_perm("inventory.manage_consignees"),
        },
        status=status,
    )


def shipment_list(request):
    _need(request, "inventory.view")
    page = Paginator(selectors.shipments(), 50).get_page(request.GET.get("page"))
    return render(request, "inventory/shipment_list.html", {"page": page})


def shipment_detail(request, number: str):
    _need(request, "inventory.view")
    shipment = selectors.get_shipment(number)
    if shipment is None:
        raise Http404
    return render(
        request,
        "inventory/shipment_detail.html",
        {"shipment": shipment, "items": shipment.items.all()},
    )


def label_svg(request, container_id: str):
    _need(request, "inventory.view")
    aliquot = selectors.get_aliquot(container_id)
    if aliquot is None:
        raise Http404
    return HttpResponse(selectors.label_svg(aliquot, scale=4), content_type="image/svg+xml")


def labels(request, lot: str):
    _need(request, "inventory.view")
    aliquots = list(selectors.aliquot_list(lot=lot))
    if not aliquots:
        raise Http404
    return render(
        request,
        "inventory/labels.html",
        {
            "lot": aliquots[0].lot,
            "labels": [(a, selectors.label_svg(a, scale=2)) for a in aliquots],
        },
    )


@require_http_methods(["GET", "POST"])
def location_list(request):
    _need(request, "inventory.view")
    form = forms.LocationForm(request.POST or None)
    if request.method == "POST":
        _need(request, "inventory.manage_locations")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_location(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    parent=_location(data["parent"]) if data["parent"] else None,
                    capacity=data["capacity"],
                    temperature_c=data["temperature_c"],
                )
            except REFUSALS as exc:
                _apply_error(form, exc)  # a refused code is shown on its field
            else:
                messages.success(request, _("Location created."))
                return redirect(_url("inventory:location-list"))
    return render(
        request,
        "inventory/location_list.html",
        {
            "tree": selectors.location_tree(),
            "form": form,
            "can_manage": request.user.has_perm("inventory.manage_locations"),
        },
    )


@require_http_methods(["GET", "POST"])
def location_detail(request, code: str):
    _need(request, "inventory.view")
    location = selectors.get_location(code)
    if location is None:
        raise Http404
    form = forms.ExcursionForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        _need(request, "inventory.record_excursion")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_excursion(
                    actor=request.user,
                    location=location,
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    extreme_temperature_c=data["extreme_temperature_c"],
                    description=data["description"],
                    assessment=data["assessment"].strip(),
                )
            except errors.PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except (errors.InputError, errors.RuleViolation) as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("Temperature excursion recorded."))
                return redirect(_url("inventory:location-detail", location.code))
        status = 400
    return render(
        request,
        "inventory/location_detail.html",
        {
            "location": location,
            "path": selectors.location_path(location),
            "children": selectors.location_children(location),
            "aliquots": selectors.aliquots_stored_under(location),
            "excursions": selectors.location_excursions(location),
            "form": form,
            "can_record": request.user.has_perm("inventory.record_excursion"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def retention(request):
    _need(request, "inventory.view")
    form = forms.RetentionForm(request.POST or None, initial={"lot": request.GET.get("lot", "")[:60]})
    if request.method == "POST":
        _need(request, "inventory.record_retention")
        if form.is_valid():
            data = form.cleaned_data
            try:
                mlot = None
                if data["material_lot"]:
                    mlot = MaterialLot.objects.filter(lot_number=data["material_lot"].strip()).first()
                    if mlot is None:
                        raise errors.InputError(
                            _("unknown material lot {lot}").format(lot=data["material_lot"]),
                            where="material_lot",
                        )
                product_lot = None
                if data["lot"].strip():
                    product_lot = Lot.objects.filter(number=data["lot"].strip()).first()
                    if product_lot is None:
                        raise errors.InputError(
                            _("unknown lot {lot}").format(lot=data["lot"].strip()), where="lot"
                        )
                if mlot is not None and data["not_kept_reason"].strip():
                    services.record_retention_not_kept(
                        actor=request.user, material_lot=mlot, reason=data["not_kept_reason"]
                    )
                else:
                    services.record_retention_sample(
                        actor=request.user,
                        aliquot=data["aliquot"].strip() or None,
                        lot=product_lot,
                        material_lot=mlot,
                        quantity=data["quantity"],
                        location=_location(data["location"]) if data["location"] else None,
                    )
            except REFUSALS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Retention record saved."))
                return redirect(_url("inventory:retention"))
    return render(
        request,
        "inventory/retention.html",
        {
            "missing": selectors.retention_missing(),
            "due": selectors.retention_due(),
            "samples": selectors.retention_samples()[:200],
            "form": form,
            "can_record": request.user.has_perm("inventory.record_retention"),
        },
    )
