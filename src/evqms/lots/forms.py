"""Forms of the lot pages: they only parse what a person typed; the services judge it.

A service refuses bad input with `InputError(where=...)`; the page shows the message on the field
the `where` names (`evqms.core.views`), with `field_for` translating the step form's own names
("values[12].unit" -> field "p12_unit"), so the person sees it beside what they typed.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from evqms.core.uploads import validate_upload_size
from evqms.core.views import field_for_where
from evqms.dossier.models import CellBank, MaterialLot, ProcessDefinition, Product, Specification
from evqms.lots.models import MICROBIOLOGY_TESTS, MethodSuitability
from evqms.lots.selectors.microbiology import test_type_of

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _datetime_field(label):
    return forms.DateTimeField(label=label, input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.product.code} v{obj.version}"


class CellBankChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.kind} {obj.code} (P{obj.passage})"


class LotCreateForm(forms.Form):
    number = forms.CharField(label=_("Lot number"), max_length=60)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all())
    process = VersionChoiceField(
        label=_("Process version"),
        queryset=ProcessDefinition.objects.filter(status="approved").select_related("product"),
    )
    specification = VersionChoiceField(
        label=_("Specification version"),
        queryset=Specification.objects.filter(status="approved").select_related("product"),
    )
    cell_bank = CellBankChoiceField(
        label=_("Cell bank"), queryset=CellBank.objects.filter(status="available").order_by("code")
    )
    manufactured_on = forms.DateField(label=_("Manufactured on"), widget=DateInput())
    expiry = forms.DateField(label=_("Expiry"), required=False, widget=DateInput())
    volume_ml = forms.DecimalField(label=_("Volume (mL)"), required=False, max_digits=12, decimal_places=3)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MaterialLotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        origin = obj.animal_species or _("animal-component-free")
        return f"{obj.material.name} — {obj.lot_number} ({origin})"


class MaterialUsageForm(forms.Form):
    material_lot = MaterialLotChoiceField(
        label=_("Material lot"),
        queryset=MaterialLot.objects.filter(acceptance_status="accepted").select_related("material"),
    )
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=4)
    unit = forms.CharField(label=_("Unit"), max_length=30)


class StepRecordForm(forms.Form):
    """One process step: times, notes and one value (with its unit) per parameter of the step."""

    started_at = _datetime_field(_("Started at"))
    finished_at = _datetime_field(_("Finished at"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 1}))
    # By identifier, as on the instrument's label; the page offers the register as a datalist.
    room = forms.CharField(
        label=_("Room"), required=False, max_length=40, widget=forms.TextInput(attrs={"list": "room-options"})
    )
    instruments = forms.CharField(
        label=_("Instruments used (identifiers, comma-separated)"),
        required=False,
        max_length=400,
        widget=forms.TextInput(attrs={"list": "instrument-options"}),
    )

    def __init__(self, *args, step, **kwargs):
        prefix = kwargs.pop("prefix", None) or f"step{step.pk}"
        super().__init__(*args, prefix=prefix, **kwargs)
        self.step = step
        self.parameters = list(step.parameters.all())
        for p in self.parameters:
            self.fields[f"p{p.pk}"] = forms.CharField(label=p.name, max_length=40)
            self.fields[f"p{p.pk}_unit"] = forms.CharField(
                label=_("Unit"), max_length=40, required=False, initial=p.unit
            )

    def parameter_rows(self):
        return [(p, self[f"p{p.pk}"], self[f"p{p.pk}_unit"]) for p in self.parameters]

    def values(self) -> dict:
        data = self.cleaned_data
        return {p.pk: (data[f"p{p.pk}"], data.get(f"p{p.pk}_unit") or p.unit) for p in self.parameters}


_DETECTED = [("", "—"), ("detected", _("detected")), ("not detected", _("not detected"))]


class QCResultForm(forms.Form):
    """A QC result for one attribute (quantitative value + unit, or a qualitative result)."""

    value = forms.CharField(
        label=_("Value"),
        max_length=60,
        required=False,
        help_text=_("below or above the limit of quantification: <0.05, >1000"),
    )
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    text_value = forms.CharField(label=_("Result"), max_length=100, required=False)
    method = forms.CharField(label=_("Method"), max_length=200, required=False)
    tested_at = _datetime_field(_("Tested at"))
    instrument = forms.CharField(
        label=_("Instrument (identifier)"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"list": "instrument-options"}),
    )
    raw_file = forms.FileField(
        label=_("Raw instrument file"), required=False, validators=[validate_upload_size]
    )  # EVQMS_UPLOAD_LIMIT_MB
    # The run's controls: sterility, endotoxin and mycoplasma only (removed for other attributes).
    positive_control = forms.ChoiceField(label=_("Positive control"), choices=_DETECTED, required=False)
    positive_recovery = forms.CharField(
        label=_("Positive product control recovery (%)"),
        max_length=20,
        required=False,
        help_text=_("valid 50-200 %"),
    )
    negative_control = forms.ChoiceField(label=_("Negative control"), choices=_DETECTED, required=False)

    def __init__(self, *args, attribute, **kwargs):
        prefix = kwargs.pop("prefix", None) or f"a{attribute.pk}"
        super().__init__(*args, prefix=prefix, **kwargs)
        self.attribute = attribute
        self.fields["method"].initial = attribute.method
        if attribute.kind == "qualitative":
            del self.fields["value"], self.fields["unit"]
            choices = [(c, c) for c in attribute.choices or []]
            if choices:
                self.fields["text_value"] = forms.ChoiceField(
                    label=_("Result"), choices=[("", "—"), *choices], required=False
                )
        else:
            del self.fields["text_value"]
            self.fields["unit"].initial = attribute.unit
        test_type = test_type_of(attribute)
        if test_type is None:
            del (
                self.fields["positive_control"],
                self.fields["positive_recovery"],
                self.fields["negative_control"],
            )
        elif test_type == "endotoxin":
            del self.fields["positive_control"]
        else:
            del self.fields["positive_recovery"]

    def controls(self) -> dict | None:
        """The run controls entered, for the service (None: the attribute takes none)."""
        keys = [k for k in ("positive_control", "positive_recovery", "negative_control") if k in self.fields]
        return {k: self.cleaned_data.get(k) or "" for k in keys} or None


class QCGridRowForm(QCResultForm):
    """One row of the QC entry grid: the single entry form's fields and parsing, without the raw
    file (a result with an instrument file is recorded on its own, or imported). Its moment tested
    may be left empty to take the grid's."""

    def __init__(self, *args, attribute, **kwargs):
        super().__init__(*args, attribute=attribute, prefix=f"g{attribute.pk}", **kwargs)
        del self.fields["raw_file"]

    # What a person types into a row; the unit and method come filled in and count as nothing.
    TYPED = (
        "value",
        "text_value",
        "tested_at",
        "instrument",
        "positive_control",
        "positive_recovery",
        "negative_control",
    )

    def is_blank(self) -> bool:
        """A row left empty is skipped, not refused."""
        return not any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.TYPED)


class QCGridForm(forms.Form):
    """What every row of the grid shares: when the tests were done (a row's own time overrides it)."""

    tested_at = forms.DateTimeField(
        label=_("Tested at (rows without their own)"),
        input_formats=DATETIME_FORMATS,
        widget=DateTimeLocalInput(),
        required=False,
    )


class VerifySignForm(forms.Form):
    """The one signature over a selection of QC results: the password again."""

    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DeviationForm(forms.Form):
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ExpiryForm(forms.Form):
    expiry = forms.DateField(label=_("Expiry"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class SignForm(forms.Form):
    """Release or rejection: the password again, and a reason."""

    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


_PARAMETER = re.compile(r"\bvalues\[(\d+)\](\.unit)?")


def field_for(form: forms.Form, where: str | None) -> str | None:
    """The field a service's `where` names: the step service calls a parameter's value and unit
    `values[N]` and `values[N].unit`, which the step form shows as `pN` and `pN_unit`."""
    parameter = _PARAMETER.search(where or "")
    if parameter:
        name = f"p{parameter.group(1)}" + ("_unit" if parameter.group(2) else "")
        return name if name in form.fields else None
    return field_for_where(form, where)


class MethodSuitabilityForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.order_by("code"))
    test_type = forms.ChoiceField(label=_("Test"), choices=MICROBIOLOGY_TESTS)
    method = forms.CharField(
        label=_("Method"),
        max_length=200,
        widget=forms.TextInput(attrs={"list": "method-options"}),
        help_text=_("as the specification names it: results by this method are covered"),
    )
    method_version = forms.CharField(
        label=_("Method version (SOP and version)"), max_length=100, required=False
    )
    performed_on = forms.DateField(label=_("Performed on"), widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=MethodSuitability.OUTCOMES)
    spike_recovery = forms.CharField(
        label=_("Spike recovery (%)"),
        max_length=20,
        required=False,
        help_text=_("endotoxin (test for interfering factors): suitable only with 50-200 %"),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    report = forms.FileField(
        label=_("Suitability report"),
        required=False,
        validators=[validate_upload_size],
        help_text=_("kept unchanged with its sha256"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.order_by("code")


class QCImportForm(forms.Form):
    """The upload of a QC results file (CSV or Excel) and the saved column mapping to read it with."""

    file = forms.FileField(
        label=_("Results file (.csv or .xlsx)"),
        validators=[validate_upload_size],
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,.tsv,.xlsm"}),
    )
    mapping = forms.ModelChoiceField(
        label=_("Column mapping"),
        required=False,
        empty_label=_("none: the file's headers name the columns"),
        queryset=None,
    )

    def __init__(self, *args, **kwargs):
        from evqms.lots.models import QCColumnMapping

        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = QCColumnMapping.objects.select_related("instrument")
        self.fields["mapping"].label_from_instance = lambda m: (
            f"{m.name} ({m.instrument.identifier})" if m.instrument_id else m.name
        )


class QCColumnMappingForm(forms.Form):
    """A saved mapping: for each import column, the header a file writes for it (empty: the
    column's own name or an accepted alias is read)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    instrument = forms.CharField(
        label=_("Instrument (identifier, optional)"),
        required=False,
        widget=forms.TextInput(attrs={"list": "instrument-options"}),
    )

    def __init__(self, *args, **kwargs):
        from evqms.lots.qc_columns import COLUMNS

        super().__init__(*args, **kwargs)
        for column in COLUMNS:
            self.fields[f"col_{column}"] = forms.CharField(
                label=_("File header for {column}").format(column=column), required=False, max_length=200
            )

    @classmethod
    def initial_for(cls, mapping) -> dict:
        initial = {
            "name": mapping.name,
            "instrument": mapping.instrument.identifier if mapping.instrument_id else "",
        }
        for header, column in mapping.columns.items():
            initial[f"col_{column}"] = header
        return initial

    def headers(self) -> dict[str, str]:
        """{import column: the header the file writes for it}, for the mapping services."""
        from evqms.lots.qc_columns import COLUMNS

        return {column: self.cleaned_data.get(f"col_{column}") or "" for column in COLUMNS}


def mapping_field_for(form, where: str | None) -> str | None:
    """The mapping service names a column ("lot"); the form's field for it is "col_lot"."""
    if where and f"col_{where}" in form.fields:
        return f"col_{where}"
    return field_for_where(form, where)
