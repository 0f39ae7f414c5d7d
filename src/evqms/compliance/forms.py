"""Forms of the compliance pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evqms.compliance.models import (
    ATTESTATION_ROLES,
    QMS_ELEMENTS,
    RISK_CLASSES,
    RISK_STATUSES,
    STAGE_CHOICES,
)
from evqms.guidance.risk import STAGES

SCORE = [(i, str(i)) for i in range(1, 6)]


def stage_choices(lang: str):
    return [(code, names.get(lang, names["en"])) for code, names in STAGES.items()]


class RiskItemForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"), choices=STAGE_CHOICES)
    hazard = forms.CharField(label=_("hazard"), max_length=300)
    cause = forms.CharField(label=_("cause"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    effect = forms.CharField(label=_("effect"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    severity = forms.TypedChoiceField(label=_("severity"), choices=SCORE, coerce=int, initial=3)
    occurrence = forms.TypedChoiceField(label=_("occurrence"), choices=SCORE, coerce=int, initial=3)
    detectability = forms.TypedChoiceField(label=_("detectability"), choices=SCORE, coerce=int, initial=3)
    control_attributes = forms.ModelMultipleChoiceField(
        label=_("specification attributes"), queryset=None, required=False
    )
    control_parameters = forms.ModelMultipleChoiceField(
        label=_("process parameters"), queryset=None, required=False
    )
    control_notes = forms.CharField(
        label=_("other controls"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    residual_risk = forms.ChoiceField(
        label=_("residual risk"), choices=[("", "—"), *RISK_CLASSES], required=False
    )
    status = forms.ChoiceField(label=_("status"), choices=RISK_STATUSES, initial="open")
    review_on = forms.DateField(
        label=_("review date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, product=None, lang="en", **kwargs):
        super().__init__(*args, **kwargs)
        from evqms.dossier.models import ProcessParameter, SpecAttribute

        self.fields["stage"].choices = stage_choices(lang)
        self.fields["control_attributes"].queryset = SpecAttribute.objects.filter(
            specification__product=product
        ).select_related("specification")
        self.fields["control_attributes"].label_from_instance = lambda a: (
            f"{a.name} (v{a.specification.version})"
        )
        self.fields["control_parameters"].queryset = ProcessParameter.objects.filter(
            step__process__product=product
        ).select_related("step__process")
        self.fields["control_parameters"].label_from_instance = lambda p: (
            f"{p.step.name} / {p.name} (v{p.step.process.version})"
        )


class NoneIdentifiedForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"), choices=STAGE_CHOICES)
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)

    def __init__(self, *args, lang="en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = stage_choices(lang)


class SignForm(forms.Form):
    password = forms.CharField(
        label=_("password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    reason = forms.CharField(label=_("comment"), required=False, max_length=500)


class AttestationForm(forms.Form):
    item_id = forms.ChoiceField(label=_("guidance item"))
    role = forms.ChoiceField(label=_("role"), choices=ATTESTATION_ROLES)
    statement = forms.CharField(label=_("statement"), widget=forms.Textarea(attrs={"rows": 3}))
    cites = forms.MultipleChoiceField(
        label=_("records cited"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # A product's lots are typed, not ticked: a box a lot was 10,000 boxes on the page.
    cited_lots = forms.CharField(
        label=_("lots cited"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Lot numbers of this product, separated by commas, spaces or new lines."),
    )
    password = forms.CharField(
        label=_("password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, items=(), citable=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_id"].choices = [(i, i) for i in items]
        self.fields["cites"].choices = [(c, c) for c in citable]

    def clean_cited_lots(self) -> list[str]:
        """The lots typed, as the records they cite ('lot:NUMBER'), each once, in the order typed; the
        service refuses a number that is not a lot of the product, naming it."""
        numbers = self.cleaned_data["cited_lots"].replace(",", " ").split()
        return [f"lot:{n}" for n in dict.fromkeys(numbers)]

    def all_cites(self) -> list[str]:
        """The records ticked and the lots typed (after is_valid)."""
        return [*self.cleaned_data["cites"], *self.cleaned_data["cited_lots"]]


def _document_label(doc) -> str:
    return f"{doc.code} v{doc.version} — {doc.title}"


class QMSLinkForm(forms.Form):
    """Link an approved dossier document to a QMS element (the service checks the element again)."""

    element = forms.ChoiceField(label=_("QMS element"), choices=[("", "—"), *QMS_ELEMENTS])
    document = forms.ModelChoiceField(label=_("approved document"), queryset=None, empty_label="—")
    review_due = forms.DateField(
        label=_("review due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, documents=None, **kwargs):
        kwargs.setdefault("prefix", "qms")
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents
        self.fields["document"].label_from_instance = _document_label


class ComparabilityForm(forms.Form):
    """Record and approve (sign) the comparability assessment of a process version."""

    process = forms.ModelChoiceField(label=_("process version"), queryset=None, empty_label="—")
    summary = forms.CharField(
        label=_("comparability summary"),
        strip=False,  # the service strips it and says when nothing is left
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Characterisation and potency before and after the change, and the conclusion."),
    )
    document = forms.ModelChoiceField(
        label=_("comparability report (optional)"), queryset=None, required=False, empty_label="—"
    )
    password = forms.CharField(
        label=_("password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, processes=None, documents=None, **kwargs):
        kwargs.setdefault("prefix", "cmp")
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = processes
        self.fields["process"].label_from_instance = lambda p: f"v{p.version} ({p.get_status_display()})"
        self.fields["document"].queryset = documents
        self.fields["document"].label_from_instance = _document_label
