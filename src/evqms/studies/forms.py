"""Forms: input shape only; every rule is checked by the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evqms.core.uploads import read_upload
from evqms.dossier.models import Product, indication_choices
from evqms.errors import InputError
from evqms.lots.models import Lot
from evqms.studies.models import POTENCY_MODELS, DoseResponseStudy
from evqms.studies.services import FRACTION_RE, SIZE_STATISTICS


def _read(upload) -> bytes:
    """The upload's bytes, refused on the field above EVQMS_UPLOAD_LIMIT_MB (evqms.core.limits)."""
    try:
        return read_upload(upload)
    except InputError as exc:
        raise forms.ValidationError(str(exc)) from None


class NTAUploadForm(forms.Form):
    # tested_at, tested_at_reason and dilution are drawn by studies/_nta_file_facts.html, next to
    # what the chosen file records (capture time, dilution); the service decides what is needed.
    FILE_FACT_FIELDS = ("tested_at", "tested_at_reason", "dilution")
    file = forms.FileField(label=_("NTA export (NanoSight ExperimentSummary.csv or ZetaView .txt)"))
    tested_at = forms.DateTimeField(
        label=_("tested at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("the file's capture time; change it only with a reason"),
    )
    tested_at_reason = forms.CharField(
        label=_("reason for another tested-at time"), required=False, max_length=500
    )
    dilution = forms.FloatField(
        label=_("dilution (fold)"),
        required=False,
        min_value=0,
        help_text=_(
            "needed when the file records none: the original sample's concentration is the measured one times this"
        ),
    )
    concentration_attribute = forms.CharField(
        label=_("concentration attribute (code)"),
        required=False,
        help_text=_("empty: particle_concentration when present"),
    )
    size_attributes = forms.CharField(
        label=_("size attributes"), required=False,
        help_text=_("code=statistic, comma-separated (statistics: mean, mode, sd, d10, d50, d90, "
                    "fraction:50-400 for the % of particles within 50-400 nm); empty: the specification's "
                    "NTA attributes (modal and median size, size fractions, ...)"),
    )  # fmt: skip
    confirm_warnings = forms.BooleanField(
        label=_("I have reviewed the warnings: record anyway"), required=False
    )

    def clean_file(self):
        return _read(self.cleaned_data["file"])

    def clean_size_attributes(self):
        text = self.cleaned_data["size_attributes"].strip()
        if not text:
            return None
        out = {}
        for part in text.split(","):
            code, sep, stat = part.partition("=")
            code, stat = code.strip(), stat.strip()
            if not sep or not code or (stat not in SIZE_STATISTICS and not FRACTION_RE.fullmatch(stat)):
                raise forms.ValidationError(_("write code=statistic, e.g. modal_size=mode"))
            out[code] = stat
        return out


class PotencyAssayForm(forms.Form):
    product = forms.ModelChoiceField(Product.objects.all(), label=_("product"))
    name = forms.CharField(label=_("name"), max_length=200)
    mechanism = forms.CharField(label=_("mode of action measured"), widget=forms.Textarea(attrs={"rows": 2}))
    # Linked to the product by this code (JSRM-3-R4); the text says it in the assay's own words.
    indication_code = forms.ChoiceField(
        label=_("indication (coded)"), choices=lambda: [("", "---------"), *indication_choices()]
    )
    indication = forms.CharField(label=_("indication it extrapolates to"), max_length=300)
    readout = forms.CharField(label=_("readout"), max_length=200, required=False)
    reference_lot = forms.ModelChoiceField(Lot.objects.filter(status="released"), label=_("reference lot"))
    model = forms.ChoiceField(label=_("dose-response model"), choices=POTENCY_MODELS, initial="LL4")
    dose_unit = forms.CharField(label=_("dose unit"), max_length=40, required=False)
    acceptance_low = forms.DecimalField(label=_("relative potency low (%)"), initial=70)
    acceptance_high = forms.DecimalField(label=_("relative potency high (%)"), initial=130)
    # checked against the product's specification when the assay is saved (field error)
    qc_attribute_code = forms.CharField(
        label=_("QC attribute filled (code)"),
        initial="potency_relative",
        help_text=_("the code of the product's specification attribute for relative potency (%)"),
    )


class PotencyRunForm(forms.Form):
    test_lot = forms.ModelChoiceField(Lot.objects.none(), label=_("test lot"))
    file = forms.FileField(label=_("plate CSV (reference and test curves, one row per well)"))
    dose_column = forms.CharField(label=_("dose column"), initial="dose")
    response_column = forms.CharField(label=_("response column"), initial="response")
    curve_column = forms.CharField(label=_("curve column"), initial="curve")
    reference_label = forms.CharField(
        label=_("reference curve name"), required=False, help_text=_("empty: the reference lot number or REF")
    )
    test_label = forms.CharField(
        label=_("test curve name"),
        required=False,
        help_text=_("empty: the test lot number or the other curve"),
    )
    tested_at = forms.DateTimeField(
        label=_("tested at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    record_qc = forms.BooleanField(
        label=_("record the relative potency as the lot's QC result"), required=False
    )

    def __init__(self, *args, assay=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assay is not None:
            self.fields["test_lot"].queryset = Lot.objects.filter(product=assay.product).exclude(
                pk=assay.reference_lot_id
            )

    def clean_file(self):
        return _read(self.cleaned_data["file"])


class StabilityStudyForm(forms.Form):
    product = forms.ModelChoiceField(Product.objects.all(), label=_("product"))
    name = forms.CharField(label=_("name"), max_length=200)
    attribute_code = forms.SlugField(label=_("attribute (code)"))
    attribute_name = forms.CharField(label=_("attribute"), required=False)
    unit = forms.CharField(label=_("unit"), required=False)
    condition = forms.CharField(label=_("storage condition"))
    lower = forms.DecimalField(label=_("lower limit"), required=False)
    upper = forms.DecimalField(label=_("upper limit"), required=False)
    lots = forms.ModelMultipleChoiceField(Lot.objects.all(), label=_("batches"))


class StabilityResultForm(forms.Form):
    lot = forms.ModelChoiceField(Lot.objects.none(), label=_("batch"))
    time_months = forms.DecimalField(label=_("time (months)"), min_value=0)
    value = forms.DecimalField(label=_("value"))

    def __init__(self, *args, study=None, **kwargs):
        super().__init__(*args, **kwargs)
        if study is not None:
            self.fields["lot"].queryset = study.lots.all()


class BiodistributionForm(forms.Form):
    product = forms.ModelChoiceField(Product.objects.all(), label=_("product"))
    title = forms.CharField(label=_("title"), max_length=200)
    species = forms.CharField(label=_("animal model"))
    route = forms.CharField(label=_("route"))
    label_method = forms.CharField(label=_("label / detection method"))
    second_method = forms.CharField(label=_("confirming second method"), required=False)
    target = forms.CharField(label=_("target cells / tissue / organ"))
    time_points = forms.CharField(label=_("time points"))
    fraction_in_target_pct = forms.DecimalField(label=_("fraction of dose in target (%)"))
    threshold_pct = forms.DecimalField(label=_("threshold set (%)"))
    summary = forms.CharField(label=_("summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DoseResponseForm(forms.Form):
    product = forms.ModelChoiceField(Product.objects.all(), label=_("product"))
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=DoseResponseStudy.KINDS)
    unit = forms.CharField(label=_("dose unit"))
    dose_low = forms.DecimalField(label=_("lowest dose tested"))
    dose_high = forms.DecimalField(label=_("highest dose tested"))
    effective_low = forms.DecimalField(label=_("effective dose from"), required=False)
    effective_high = forms.DecimalField(label=_("effective dose to"), required=False)
    safe_high = forms.DecimalField(label=_("highest safe dose"), required=False)
    summary = forms.CharField(label=_("summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
