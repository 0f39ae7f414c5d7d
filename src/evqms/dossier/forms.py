"""Forms of the dossier pages: they check the shape of the input only; the services decide.

Numbers are taken as text so the service reads them (1e9, 0.5) and names the field when wrong.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from evqms.core.uploads import validate_upload_size
from evqms.dossier import models as m

DATE = forms.DateInput(attrs={"type": "date"})


class ProductForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40, help_text=_("lower-case letters, digits, - and _"))
    name = forms.CharField(label=_("name"), max_length=200)
    ev_type = forms.ChoiceField(label=_("EV type"), choices=m.EV_TYPES)
    source_cell_type = forms.ChoiceField(label=_("source cell type"), choices=m.SOURCE_CELL_TYPES)
    origin = forms.ChoiceField(label=_("autologous or allogeneic"), choices=m.ORIGINS)
    # The coded indication links potency assays and studies to the product; the text is its detail.
    indication_code = forms.ChoiceField(
        label=_("indication (coded)"), choices=lambda: [("", "---------"), *m.indication_choices()]
    )
    indications = forms.CharField(
        label=_("indications"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("one per line; detail such as stage or severity"),
    )
    routes = forms.MultipleChoiceField(
        label=_("routes"), choices=m.ROUTES, widget=forms.CheckboxSelectMultiple
    )
    dose_unit = forms.CharField(
        label=_("dose unit"), max_length=40, initial="particles", help_text=_("e.g. particles, ug (protein)")
    )
    responsible_physician = forms.ModelChoiceField(
        label=_("responsible physician"), required=False, queryset=get_user_model().objects.none()
    )
    retention_sample_required = forms.BooleanField(
        label=_("retention sample required for release"),
        required=False,
        initial=True,
        help_text=_("a lot is released only with a retention sample in stock"),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_physician"].queryset = (
            get_user_model().objects.filter(groups__name="physician", is_active=True).order_by("username")
        )
        self.fields["responsible_physician"].label_from_instance = lambda u: u.signature_name()
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False


class DonorForm(forms.Form):
    code = forms.CharField(
        label=_("donor code"), max_length=40, help_text=_("a pseudonymised code, never a name")
    )
    consent_on = forms.DateField(label=_("consent date"), required=False, widget=DATE)
    eligibility_notes = forms.CharField(
        label=_("eligibility notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _reason_field():
    return forms.CharField(
        label=_("reason for the change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("kept in the audit trail with the values before and after"),
    )


class DonorEditForm(forms.Form):
    """Corrections of a donor: the code stays, eligibility has its own page."""

    code = forms.CharField(label=_("donor code"), required=False, disabled=True)
    consent_on = forms.DateField(label=_("consent date"), required=False, widget=DATE)
    consent_document = forms.ModelChoiceField(
        label=_("consent form document"),
        required=False,
        queryset=m.Document.objects.filter(kind="consent").order_by("code", "-version"),
    )
    reason = _reason_field()


class DonorTestForm(forms.Form):
    marker = forms.ModelChoiceField(label=_("marker"), queryset=m.InfectiousMarker.objects.order_by("code"))
    result = forms.ChoiceField(label=_("result"), choices=m.DonorTestResult.RESULTS)
    tested_on = forms.DateField(label=_("tested on"), widget=DATE)
    method = forms.CharField(label=_("method"), required=False, max_length=100)


class EligibilityForm(forms.Form):
    eligibility = forms.ChoiceField(label=_("eligibility"), choices=m.Donor.ELIGIBILITY)
    notes = forms.CharField(
        label=_("eligibility notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CellBankForm(forms.Form):
    code = forms.CharField(label=_("cell bank code"), max_length=40)
    kind = forms.ChoiceField(label=_("kind"), choices=m.CellBank.KINDS)
    donor = forms.ModelChoiceField(
        label=_("donor"), required=False, queryset=m.Donor.objects.order_by("code")
    )
    parent = forms.ModelChoiceField(
        label=_("parent bank"), required=False, queryset=m.CellBank.objects.order_by("code")
    )
    passage = forms.IntegerField(label=_("passage"), min_value=0)
    frozen_on = forms.DateField(label=_("frozen on"), required=False, widget=DATE)
    vials = forms.IntegerField(label=_("vials"), min_value=0, initial=0)
    location = forms.CharField(label=_("storage location"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("status"), choices=m.CellBank.STATUSES, initial="quarantine")


class MaterialForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    supplier = forms.CharField(label=_("supplier"), max_length=200)
    catalogue_number = forms.CharField(label=_("catalogue number"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=m.Material.KINDS)
    used_in_culture = forms.BooleanField(label=_("used in cell culture"), required=False, initial=True)


class CellBankEditForm(CellBankForm):
    """Corrections of a cell bank: the code stays; the service re-checks the lineage."""

    reason = _reason_field()

    def __init__(self, *args, bank: m.CellBank, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].disabled = True
        self.fields["code"].required = False
        # a bank cannot descend from itself (the service also refuses longer cycles)
        self.fields["parent"].queryset = m.CellBank.objects.exclude(pk=bank.pk).order_by("code")

    @staticmethod
    def initial_from(bank: m.CellBank) -> dict:
        return {
            f: getattr(bank, f)
            for f in (
                "code",
                "kind",
                "donor",
                "parent",
                "passage",
                "frozen_on",
                "vials",
                "location",
                "status",
            )
        }


class MaterialEditForm(MaterialForm):
    """Corrections of a material. Once lots were received, the fields the service keeps fixed are
    shown disabled (the service refuses a change anyway)."""

    reason = _reason_field()

    def __init__(self, *args, fixed: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        for name in fixed:
            self.fields[name].disabled = True
            self.fields[name].required = False  # shown as recorded, not asked for
            self.fields[name].help_text = _("fixed: lots of this material were received")

    @staticmethod
    def initial_from(material: m.Material) -> dict:
        return {
            f: getattr(material, f)
            for f in ("name", "supplier", "catalogue_number", "kind", "used_in_culture")
        }


class MaterialLotForm(forms.Form):
    material = forms.ModelChoiceField(label=_("material"), queryset=m.Material.objects.order_by("name"))
    lot_number = forms.CharField(label=_("lot number"), max_length=100)
    received_on = forms.DateField(label=_("received on"), widget=DATE)
    expiry = forms.DateField(label=_("expiry"), widget=DATE)
    grade = forms.ChoiceField(label=_("grade"), choices=m.MaterialLot.GRADES)
    animal_species = forms.CharField(
        label=_("animal species"),
        required=False,
        max_length=100,
        help_text=_("empty = no animal-derived component"),
    )
    animal_tissue = forms.CharField(label=_("animal tissue"), required=False, max_length=100)
    animal_origin_justification = forms.CharField(
        label=_("justification / BSE-TSE compliance"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_biological = forms.BooleanField(
        label=_("biological raw material"),
        required=False,
        help_text=_("human or animal origin: a retention sample is expected"),
    )
    coa_document = forms.ModelChoiceField(
        label=_("certificate of analysis"),
        required=False,
        queryset=m.Document.objects.filter(kind="coa").order_by("code", "-version"),
    )


class MaterialLotEditForm(forms.Form):
    """A received lot's correctable fields (services.MATERIAL_LOT_EDITABLE) and the reason."""

    expiry = forms.DateField(label=_("expiry"), widget=DATE)
    coa_document = MaterialLotForm.base_fields["coa_document"]
    animal_origin_justification = MaterialLotForm.base_fields["animal_origin_justification"]
    reason = forms.CharField(
        label=_("reason for the change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("kept in the audit trail with the values before and after"),
    )

    @staticmethod
    def initial_from(lot: m.MaterialLot) -> dict:
        return {
            "expiry": lot.expiry,
            "coa_document": lot.coa_document,
            "animal_origin_justification": lot.animal_origin_justification,
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"), choices=[("accepted", _("Accept")), ("rejected", _("Reject"))]
    )
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(forms.Form):
    code = forms.CharField(
        label=_("document code"), max_length=60, help_text=_("an existing code gets a new version")
    )
    title = forms.CharField(label=_("title"), max_length=300)
    kind = forms.ChoiceField(label=_("kind"), choices=m.Document.KINDS)
    file = forms.FileField(label=_("file"), validators=[validate_upload_size])  # EVQMS_UPLOAD_LIMIT_MB


class SignForm(forms.Form):
    password = forms.CharField(
        label=_("password"), widget=forms.PasswordInput(attrs={"autocomplete": "off"}), strip=False
    )
    reason = forms.CharField(label=_("comment"), required=False, max_length=500)


class VersionForm(forms.Form):
    description = forms.CharField(
        label=_("description / change summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProcessMaterialsForm(forms.Form):
    xeno_free = forms.BooleanField(label=_("xeno-free (no animal-derived components)"), required=False)
    materials = forms.ModelMultipleChoiceField(
        label=_("bill of materials"),
        required=False,
        queryset=m.Material.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("the materials this version may use; a material lot outside it opens a deviation"),
    )


class ShelfLifeForm(forms.Form):
    shelf_life_months = forms.CharField(
        label=_("shelf life (months)"), required=False, help_text=_("whole months; empty = none approved")
    )
    shelf_life_basis = forms.CharField(
        label=_("basis of the shelf life"),
        required=False,
        max_length=300,
        help_text=_("e.g. the stability study and its ICH Q1E estimate"),
    )


class TemplateForm(forms.Form):
    max_dose_ml_per_kg = forms.CharField(
        label=_("maximum dose (mL/kg)"),
        required=False,
        help_text=_("M of the endotoxin limit K/M; empty = the 0.5 EU/mL default to configure"),
    )


class StepForm(forms.Form):
    order = forms.IntegerField(label=_("order"), min_value=1, required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=m.ProcessStep.KINDS)
    name = forms.CharField(label=_("name"), max_length=200)
    method = forms.CharField(label=_("method"), required=False, max_length=200)
    aseptic = forms.BooleanField(label=_("aseptic step"), required=False)
    sop = forms.CharField(
        label=_("SOP (document code)"),
        required=False,
        max_length=60,
        help_text=_("the operator must be trained on its current version; empty = not gated"),
    )


class ParameterForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    unit = forms.CharField(label=_("unit"), required=False, max_length=40)
    low = forms.CharField(label=_("low"), required=False)
    high = forms.CharField(label=_("high"), required=False)
    critical = forms.BooleanField(label=_("critical process parameter"), required=False)
    in_process_control = forms.BooleanField(label=_("in-process control"), required=False)


class AttributeForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=60)
    name = forms.CharField(label=_("name"), max_length=200)
    method = forms.CharField(label=_("method"), max_length=200)
    method_sop = forms.CharField(
        label=_("method document (code)"),
        required=False,
        max_length=60,
        help_text=_("the analyst must be trained on its current version; empty = not gated"),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=m.SpecAttribute.KINDS)
    stage = forms.ChoiceField(label=_("stage"), choices=m.SpecAttribute.STAGES, initial="release")
    is_cqa = forms.BooleanField(label=_("CQA"), required=False)
    unit = forms.CharField(
        label=_("unit"), required=False, max_length=40, help_text=_("e.g. particles/mL, nm, EU/mL, ug/mL, %")
    )
    lower = forms.CharField(label=_("lower limit"), required=False)
    lower_inclusive = forms.BooleanField(label=_("lower limit inclusive (≥)"), required=False, initial=True)
    upper = forms.CharField(label=_("upper limit"), required=False)
    upper_inclusive = forms.BooleanField(label=_("upper limit inclusive (≤)"), required=False, initial=True)
    alert_lower = forms.CharField(label=_("alert lower"), required=False)
    alert_upper = forms.CharField(label=_("alert upper"), required=False)
    decimal_places = forms.CharField(label=_("decimal places"), required=False)
    choices = forms.CharField(label=_("possible values"), required=False, help_text=_("separated by commas"))
    acceptable = forms.CharField(
        label=_("acceptable values"), required=False, help_text=_("separated by commas")
    )
    guidance_items = forms.CharField(
        label=_("guidance items"), required=False, help_text=_("e.g. JSRM-3-R1, SPEC-END-1")
    )
    source = forms.CharField(label=_("source of the default"), required=False, max_length=300)

    @staticmethod
    def initial_from(attribute: m.SpecAttribute) -> dict:
        data = {
            f: getattr(attribute, f)
            for f in (
                "code",
                "name",
                "method",
                "method_sop",
                "kind",
                "stage",
                "is_cqa",
                "unit",
                "lower_inclusive",
                "upper_inclusive",
                "source",
            )
        }
        for f in ("lower", "upper", "alert_lower", "alert_upper"):
            value = getattr(attribute, f)
            data[f] = "" if value is None else format(value.normalize(), "f" if abs(value) < 10**7 else "e")
        data["decimal_places"] = "" if attribute.decimal_places is None else str(attribute.decimal_places)
        for f in ("choices", "acceptable", "guidance_items"):
            data[f] = ", ".join(getattr(attribute, f) or [])
        return data
