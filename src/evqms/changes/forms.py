"""Forms of the change-control pages: the shape of the input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evqms.changes.models import KINDS, STATUSES


class ProposeForm(forms.Form):
    kind = forms.ChoiceField(label=_("what changes"), choices=KINDS)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("the change and why"), widget=forms.Textarea(attrs={"rows": 4}))
    product_code = forms.CharField(
        label=_("product code"), max_length=40, required=False, help_text=_("empty: not product-specific")
    )
    impact_assessment = forms.CharField(
        label=_("impact assessment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("quality, validation, documents, training, regulatory"),
    )
    quality_impact = forms.BooleanField(label=_("may change product quality"), required=False)
    comparability_plan = forms.CharField(
        label=_("comparability plan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("required when the change may affect quality"),
    )


class AssessForm(forms.Form):
    impact_assessment = forms.CharField(
        label=_("impact assessment"), widget=forms.Textarea(attrs={"rows": 4})
    )
    quality_impact = forms.BooleanField(label=_("may change product quality"), required=False)
    comparability_plan = forms.CharField(
        label=_("comparability plan"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SignForm(forms.Form):
    password = forms.CharField(label=_("password (signature)"), widget=forms.PasswordInput, strip=False)
    reason = forms.CharField(label=_("reason / comment"), required=False, max_length=500)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason for rejection"), widget=forms.Textarea(attrs={"rows": 2}))


class ImplementForm(forms.Form):
    summary = forms.CharField(label=_("what was implemented"), widget=forms.Textarea(attrs={"rows": 3}))


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("all")), ("open", _("open")), *STATUSES]
    )
    kind = forms.ChoiceField(label=_("what changes"), required=False, choices=[("", _("all")), *KINDS])
