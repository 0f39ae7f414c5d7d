"""Inventory pages: aliquots (list, creation, detail with move/reserve/discard/ship, labels), storage
locations (list; detail with its contents and temperature excursions), retention samples (due and
missing). Rules live in the services; a refusal is shown next to the field it names."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core.views import act, attempt, require, show_refusal
from evqms.dossier.models import MaterialLot
from evqms.equipment import selectors as equipment
from evqms.i18n import _
from evqms.inventory import forms, selectors
from evqms.inventory.listings import ALIQUOTS, CONSIGNEES, LOCATIONS, RETENTION_SAMPLES, SHIPMENTS
from evqms.inventory.models import ALIQUOT_STATUSES, StorageLocation
from evqms.inventory.services import aliquots, distribution, locations, retention
from evqms.inventory.services.excursions import assess_held_aliquot
from evqms.lots.models import Lot


def _location(code: str) -> StorageLocation:
    location = StorageLocation.objects.filter(code=(code or "").strip()).first()
    if location is None:
        raise errors.InputError(_("unknown location {code}").format(code=code), where="location")
    return location


def aliquot_list(request):
    require(request, "inventory.view")
    filters = {k: request.GET.get(k, "").strip() for k in ("status", "lot", "q")}
    qs = selectors.aliquot_list(
        status=filters["status"] or None, lot=filters["lot"] or None, search=filters["q"] or None
    )
    table = ALIQUOTS.table(request, qs)
    if table.export_format:
        return table.export()
    page = Paginator(table.rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/aliquot_list.html",
        {
            "page": page,
            "table": table,
            "filters": filters,
            "statuses": ALIQUOT_STATUSES,
            "can_create": request.user.has_perm("inventory.manage_stock"),
        },
    )


def _lot(number: str) -> Lot:
    lot = Lot.objects.filter(number=number.strip()).first()
    if lot is None:
        raise errors.InputError(_("unknown lot {lot}").format(lot=number), where="lot")
    return lot


@require_http_methods(["GET", "POST"])
def aliquot_create(request):
    require(request, "inventory.manage_stock")
    form = forms.AliquotCreateForm(request.POST or None, initial={"lot": request.GET.get("lot", "")})

    def create(data):
        return aliquots.create_aliquots(
            actor=request.user,
            lot=_lot(data["lot"]),
            count=data["count"],
            volume_ml=data["volume_ml"],
            particle_count=data["particle_count"] or None,
            protein_ug=data["protein_ug"],
        )

    if request.method == "POST" and form.is_valid():
        success = _("{n} aliquots created.").format(n=form.cleaned_data["count"])
        if done := attempt(request, form, create, success=success):
            return redirect(f"{reverse('inventory:aliquot-list')}?lot={done.result[0].lot.number}")
    return render(request, "inventory/aliquot_create.html", {"form": form})


def _aliquot_action(request, aliquot, action: str):
    """The aliquot page's buttons other than Ship: Done when the action was written, None when it was
    refused (the reason is flashed) or its form is invalid."""
    if action == "move":
        form = forms.MoveForm(request.POST)
        if not form.is_valid():
            return form, None
        data = form.cleaned_data
        return form, act(
            request,
            lambda: aliquots.move_aliquot(
                actor=request.user,
                aliquot=aliquot,
                to_location=_location(data["to_location"]),
                reason=data["reason"],
            ),
            success=_("Moved."),
        )
    service = {
        "discard": aliquots.discard_aliquot,
        "reserve": aliquots.reserve_aliquot,
        "unreserve": aliquots.unreserve_aliquot,
    }.get(action)
    if service is None:
        return None, None
    reason = request.POST.get("reason", "")
    done = act(
        request, lambda: service(actor=request.user, aliquot=aliquot, reason=reason), success=_("Saved.")
    )
    return forms.ReasonForm(request.POST), done


@require_http_methods(["GET", "POST"])
def aliquot_detail(request, container_id: str):
    require(request, "inventory.view")
    aliquot = selectors.get_aliquot(container_id)
    if aliquot is None:
        raise Http404
    move_form, reason_form, ship_form = forms.MoveForm(), forms.ReasonForm(), forms.ShipForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "ship":
            require(request, "inventory.manage_stock")
            ship_form = forms.ShipForm(request.POST)
            shipment = _ship(request, aliquot, ship_form)
            if shipment is not None:
                messages.success(
                    request,
                    _("{code} shipped to {consignee} ({shipment}).").format(
                        code=container_id, consignee=shipment.consignee.name, shipment=shipment.number
                    ),
                )
                return redirect(reverse("inventory:aliquot-detail", args=[container_id]))
        else:
            form, done = _aliquot_action(request, aliquot, action)
            if done:
                return redirect(reverse("inventory:aliquot-detail", args=[container_id]))
            if action == "move":
                move_form = form
            elif form is not None:
                reason_form = form
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
    """Ship to the chosen consignee; a refusal lands on the form (the field it names or on top). The
    success message names the shipment, so it is written by the caller once the number exists."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return distribution.ship_aliquot(
            actor=request.user,
            aliquot=aliquot,
            consignee=data["consignee"],
            shipped_at=data["shipped_at"],
            reference=data["reference"],
        )
    except (errors.InputError, errors.RuleViolation) as exc:
        show_refusal(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def consignee_list(request):
    require(request, "inventory.view")
    table = CONSIGNEES.table(request, selectors.consignees())
    if request.method == "GET" and table.export_format:
        return table.export()
    form = forms.ConsigneeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        require(request, "inventory.manage_consignees")
        if attempt(
            request,
            form,
            lambda data: distribution.create_consignee(actor=request.user, **data),
            success=_("Consignee registered."),
        ):
            return redirect(reverse("inventory:consignee-list"))
        status = 400
    return render(
        request,
        "inventory/consignee_list.html",
        {
            "consignees": table.rows,
            "table": table,
            "form": form,
            "can_manage": request.user.has_perm("inventory.manage_consignees"),
        },
        status=status,
    )


def shipment_list(request):
    require(request, "inventory.view")
    table = SHIPMENTS.table(request, selectors.shipments())
    if table.export_format:
        return table.export()
    page = Paginator(table.rows, 50).get_page(request.GET.get("page"))
    return render(request, "inventory/shipment_list.html", {"page": page, "table": table})


def shipment_detail(request, number: str):
    require(request, "inventory.view")
    shipment = selectors.get_shipment(number)
    if shipment is None:
        raise Http404
    return render(
        request,
        "inventory/shipment_detail.html",
        {"shipment": shipment, "items": shipment.items.all()},
    )


def label_svg(request, container_id: str):
    require(request, "inventory.view")
    aliquot = selectors.get_aliquot(container_id)
    if aliquot is None:
        raise Http404
    return HttpResponse(selectors.label_svg(aliquot, scale=4), content_type="image/svg+xml")


def labels(request, lot: str):
    require(request, "inventory.view")
    units = list(selectors.aliquot_list(lot=lot))
    if not units:
        raise Http404
    return render(
        request,
        "inventory/labels.html",
        {
            "lot": units[0].lot,
            "labels": [(a, selectors.label_svg(a, scale=2)) for a in units],
        },
    )


@require_http_methods(["GET", "POST"])
def location_list(request):
    require(request, "inventory.view")
    form = forms.LocationForm(request.POST or None)

    def create(data):
        return locations.create_location(
            actor=request.user,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            parent=_location(data["parent"]) if data["parent"] else None,
            capacity=data["capacity"],
            temperature_c=data["temperature_c"],
            storage_unit=_storage_unit(data["storage_unit"]),
        )

    if request.method == "POST":
        require(request, "inventory.manage_locations")
        if attempt(request, form, create, success=_("Location created.")):
            return redirect(reverse("inventory:location-list"))
    table = LOCATIONS.table(request, selectors.location_tree())
    if request.method == "GET" and table.export_format:
        return table.export()
    return render(
        request,
        "inventory/location_list.html",
        {
            "tree": table.rows,
            "table": table,
            "form": form,
            "can_manage": request.user.has_perm("inventory.manage_locations"),
        },
    )


def _storage_unit(identifier: str):
    if not (identifier or "").strip():
        return None
    unit = equipment.find_instrument(identifier)
    if unit is None:
        raise errors.InputError(
            _("unknown instrument {identifier}").format(identifier=identifier), where="storage_unit"
        )
    return unit


def _location_action(request, location, action: str):
    """The location page's forms other than the excursion: (form, Done or None)."""
    if action == "storage_unit":
        require(request, "inventory.manage_locations")
        form = forms.StorageUnitForm(request.POST)
        return form, attempt(
            request,
            form,
            lambda data: locations.link_storage_unit(
                actor=request.user, location=location, storage_unit=_storage_unit(data["storage_unit"])
            ),
            success=_("Saved."),
        )
    require(request, "inventory.assess_excursion")
    form = forms.AssessHeldForm(request.POST)
    return form, attempt(
        request,
        form,
        lambda data: assess_held_aliquot(
            request=request,
            actor=request.user,
            aliquot=data["aliquot"],
            decision=data["decision"],
            reason=data["reason"],
            password=data["password"],
        ),
        success=lambda a: _("{code}: {status}.").format(code=a.container_id, status=a.get_status_display()),
    )


@require_http_methods(["GET", "POST"])
def location_detail(request, code: str):
    require(request, "inventory.view")
    location = selectors.get_location(code)
    if location is None:
        raise Http404
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action in ("storage_unit", "assess"):
        form, done = _location_action(request, location, action)
        if done:
            return redirect(reverse("inventory:location-detail", args=[location.code]))
        return _render_location(request, location, forms.ExcursionForm(), {action: form}, status=400)
    form = forms.ExcursionForm(request.POST if request.method == "POST" else None)
    status = 200

    def record(data):
        return locations.record_excursion(
            actor=request.user,
            location=location,
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            extreme_temperature_c=data["extreme_temperature_c"],
            description=data["description"],
            assessment=data["assessment"].strip(),
        )

    if request.method == "POST":
        require(request, "inventory.record_excursion")
        done = attempt(request, form, record, success=_excursion_recorded)
        if done:
            return redirect(reverse("inventory:location-detail", args=[location.code]))
        status = 400
    return _render_location(request, location, form, {}, status=status)


def _excursion_recorded(excursion) -> str:
    if excursion.deviation_id:
        return _(
            "Temperature excursion recorded: deviation {deviation} opened, the aliquots stored in {unit} are on hold."
        ).format(deviation=excursion.deviation.number, unit=excursion.storage_unit.identifier)
    return _("Temperature excursion recorded.")


def _render_location(request, location, form, bound: dict, *, status: int):
    excursions = list(selectors.location_excursions(location))
    held = selectors.excursion_held_aliquots(excursions)
    unit_at, unit = selectors.unit_location(location)
    return render(
        request,
        "inventory/location_detail.html",
        {
            "location": location,
            "path": selectors.location_path(location),
            "children": selectors.location_children(location),
            "aliquots": selectors.aliquots_stored_under(location),
            "excursions": [
                {"excursion": e, "held": held.get(e.deviation.number, []) if e.deviation_id else []}
                for e in excursions
            ],
            "unit": unit,
            "unit_at": unit_at,
            "form": form,
            "unit_form": bound.get("storage_unit")
            or forms.StorageUnitForm(
                initial={"storage_unit": location.storage_unit.identifier if location.storage_unit_id else ""}
            ),
            "assess_form": bound.get("assess"),
            "can_record": request.user.has_perm("inventory.record_excursion"),
            "can_link": request.user.has_perm("inventory.manage_locations"),
            "can_assess": request.user.has_perm("inventory.assess_excursion"),
        },
        status=status,
    )


def _material_lot(number: str) -> MaterialLot:
    found = MaterialLot.objects.filter(lot_number=number.strip()).first()
    if found is None:
        raise errors.InputError(_("unknown material lot {lot}").format(lot=number), where="material_lot")
    return found


def _record_retention(actor, data):
    """A retention sample, or for a material lot with a reason given, why none is kept."""
    mlot = _material_lot(data["material_lot"]) if data["material_lot"] else None
    product_lot = _lot(data["lot"]) if data["lot"].strip() else None
    if mlot is not None and data["not_kept_reason"].strip():
        return retention.record_retention_not_kept(
            actor=actor, material_lot=mlot, reason=data["not_kept_reason"]
        )
    return retention.record_retention_sample(
        actor=actor,
        aliquot=data["aliquot"].strip() or None,
        lot=product_lot,
        material_lot=mlot,
        quantity=data["quantity"],
        location=_location(data["location"]) if data["location"] else None,
    )


@require_http_methods(["GET", "POST"])
def retention_page(request):
    require(request, "inventory.view")
    form = forms.RetentionForm(request.POST or None, initial={"lot": request.GET.get("lot", "")[:60]})
    if request.method == "POST":
        require(request, "inventory.record_retention")
        if attempt(
            request,
            form,
            lambda data: _record_retention(request.user, data),
            success=_("Retention record saved."),
        ):
            return redirect(reverse("inventory:retention"))
    table = RETENTION_SAMPLES.table(request, selectors.retention_samples())
    if request.method == "GET" and table.export_format:
        return table.export()
    return render(
        request,
        "inventory/retention.html",
        {
            "missing": selectors.retention_missing(),
            "due": selectors.retention_due(),
            "samples": table.rows[:200],
            "table": table,
            "form": form,
            "can_record": request.user.has_perm("inventory.record_retention"),
        },
    )
