"""Forms of the training pages: they collect input; the services decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from evqms.core.uploads import validate_upload_size
from evqms.dossier.models import Document
from evqms.training import models as m


def _people():
    return (
        get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct().order_by("username")
    )


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.signature_name()} ({obj.get_username()})"


def _operators():
    return get_user_model().objects.filter(is_active=True, groups__name="operator").order_by("username")


class _Operators(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.signature_name()} ({obj.get_username()})"


class TrainingForm(forms.Form):
    person = _PersonChoice(label=_("person"), queryset=_people())
    document = forms.ModelChoiceField(
        label=_("document (approved version)"),
        queryset=Document.objects.filter(status="approved").order_by("code"),
    )
    trained_on = forms.DateField(label=_("trained on"), widget=forms.DateInput(attrs={"type": "date"}))
    effective_from = forms.DateField(
        label=_("effective from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("empty = the day of training"),
    )
    trainer = _PersonChoice(label=_("trainer / assessed by"), queryset=_people())
    method = forms.ChoiceField(label=_("training method"), choices=m.TRAINING_METHODS)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(
        label=_("evidence file"),
        required=False,
        validators=[validate_upload_size],
        help_text=_("optional: kept unchanged with its sha256"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Querysets read when the form is made, so a user or document added since is offered.
        self.fields["person"].queryset = _people()
        self.fields["trainer"].queryset = _people()
        self.fields["document"].queryset = Document.objects.filter(status="approved").order_by("code")


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("reason for revocation"), widget=forms.Textarea(attrs={"rows": 2}))


class MediaFillForm(forms.Form):
    performed_on = forms.DateField(label=_("performed on"), widget=forms.DateInput(attrs={"type": "date"}))
    line = forms.CharField(label=_("room / line"), max_length=200)
    process_description = forms.CharField(label=_("process simulated"), required=False, max_length=300)
    units_filled = forms.IntegerField(label=_("units filled"), min_value=0)
    units_incubated = forms.IntegerField(label=_("units incubated"), min_value=0)
    units_contaminated = forms.IntegerField(label=_("units contaminated"), min_value=0)
    operators = _Operators(label=_("operators who passed"), queryset=_operators(), required=False)
    failed_operators = _Operators(
        label=_("operators who failed"),
        queryset=_operators(),
        required=False,
        help_text=_("e.g. a gowning or intervention failure; on a failed run every operator fails"),
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(label=_("your password (signature)"), widget=forms.PasswordInput)
    reason = forms.CharField(label=_("meaning / comment"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operators"].queryset = _operators()
        self.fields["failed_operators"].queryset = _operators()

    def participants(self) -> dict:
        """{operator: result} from the two lists (a person in both is refused by the form)."""
        data = self.cleaned_data
        out = {u: "pass" for u in data.get("operators") or []}
        out.update({u: "fail" for u in data.get("failed_operators") or []})
        return out

    def clean(self):
        data = super().clean()
        both = set(data.get("operators") or []) & set(data.get("failed_operators") or [])
        if both:
            self.add_error("failed_operators", _("an operator either passed or failed"))
        return data
