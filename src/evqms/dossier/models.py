"""The product dossier: product, donors, cell banks, materials, documents, process and specifications.

Versioned records (process definitions, specifications, documents) are never edited once
approved: a change is a new version; lots keep the versions they were made and tested with.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evqms.core.identifiers import unique_ignoring_case
from evqms.core.views import page_language
from evqms.guidance import vocabulary


def _vocabulary_choices(name: str) -> list[tuple[str, str]]:
    """(code, label) of a controlled vocabulary, labelled in the page's language."""
    lang = page_language()
    return [(t.code, t.label[lang]) for t in vocabulary.terms(name)]


# Callables (not lists) so the vocabulary files stay the one home of the codes: a new term
# needs no migration. Module-level functions, because migrations refer to them by name.
def indication_choices():
    return _vocabulary_choices("indication")


def test_category_choices():
    return _vocabulary_choices("test_category")


def marker_choices():
    return _vocabulary_choices("marker")


EV_TYPES = [("natural", _("Natural EVs")), ("engineered", _("Engineered EVs"))]
SOURCE_CELL_TYPES = [
    ("uc_msc", _("Umbilical-cord MSC")),
    ("ad_msc", _("Adipose-derived MSC")),
    ("bm_msc", _("Bone-marrow MSC")),
    ("dp_msc", _("Dental-pulp stem cells")),
    ("ipsc_derived", _("iPSC-derived cells")),
    ("immortalised", _("Immortalised cell line")),
    ("platelet", _("Platelets / plasma")),
    ("other", _("Other")),
]
ORIGINS = [("autologous", _("Autologous")), ("allogeneic", _("Allogeneic"))]
# The route code list (guidance/vocab/routes.yaml); labels translate through the catalogue.
ROUTES = [(t.code, _(t.label["en"])) for t in vocabulary.terms("route")]  # noqa: INT001
RECORD_STATUSES = [("draft", _("Draft")), ("approved", _("Approved")), ("superseded", _("Superseded"))]


class Product(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    ev_type = models.CharField(_("EV type"), max_length=20, choices=EV_TYPES, default="natural")
    source_cell_type = models.CharField(_("source cell type"), max_length=20, choices=SOURCE_CELL_TYPES)
    origin = models.CharField(_("autologous or allogeneic"), max_length=20, choices=ORIGINS)
    indication_code = models.CharField(
        _("indication (coded)"), max_length=40, blank=True, choices=indication_choices
    )
    indications = models.TextField(
        _("indications"), help_text=_("one per line; detail such as stage or severity")
    )
    routes = models.JSONField(_("routes"), default=list, help_text=_("route codes"))
    dose_unit = models.CharField(
        _("dose unit"), max_length=40, default="particles", help_text=_("e.g. particles, ug (protein)")
    )
    responsible_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible physician"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reference_lot = models.ForeignKey(
        "lots.Lot",
        verbose_name=_("reference lot (potency)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The guidance recommends keeping a sample of each administered lot to investigate adverse
    # events; the release gate asks for one when this is set (the default for every product).
    retention_sample_required = models.BooleanField(
        _("retention sample required for release"),
        default=True,
        help_text=_("a lot is released only with a retention sample in stock"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        constraints = [unique_ignoring_case("product", name="product_code_ci_uniq")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Document(models.Model):
    """A controlled document (SOP, CoA, report) kept unchanged with its sha256; new content = new version."""

    KINDS = [
        ("sop", _("SOP")),
        ("coa", _("Certificate of analysis")),
        ("report", _("Report")),
        ("consent", _("Consent form")),
        ("other", _("Other")),
    ]
    code = models.CharField(_("document code"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    file = models.FileField(_("file"), upload_to="documents/%Y/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=20, choices=RECORD_STATUSES, default="draft")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="document_code_version_uniq")]

    def __str__(self):
        return f"{self.code} v{self.version}"


class InfectiousMarker(models.Model):
    """The donor test panel (configurable): HBV, HCV, HIV, HTLV-1, syphilis, parvovirus B19 ..."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Donor(models.Model):
    """A pseudonymised donor: a code only, never a name."""

    ELIGIBILITY = [("pending", _("Pending")), ("eligible", _("Eligible")), ("ineligible", _("Ineligible"))]
    code = models.CharField(_("donor code"), max_length=40, unique=True)
    consent_on = models.DateField(_("consent date"), null=True, blank=True)
    consent_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    eligibility = models.CharField(_("eligibility"), max_length=20, choices=ELIGIBILITY, default="pending")
    eligibility_notes = models.TextField(_("eligibility notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [unique_ignoring_case("donor", name="donor_code_ci_uniq")]

    def __str__(self):
        return self.code


class DonorTestResult(models.Model):
    RESULTS = [
        ("negative", _("Negative")),
        ("positive", _("Positive")),
        ("indeterminate", _("Indeterminate")),
    ]
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="test_results")
    marker = models.ForeignKey(InfectiousMarker, on_delete=models.PROTECT)
    result = models.CharField(_("result"), max_length=20, choices=RESULTS)
    method = models.CharField(_("method"), max_length=100, blank=True)
    tested_on = models.DateField(_("tested on"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["donor", "marker", "tested_on"], name="donor_marker_date_uniq")
        ]

    def __str__(self):
        return f"{self.donor} {self.marker}: {self.result}"


class CellBank(models.Model):
    """A master or working cell bank; its parent is a donor (MCB) or another bank (WCB from MCB)."""

    KINDS = [("MCB", _("Master cell bank")), ("WCB", _("Working cell bank")), ("other", _("Other bank"))]
    STATUSES = [
        ("quarantine", _("Quarantine")),
        ("available", _("Available")),
        ("rejected", _("Rejected")),
        ("exhausted", _("Exhausted")),
    ]
    code = models.CharField(_("cell bank code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=KINDS)
    donor = models.ForeignKey(
        Donor, null=True, blank=True, on_delete=models.PROTECT, related_name="cell_banks"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    passage = models.PositiveIntegerField(_("passage"))
    frozen_on = models.DateField(_("frozen on"), null=True, blank=True)
    vials = models.PositiveIntegerField(_("vials"), default=0)
    location = models.CharField(_("storage location"), max_length=200, blank=True)
    characterisation = models.JSONField(
        _("characterisation results"),
        default=list,
        blank=True,
        help_text=_("list of {test, result, method, date}"),
    )
    status = models.CharField(_("status"), max_length=20, choices=STATUSES, default="quarantine")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(donor__isnull=False) | models.Q(parent__isnull=False),
                name="cellbank_has_donor_or_parent",
            ),
            unique_ignoring_case("cell_bank", name="cellbank_code_ci_uniq"),
        ]

    def __str__(self):
        return f"{self.kind} {self.code}"


class Material(models.Model):
    # The material-kind code list (guidance/vocab/material_kinds.yaml).
    KINDS = [(t.code, _(t.label["en"])) for t in vocabulary.terms("material_kind")]  # noqa: INT001
    name = models.CharField(_("name"), max_length=200)
    supplier = models.CharField(_("supplier"), max_length=200)
    catalogue_number = models.CharField(_("catalogue number"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=KINDS)
    used_in_culture = models.BooleanField(_("used in cell culture"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "catalogue_number"], name="material_catalogue_uniq")
        ]

    def __str__(self):
        return f"{self.name} ({self.supplier} {self.catalogue_number})"


class MaterialLot(models.Model):
    """A received lot of a material. Animal origin is declared per lot (the name proves nothing)."""

    STATUSES = [("quarantine", _("Quarantine")), ("accepted", _("Accepted")), ("rejected", _("Rejected"))]
    GRADES = [
        ("gmp", _("GMP")),
        ("clinical", _("Clinical grade")),
        ("research", _("Research use only")),
        ("other", _("Other")),
    ]
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(_("lot number"), max_length=100)
    expiry = models.DateField(_("expiry"))
    received_on = models.DateField(_("received on"))
    coa_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    animal_species = models.CharField(
        _("animal species"), max_length=100, blank=True, help_text=_("empty = no animal-derived component")
    )
    animal_tissue = models.CharField(_("animal tissue"), max_length=100, blank=True)
    animal_origin_justification = models.TextField(_("justification / BSE-TSE compliance"), blank=True)
    justified_process_versions = models.JSONField(
        _("process versions the justification covers"),
        default=list,
        blank=True,
        help_text=_("the justification covers use in these process versions only"),
    )
    grade = models.CharField(_("grade"), max_length=20, choices=GRADES)
    is_biological = models.BooleanField(
        _("biological raw material"),
        default=False,
        help_text=_("human or animal origin: a retention sample is expected"),
    )
    acceptance_status = models.CharField(
        _("acceptance"), max_length=20, choices=STATUSES, default="quarantine"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["material__name", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["material", "lot_number"], name="materiallot_uniq"),
            unique_ignoring_case("material_lot", name="materiallot_number_ci_uniq"),
        ]

    def __str__(self):
        return f"{self.material.name} lot {self.lot_number}"

    @property
    def animal_component_free(self) -> bool:
        return not self.animal_species.strip()


class ProcessDefinition(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="processes")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=RECORD_STATUSES, default="draft")
    description = models.TextField(_("description / change summary"), blank=True)
    # Declared with the version and signed with its approval: a material lot used outside the bill,
    # or of animal origin on a xeno-free version, opens a deviation when it is recorded.
    xeno_free = models.BooleanField(_("xeno-free (no animal-derived components)"), default=False)
    bill_of_materials = models.ManyToManyField(
        "Material",
        verbose_name=_("bill of materials"),
        blank=True,
        related_name="processes",
        help_text=_(
            "the materials this version may use; empty = not declared (versions made before the bill)"
        ),
    )
    # The approved change request a version after the first is made under (change control).
    change_request = models.ForeignKey(
        "changes.ChangeRequest",
        verbose_name=_("change request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="process_versions",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "version"]
        constraints = [models.UniqueConstraint(fields=["product", "version"], name="process_version_uniq")]

    def __str__(self):
        return f"{self.product.code} process v{self.version}"


class ProcessStep(models.Model):
    KINDS = [
        ("culture", _("Culture")),
        ("harvest", _("Harvest")),
        ("clarification", _("Clarification")),
        ("purification", _("Purification")),
        ("concentration", _("Concentration")),
        ("sterile_filtration", _("Sterile filtration")),
        ("fill", _("Fill")),
        ("freeze", _("Freeze")),
        ("storage", _("Storage")),
        ("other", _("Other")),
    ]
    process = models.ForeignKey(ProcessDefinition, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=30, choices=KINDS)
    name = models.CharField(_("name"), max_length=200)
    method = models.CharField(
        _("method"),
        max_length=200,
        blank=True,
        help_text=_("e.g. ultracentrifugation, TFF, SEC, precipitation"),
    )
    # Declared with the version and signed with its approval: the operator who records a step with
    # an SOP must be trained on its current version, and on an aseptic step also hold a valid media fill.
    aseptic = models.BooleanField(
        _("aseptic step"),
        default=False,
        help_text=_("open aseptic manipulation (e.g. sterile filtration, fill)"),
    )
    sop = models.CharField(
        _("SOP (document code)"),
        max_length=60,
        blank=True,
        help_text=_("the operator must be trained on its current version; empty = not gated"),
    )

    class Meta:
        ordering = ["process", "order"]
        constraints = [models.UniqueConstraint(fields=["process", "order"], name="step_order_uniq")]

    def __str__(self):
        return f"{self.order}. {self.name}"


class ProcessParameter(models.Model):
    """A process parameter with its range; critical ones (CPPs) and in-process controls are flagged."""

    step = models.ForeignKey(ProcessStep, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    low = models.DecimalField(_("low"), max_digits=20, decimal_places=6, null=True, blank=True)
    high = models.DecimalField(_("high"), max_digits=20, decimal_places=6, null=True, blank=True)
    critical = models.BooleanField(_("critical process parameter"), default=False)
    in_process_control = models.BooleanField(_("in-process control"), default=False)

    class Meta:
        ordering = ["step", "id"]

    def __str__(self):
        return f"{self.name} [{self.low}–{self.high} {self.unit}]"


class Specification(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="specifications")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=RECORD_STATUSES, default="draft")
    description = models.TextField(_("description / change summary"), blank=True)
    # The shelf life approved with this version (whole months, conventionally rounded down from the
    # ICH Q1E estimate) and what supports it; a lot's expiry may not exceed manufacture + it.
    shelf_life_months = models.PositiveSmallIntegerField(_("shelf life (months)"), null=True, blank=True)
    shelf_life_basis = models.CharField(
        _("basis of the shelf life"),
        max_length=300,
        blank=True,
        help_text=_("e.g. the stability study and its ICH Q1E estimate"),
    )
    change_request = models.ForeignKey(
        "changes.ChangeRequest",
        verbose_name=_("change request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="specification_versions",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="specification_version_uniq")
        ]

    def __str__(self):
        return f"{self.product.code} specification v{self.version}"


class SpecAttribute(models.Model):
    """One tested attribute with its acceptance criterion.

    Quantitative: lower/upper bounds, each inclusive or exclusive, optional alert limits (inside the
    acceptance range: a result beyond an alert limit passes but is flagged), and the number of
    decimal places a result is rounded to before comparison. Qualitative: the acceptable values
    among the possible ones.
    """

    STAGES = [("in_process", _("In-process")), ("release", _("Release")), ("stability", _("Stability"))]
    KINDS = [("quantitative", _("Quantitative")), ("qualitative", _("Qualitative"))]
    specification = models.ForeignKey(Specification, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    method = models.CharField(_("method"), max_length=200)
    # The controlled document of the method: the analyst must be trained on its current version.
    method_sop = models.CharField(
        _("method document (code)"),
        max_length=60,
        blank=True,
        help_text=_("the analyst must be trained on its current version; empty = not gated"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    category = models.CharField(_("test category"), max_length=40, blank=True, choices=test_category_choices)
    marker = models.CharField(_("EV marker"), max_length=40, blank=True, choices=marker_choices)
    stage = models.CharField(_("stage"), max_length=20, choices=STAGES, default="release")
    is_cqa = models.BooleanField(_("CQA"), default=False)
    lower = models.DecimalField(_("lower limit"), max_digits=30, decimal_places=10, null=True, blank=True)
    lower_inclusive = models.BooleanField(_("lower limit inclusive (≥)"), default=True)
    upper = models.DecimalField(_("upper limit"), max_digits=30, decimal_places=10, null=True, blank=True)
    upper_inclusive = models.BooleanField(_("upper limit inclusive (≤)"), default=True)
    alert_lower = models.DecimalField(
        _("alert lower"), max_digits=30, decimal_places=10, null=True, blank=True
    )
    alert_upper = models.DecimalField(
        _("alert upper"), max_digits=30, decimal_places=10, null=True, blank=True
    )
    decimal_places = models.PositiveSmallIntegerField(_("decimal places"), null=True, blank=True)
    choices = models.JSONField(_("possible values"), default=list, blank=True)
    acceptable = models.JSONField(_("acceptable values"), default=list, blank=True)
    guidance_items = models.JSONField(_("guidance items"), default=list, blank=True)
    source = models.CharField(_("source of the default"), max_length=300, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["specification", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["specification", "code"], name="spec_attribute_code_uniq")
        ]

    def __str__(self):
        return f"{self.code} ({self.specification})"
