"""Forms parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evqms.inventory.models import LOCATION_KINDS


class AliquotCreateForm(forms.Form):
    lot = forms.CharField(label=_("Lot number"), max_length=60)
    count = forms.IntegerField(label=_("Number of aliquots"), min_value=1, max_value=1000)
    volume_ml = forms.DecimalField(label=_("Volume per aliquot (mL)"), max_digits=10, decimal_places=3)
    particle_count = forms.CharField(label=_("Particles per aliquot"), required=False)
    protein_ug = forms.DecimalField(
        label=_("Protein per aliquot (µg)"), required=False, max_digits=14, decimal_places=3
    )


class MoveForm(forms.Form):
    to_location = forms.CharField(label=_("To location (code)"), max_length=60)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ShipForm(forms.Form):
    """Ship to a registered consignee (the register is under Inventory > Consignees)."""

    consignee = forms.ChoiceField(label=_("Consignee"), choices=())
    shipped_at = forms.DateTimeField(
        label=_("Shipped at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Empty = now"),
    )
    reference = forms.CharField(label=_("Courier reference"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from evqms.inventory.models import Consignee

        self.fields["consignee"].choices = [("", "—")] + [
            (c.code, f"{c.code} — {c.name}" + (f" ({c.site})" if c.site else ""))
            for c in Consignee.objects.filter(active=True).order_by("code")
        ]


class ConsigneeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=pgettext_lazy("consignee", "Name"), max_length=200)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 2}))
    site = forms.CharField(
        label=_("Site"), max_length=200, required=False, help_text=_("ward, pharmacy or department")
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=60, required=False)
    contact_email = forms.CharField(label=_("Contact e-mail"), max_length=200, required=False)


class LocationForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=60)
    name = forms.CharField(label=pgettext_lazy("storage location", "Name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=LOCATION_KINDS)
    parent = forms.CharField(label=_("Inside (code)"), max_length=60, required=False)
    capacity = forms.IntegerField(label=_("Capacity"), required=False, min_value=1)
    temperature_c = forms.DecimalField(
        label=_("Set temperature (°C)"), required=False, max_digits=6, decimal_places=1
    )
    storage_unit = forms.CharField(
        label=_("Storage unit (instrument identifier)"),
        max_length=40,
        required=False,
        help_text=_("A temperature-controlled unit of the equipment register"),
    )


class StorageUnitForm(forms.Form):
    storage_unit = forms.CharField(
        label=_("Storage unit (instrument identifier)"),
        max_length=40,
        required=False,
        help_text=_("Empty = not a storage unit of the register"),
    )


class AssessHeldForm(forms.Form):
    """QA's decision on an aliquot held by a storage excursion, signed with the password."""

    aliquot = forms.CharField(widget=forms.HiddenInput, max_length=60)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("release", _("Release to use")), ("discard", _("Discard"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Assessment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(label=_("Password (signature)"), widget=forms.PasswordInput, max_length=200)


class RetentionForm(forms.Form):
    aliquot = forms.CharField(
        label=_("Aliquot of a product lot (container id)"), max_length=60, required=False
    )
    # A lot awaiting release has no aliquots yet: its retention sample is taken from the lot itself.
    lot = forms.CharField(label=_("or product lot number (before release)"), max_length=60, required=False)
    material_lot = forms.CharField(label=_("or material lot number"), max_length=100, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=60, required=False)
    location = forms.CharField(label=_("Location (code)"), max_length=60, required=False)
    not_kept_reason = forms.CharField(
        label=_("No sample kept: documented reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ExcursionForm(forms.Form):
    started_at = forms.DateTimeField(
        label=_("Started at"), input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput()
    )
    ended_at = forms.DateTimeField(
        label=_("Ended at"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeLocalInput(),
        help_text=_("Leave empty while the excursion lasts"),
    )
    # Same precision as the model (one decimal), so nothing is rounded silently on save.
    extreme_temperature_c = forms.DecimalField(
        label=_("Extreme temperature (°C)"), max_digits=6, decimal_places=1
    )
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    assessment = forms.CharField(
        label=_("Impact assessment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
