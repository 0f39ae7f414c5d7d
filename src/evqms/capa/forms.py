"""Forms of the deviation and CAPA pages: they parse what a person typed; the services judge it."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from evqms.capa.models import Capa
from evqms.lots.models import Deviation, DeviationImpact

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _text(label, rows=2, required=False):
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), required=required)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DeviationOpenForm(forms.Form):
    description = _text(_("Description"), rows=3)
    lots = forms.CharField(
        label=_("Lots it may affect"),
        required=False,
        help_text=_("lot numbers, separated by commas or spaces; none if it names no lot"),
    )
    material_lots = forms.CharField(
        label=_("Material lots it may affect"), required=False, help_text=_("material lot numbers")
    )
    equipment = forms.CharField(label=_("Equipment concerned"), required=False, max_length=500)
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("empty: now"),
    )


class ClassifyForm(forms.Form):
    classification = forms.ChoiceField(
        label=_("Classification"), choices=[c for c in Deviation.CLASSIFICATIONS if c[0]]
    )
    reason = _text(_("Reason"))


class InvestigationForm(forms.Form):
    root_cause_category = forms.ChoiceField(
        label=_("Root cause category"), choices=[c for c in Deviation.ROOT_CAUSES if c[0]]
    )
    investigation = _text(_("Investigation and findings"), rows=4)


class ImpactForm(forms.Form):
    assessment = forms.ChoiceField(label=_("Impact"), choices=DeviationImpact.ASSESSMENTS)
    reasoning = _text(_("Reasoning"))


class NameLotsForm(forms.Form):
    lots = forms.CharField(label=_("Further lots it may affect"), required=False)
    material_lots = forms.CharField(label=_("Further material lots"), required=False)


class SignForm(forms.Form):
    resolution = _text(_("Closing summary"))
    password = forms.CharField(
        label=_("Your password (signature)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )


class CapaForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Capa.KINDS)
    description = _text(_("Description"), rows=3)
    deviations = forms.CharField(label=_("Deviations"), required=False, help_text=_("deviation numbers"))
    source_reference = forms.CharField(label=_("Complaint or audit finding"), required=False, max_length=200)
    effectiveness_after_days = forms.IntegerField(
        label=_("Effectiveness check after (days)"), initial=90, min_value=0, max_value=3650
    )


class ActionForm(forms.Form):
    description = _text(_("Action"))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")


class CompleteActionForm(forms.Form):
    evidence = _text(_("Evidence"))
    done_on = forms.DateField(
        label=_("Done on"), required=False, widget=DateInput(), help_text=_("empty: today")
    )


class EffectivenessForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=[c for c in Capa.RESULTS if c[0]])
    evidence = _text(_("Evidence"), rows=3)


class LinkDeviationForm(forms.Form):
    deviation = forms.CharField(label=_("Deviation number"), max_length=40)
