"""Forms parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evqms.clinical.models import CAUSALITY, CTCAE_GRADES, EXPECTEDNESS, OUTCOMES, SERIOUSNESS_CRITERIA
from evqms.clinical.services.outcomes import item_field, plain
from evqms.dossier.models import ROUTES, Product, indication_choices

DOSE_UNITS = [
    ("particles", _("particles")),
    ("1e9 particles", _("×10⁹ particles")),
    ("1e10 particles", _("×10¹⁰ particles")),
]
PROTEIN_UNITS = [("ug", "µg"), ("mg", "mg"), ("ng", "ng")]


class PatientForm(forms.Form):
    code = forms.CharField(label=_("Patient code"), max_length=40)
    clinic_identifier = forms.CharField(
        label=_("Clinic identifier (chart number)"),
        max_length=200,
        help_text=_("Hashed with the installation's key; never stored."),
    )
    birth_year = forms.IntegerField(label=_("Birth year"), required=False)
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", "—"), ("female", _("Female")), ("male", _("Male")), ("other", _("Other"))],
    )
    consented_on = forms.DateField(
        label=_("Consent date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AdministrationForm(forms.Form):
    patient = forms.CharField(label=_("Patient code"), max_length=40)
    aliquots = forms.CharField(label=_("Aliquots (container ids, space separated)"), max_length=1000)
    administered_at = forms.DateTimeField(
        label=_("Administered at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    route = forms.ChoiceField(label=_("Route"), choices=ROUTES)
    site = forms.CharField(label=_("Injection site"), max_length=200, required=False)
    dose = forms.CharField(
        label=_("Dose (blank: the aliquots' particle count)"), required=False, max_length=40
    )
    dose_unit = forms.ChoiceField(label=_("Dose unit"), choices=DOSE_UNITS, initial="particles")
    protein_dose = forms.CharField(label=_("Protein dose"), required=False, max_length=40)
    protein_unit = forms.ChoiceField(label=_("Protein unit"), choices=PROTEIN_UNITS, initial="ug")
    body_weight_kg = forms.CharField(label=_("Body weight (kg)"), required=False, max_length=10)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _date(label, required=True, **kw):
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}), **kw
    )


def _moment(label):
    return forms.DateTimeField(label=label, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class AdverseEventForm(forms.Form):
    patient = forms.CharField(label=_("Patient code"), max_length=40)
    administration = forms.CharField(label=_("Administration number"), max_length=40)
    onset = _moment(_("Onset"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    ctcae_term = forms.CharField(label=_("CTCAE term"), required=False, max_length=200)
    ctcae_grade = forms.TypedChoiceField(label=_("CTCAE grade"), choices=CTCAE_GRADES, coerce=int)
    seriousness_criteria = forms.MultipleChoiceField(
        label=_("Seriousness criteria (none: not serious)"),
        choices=SERIOUSNESS_CRITERIA,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    seriousness = forms.CharField(label=_("Seriousness detail"), required=False, max_length=200)
    learned_on = _date(
        _("Clinic learnt of it on"),
        required=False,
        help_text=_("The reporting clock of a serious event starts on this day (blank: today)."),
    )
    expectedness = forms.ChoiceField(
        label=_("Expectedness"), choices=EXPECTEDNESS, initial="unknown", required=False
    )
    causality = forms.ChoiceField(label=_("Causality"), choices=CAUSALITY)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, initial="unknown")
    outcome_on = _date(_("Outcome date"), required=False)


class AdverseEventFollowUpForm(forms.Form):
    learned_on = _date(_("Clinic learnt of it on"))
    information = forms.CharField(label=_("New information"), widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *OUTCOMES], required=False)
    seriousness_criteria = forms.MultipleChoiceField(
        label=_("Seriousness criteria now met"),
        choices=SERIOUSNESS_CRITERIA,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    needs_report = forms.BooleanField(
        label=_("Needs a follow-up report (serious events)"), required=False, initial=True
    )


class SubmissionForm(forms.Form):
    submitted_on = _date(_("Submitted on"))
    submitted_to = forms.CharField(
        label=_("Submitted to"), max_length=200, help_text=_("e.g. the certified committee, MHLW, PMDA")
    )
    authority_reference = forms.CharField(label=_("Authority's reference"), required=False, max_length=100)
    late_reason = forms.CharField(
        label=_("Reason for lateness (when after the due date)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    password = forms.CharField(
        label=_("Your password (signature)"), required=False, widget=forms.PasswordInput(render_value=False)
    )


class InstrumentUseForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.order_by("code"), to_field_name="code"
    )
    instrument = forms.ChoiceField(label=_("Outcome instrument"))
    indication_code = forms.ChoiceField(label=_("Indication (blank: any)"), required=False)
    follow_up_months = forms.CharField(label=_("Follow-up months"), initial="1, 3, 6, 12", max_length=100)
    window_days = forms.IntegerField(label=_("Visit window (± days)"), initial=14)
    licence_reference = forms.CharField(
        label=_("Site licence (licensed instruments)"), required=False, max_length=300
    )

    def __init__(self, *args, definitions=(), lang="ja", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [(d.code, d.text("name", lang)) for d in definitions]
        self.fields["indication_code"].choices = [("", "—"), *indication_choices()]


class EvaluationForm(forms.Form):
    """The time and one field per item of the instrument (labelled in the page's language). Values
    are text: the service checks them against the instrument's scale and says what is wrong."""

    evaluated_at = _moment(_("Evaluated at"))

    def __init__(self, *args, definition, lang="ja", **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            self.fields[item_field(item.code)] = forms.CharField(
                label=item.text.get(lang) or item.text["en"],
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                help_text=scale_text(item, lang),
            )
        self.fields["notes"] = forms.CharField(
            label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
        )

    def values(self) -> dict:
        return {item.code: self.cleaned_data.get(item_field(item.code), "") for item in self.definition.items}


def scale_text(item, lang: str) -> str:
    """'0 (No pain) – 10 (Worst pain imaginable)': the item's range with its anchors."""
    ends = []
    for end, value in (("min", item.min), ("max", item.max)):
        anchor = item.anchors.get(end)
        ends.append(f"{plain(value)} ({anchor[lang]})" if anchor else plain(value))
    return " – ".join(ends)


class MissedVisitForm(forms.Form):
    reason = forms.CharField(label=_("Why the visit was missed"), widget=forms.Textarea(attrs={"rows": 2}))


class InvestigationForm(forms.Form):
    investigation = forms.CharField(label=_("Investigation"), widget=forms.Textarea(attrs={"rows": 4}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES)
    causality = forms.ChoiceField(label=_("Causality"), choices=CAUSALITY)


class SampleTestForm(forms.Form):
    retention_sample = forms.IntegerField(label=_("Retention sample"))
    test = forms.CharField(label=_("Test"), max_length=200)
    result = forms.CharField(label=_("Result"), max_length=200)
    tested_on = forms.DateField(label=_("Tested on"), widget=forms.DateInput(attrs={"type": "date"}))
    conclusion = forms.CharField(
        label=_("Conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
