from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RecallForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the recall"), widget=forms.Textarea(attrs={"rows": 3}))
    password = forms.CharField(label=_("Your password (signature)"), widget=forms.PasswordInput, strip=False)


class RecallUnitForm(forms.Form):
    aliquot = forms.CharField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Unit outcome"),
        choices=[
            ("returned", _("Returned")),
            ("destroyed", _("Destroyed")),
            ("administered", _("Administered")),
        ],
    )
    note = forms.CharField(
        label=_("Evidence"),
        max_length=2000,
        help_text=_("Who confirmed it and how (e.g. destruction certificate, returned with courier ref.)"),
    )


class RecallCloseForm(forms.Form):
    reason = forms.CharField(label=_("Closing summary"), widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(label=_("Your password (signature)"), widget=forms.PasswordInput, strip=False)


class HoldForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Held item"),
        choices=[
            ("product", _("Product")),
            ("cell_bank", _("Cell bank")),
            ("material_lot", _("Material lot")),
        ],
    )
    code = forms.CharField(label=_("Code or lot number"), max_length=100)
    reason = forms.CharField(label=_("Reason for the hold"), widget=forms.Textarea(attrs={"rows": 2}))


class HoldReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for lifting the hold"), widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(label=_("Your password (signature)"), widget=forms.PasswordInput, strip=False)


class DestroyHeldForm(forms.Form):
    """QA's controlled disposal of units in stock on hold under a recall or a hold (signed)."""

    aliquots = forms.MultipleChoiceField(
        label=_("Units to destroy"), widget=forms.CheckboxSelectMultiple, choices=[]
    )
    reason = forms.CharField(
        label=_("Reason and method of destruction"), widget=forms.Textarea(attrs={"rows": 2})
    )
    password = forms.CharField(label=_("Your password (signature)"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, units=(), **kwargs):
        # Its own ids: the recall page also shows the close form (id_reason, id_password).
        kwargs.setdefault("auto_id", "destroy-%s")
        super().__init__(*args, **kwargs)
        self.fields["aliquots"].choices = [(a.container_id, a.container_id) for a in units]


class EventHoldForm(forms.Form):
    """Hold the lots of an adverse event and the siblings chosen from its trace, signed."""

    lots = forms.MultipleChoiceField(label=_("Lots to hold"), widget=forms.CheckboxSelectMultiple, choices=[])
    reason = forms.CharField(label=_("Reason for the hold"), widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(label=_("Your password (signature)"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"].choices = [(n, n) for n in numbers]
