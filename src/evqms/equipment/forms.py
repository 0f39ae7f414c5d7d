"""Forms parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evqms.core.concurrency import SeenField
from evqms.core.uploads import validate_upload_size
from evqms.equipment.models import (
    CALIBRATION_RESULTS,
    INSTRUMENT_KINDS,
    MAINTENANCE_KINDS,
    OVERDUE_POLICIES,
    ROOM_GRADES,
    Room,
)

DATE = forms.DateInput(attrs={"type": "date"})


class RoomForm(forms.Form):
    code = forms.CharField(label=_("Room code"), max_length=40)
    name = forms.CharField(label=pgettext_lazy("room", "Name"), max_length=200)
    grade = forms.ChoiceField(label=_("Cleanroom grade (EU GMP Annex 1)"), choices=ROOM_GRADES)


class RoomEditForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("room", "Name"), max_length=200)
    grade = forms.ChoiceField(label=_("Cleanroom grade (EU GMP Annex 1)"), choices=ROOM_GRADES)
    active = forms.BooleanField(label=_("In use"), required=False)
    seen = SeenField()


def _room_choices():
    return [("", "—")] + [
        (r.code, f"{r.code} — {r.name} ({r.get_grade_display()})") for r in Room.objects.filter(active=True)
    ]


def _owner_choices():
    users = (
        get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct().order_by("username")
    )
    return [("", "—")] + [(u.username, u.signature_name()) for u in users]


class InstrumentForm(forms.Form):
    """Register (with the identifier) or edit (without it) an instrument."""

    identifier = forms.CharField(label=_("Instrument identifier"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=INSTRUMENT_KINDS)
    name = forms.CharField(label=pgettext_lazy("instrument", "Name"), max_length=200)
    manufacturer = forms.CharField(label=_("Manufacturer and model"), max_length=200, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=100, required=False)
    room = forms.ChoiceField(label=_("Room"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    calibration_interval_days = forms.IntegerField(
        label=_("Calibration interval (days)"),
        required=False,
        min_value=1,
        help_text=_("Empty = no calibration"),
    )
    maintenance_interval_days = forms.IntegerField(
        label=_("Maintenance interval (days)"),
        required=False,
        min_value=1,
        help_text=_("Empty = no maintenance"),
    )
    calibration_due = forms.DateField(
        label=_("Calibration due (work done before registration)"), required=False, widget=DATE
    )
    maintenance_due = forms.DateField(
        label=_("Maintenance due (work done before registration)"), required=False, widget=DATE
    )
    overdue_policy = forms.ChoiceField(
        label=_("When used past its calibration due date"), choices=OVERDUE_POLICIES, initial="refuse"
    )
    is_storage_unit = forms.BooleanField(label=_("Temperature-controlled storage unit"), required=False)
    min_temperature_c = forms.DecimalField(
        label=_("Lowest allowed temperature (°C)"), required=False, max_digits=6, decimal_places=1
    )
    max_temperature_c = forms.DecimalField(
        label=_("Highest allowed temperature (°C)"), required=False, max_digits=6, decimal_places=1
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=1000,
        help_text=_("Required when the overdue policy changes"),
    )
    seen = SeenField()

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = _room_choices()
        self.fields["owner"].choices = _owner_choices()
        if editing:
            for name in ("identifier", "calibration_due", "maintenance_due"):
                del self.fields[name]
        else:
            del self.fields["reason"]
            del self.fields["seen"]


class CalibrationForm(forms.Form):
    performed_on = forms.DateField(label=_("Performed on"), widget=DATE)
    performed_by = forms.CharField(label=_("Performed by (person or service provider)"), max_length=200)
    result = forms.ChoiceField(label=_("Result"), choices=CALIBRATION_RESULTS)
    certificate = forms.FileField(label=_("Certificate"), required=False, validators=[validate_upload_size])
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MaintenanceForm(forms.Form):
    performed_on = forms.DateField(label=_("Performed on"), widget=DATE)
    performed_by = forms.CharField(label=_("Performed by (person or service provider)"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=MAINTENANCE_KINDS)
    description = forms.CharField(
        label=_("Work done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ServiceStateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
