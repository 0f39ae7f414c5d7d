"""Forms parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evqms.clinical.models import CAUSALITY, CTCAE_GRADES, OUTCOMES
from evqms.dossier.models import ROUTES

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


class AdverseEventForm(forms.Form):
    patient = forms.CharField(label=_("Patient code"), max_length=40)
    administration = forms.CharField(label=_("Administration number"), max_length=40)
    onset = forms.DateTimeField(
        label=_("Onset"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    ctcae_grade = forms.TypedChoiceField(label=_("CTCAE grade"), choices=CTCAE_GRADES, coerce=int)
    serious = forms.BooleanField(label=_("Serious"), required=False)
    seriousness = forms.CharField(label=_("Seriousness criterion"), required=False, max_length=200)
    causality = forms.ChoiceField(label=_("Causality"), choices=CAUSALITY)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, initial="unknown")


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
