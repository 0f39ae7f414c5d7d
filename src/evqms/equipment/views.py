"""Equipment pages: the register (filters, due dates, registering), rooms, and an instrument's page
(its history, calibration, maintenance, service state, QA's edit). Rules live in the services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core.concurrency import fingerprint
from evqms.core.views import attempt, require
from evqms.equipment import forms, selectors, services, status
from evqms.equipment.listings import INSTRUMENTS, ROOMS
from evqms.equipment.models import INSTRUMENT_KINDS, CalibrationRecord
from evqms.equipment.records import instrument_record, room_record
from evqms.i18n import _

DUE_CHOICES = ("14", "30", "90")


def _room(code: str):
    if not code:
        return None
    room = selectors.find_room(code)
    if room is None:
        raise errors.InputError(_("unknown room {code}").format(code=code), where="room")
    return room


def _owner(username: str):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise errors.InputError(_("unknown user {name}").format(name=username), where="owner")
    return user


def _instrument_data(data: dict) -> dict:
    out = {k: v for k, v in data.items() if k not in ("seen",)}
    out["room"], out["owner"] = _room(data.get("room", "")), _owner(data.get("owner", ""))
    return out


@require_http_methods(["GET", "POST"])
def register(request):
    require(request, "equipment.view")
    filters = {k: request.GET.get(k, "").strip() for k in ("kind", "room", "state", "due", "q")}
    form = forms.InstrumentForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        require(request, "equipment.manage")
        done = attempt(
            request,
            form,
            lambda data: services.register_instrument(actor=request.user, **_instrument_data(data)),
            success=lambda i: _("Instrument {identifier} registered.").format(identifier=i.identifier),
        )
        if done:
            return redirect(reverse("equipment:instrument-detail", args=[done.result.identifier]))
        status_code = 400
    qs = selectors.instruments(
        kind=filters["kind"] or None,
        room=filters["room"] or None,
        state=filters["state"] or None,
        due_within=int(filters["due"]) if filters["due"] in DUE_CHOICES else None,
        search=filters["q"] or None,
    )
    table = INSTRUMENTS.table(request, selectors.register_rows(qs))
    if request.method == "GET" and table.export_format:
        return table.export()
    return render(
        request,
        "equipment/register.html",
        {
            "rows": table.rows,
            "table": table,
            "filters": filters,
            "kinds": INSTRUMENT_KINDS,
            "rooms": selectors.rooms(),
            "states": list(status.state_labels().items()),
            "due_choices": DUE_CHOICES,
            "form": form,
            "can_manage": request.user.has_perm("equipment.manage"),
        },
        status=status_code,
    )


@require_http_methods(["GET", "POST"])
def room_list(request):
    require(request, "equipment.view")
    form = forms.RoomForm(request.POST or None)
    if request.method == "POST":
        require(request, "equipment.manage")
        if attempt(
            request,
            form,
            lambda data: services.create_room(actor=request.user, **data),
            success=_("Room created."),
        ):
            return redirect(reverse("equipment:room-list"))
    table = ROOMS.table(request, selectors.rooms())
    if request.method == "GET" and table.export_format:
        return table.export()
    return render(
        request,
        "equipment/room_list.html",
        {
            "rooms": table.rows,
            "table": table,
            "form": form,
            "can_manage": request.user.has_perm("equipment.manage"),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def room_detail(request, code: str):
    require(request, "equipment.view")
    room = selectors.get_room(code)
    if room is None:
        raise Http404
    initial = {
        "name": room.name,
        "grade": room.grade,
        "active": room.active,
        "seen": fingerprint(room_record(room)),
    }
    form = forms.RoomEditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request, "equipment.manage")
        if attempt(
            request,
            form,
            lambda data: services.update_room(actor=request.user, room=room, **data),
            success=_("Saved."),
        ):
            return redirect(reverse("equipment:room-detail", args=[room.code]))
    return render(
        request,
        "equipment/room_detail.html",
        {
            "room": room,
            "rows": selectors.register_rows(selectors.instruments(room=room.code)),
            "form": form,
            "can_manage": request.user.has_perm("equipment.manage"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _edit_initial(instrument) -> dict:
    return {
        "kind": instrument.kind,
        "name": instrument.name,
        "manufacturer": instrument.manufacturer,
        "serial_number": instrument.serial_number,
        "room": instrument.room.code if instrument.room_id else "",
        "owner": instrument.owner.get_username() if instrument.owner_id else "",
        "calibration_interval_days": instrument.calibration_interval_days,
        "maintenance_interval_days": instrument.maintenance_interval_days,
        "overdue_policy": instrument.overdue_policy,
        "is_storage_unit": instrument.is_storage_unit,
        "min_temperature_c": instrument.min_temperature_c,
        "max_temperature_c": instrument.max_temperature_c,
        "seen": fingerprint(instrument_record(instrument)),
    }


@require_http_methods(["GET", "POST"])
def instrument_detail(request, identifier: str):
    require(request, "equipment.view")
    instrument = selectors.get_instrument(identifier)
    if instrument is None:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    bound = {
        name: (request.POST if action == name else None)
        for name in ("calibration", "maintenance", "edit", "state")
    }
    calibration_form = forms.CalibrationForm(
        bound["calibration"], request.FILES if action == "calibration" else None
    )
    maintenance_form = forms.MaintenanceForm(bound["maintenance"])
    edit_form = forms.InstrumentForm(bound["edit"], editing=True, initial=_edit_initial(instrument))
    state_form = forms.ServiceStateForm(bound["state"])
    here = reverse("equipment:instrument-detail", args=[instrument.identifier])
    if action:
        done = None
        if action == "calibration":
            require(request, "equipment.record_calibration")
            done = attempt(
                request,
                calibration_form,
                lambda data: services.record_calibration(actor=request.user, instrument=instrument, **data),
                success=_("Calibration recorded."),
            )
        elif action == "maintenance":
            require(request, "equipment.record_maintenance")
            done = attempt(
                request,
                maintenance_form,
                lambda data: services.record_maintenance(actor=request.user, instrument=instrument, **data),
                success=_("Maintenance recorded."),
            )
        elif action == "edit":
            require(request, "equipment.manage")
            done = attempt(
                request,
                edit_form,
                lambda data: services.update_instrument(
                    actor=request.user, instrument=instrument, seen=data["seen"], **_instrument_data(data)
                ),
                success=_("Saved."),
            )
        elif action == "state":
            out = instrument.service_state == "out_of_service"
            require(request, "equipment.return_to_service" if out else "equipment.take_out_of_service")
            service = services.return_to_service if out else services.take_out_of_service
            done = attempt(
                request,
                state_form,
                lambda data: service(actor=request.user, instrument=instrument, reason=data["reason"]),
                success=_("Returned to service.") if out else _("Taken out of service."),
            )
        if done:
            return redirect(here)
    today = timezone.localdate()
    return render(
        request,
        "equipment/instrument_detail.html",
        {
            "instrument": instrument,
            "state": status.state(instrument, today),
            "state_label": status.state_labels()[status.state(instrument, today)],
            **selectors.instrument_history(instrument),
            "calibration_form": calibration_form,
            "maintenance_form": maintenance_form,
            "edit_form": edit_form,
            "state_form": state_form,
            "can_calibrate": request.user.has_perm("equipment.record_calibration"),
            "can_maintain": request.user.has_perm("equipment.record_maintenance"),
            "can_manage": request.user.has_perm("equipment.manage"),
            "can_change_state": request.user.has_perm(
                "equipment.return_to_service"
                if instrument.service_state == "out_of_service"
                else "equipment.take_out_of_service"
            ),
        },
        status=400 if action else 200,
    )


def certificate(request, identifier: str, pk: int):
    """The calibration certificate as it was kept (its original name, unchanged bytes)."""
    require(request, "equipment.view")
    record = CalibrationRecord.objects.filter(pk=pk, instrument__identifier=identifier).first()
    if record is None or not record.certificate.name or not default_storage.exists(record.certificate.name):
        raise Http404
    return FileResponse(
        default_storage.open(record.certificate.name, "rb"),
        as_attachment=True,
        filename=record.certificate_name or "certificate",
    )
