"""Lots from cell bank to filled product: materials used, step records, QC results, deviations.

A QC result is never overwritten: it is invalidated with a reason, and a retest is a new
result linked to the one it repeats. Each result keeps a frozen copy of the limits it was
judged against, so a later specification version cannot change an old verdict.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evqms.core.identifiers import unique_ignoring_case
from evqms.dossier.models import (
    CellBank,
    MaterialLot,
    ProcessDefinition,
    ProcessParameter,
    ProcessStep,
    Product,
    SpecAttribute,
    Specification,
)

LOT_STATUSES = [
    ("in_process", _("In process")),
    ("qc", _("In QC")),
    ("quarantine", _("Quarantine")),
    ("released", _("Released")),
    ("rejected", _("Rejected")),
    ("expired", _("Expired")),
    ("recalled", _("Recalled")),
]


class Lot(models.Model):
    number = models.CharField(_("lot number"), max_length=60, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    process = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="lots")
    specification = models.ForeignKey(Specification, on_delete=models.PROTECT, related_name="lots")
    cell_bank = models.ForeignKey(CellBank, on_delete=models.PROTECT, related_name="lots")
    status = models.CharField(
        _("status"), max_length=20, choices=LOT_STATUSES, default="in_process", db_index=True
    )
    manufactured_on = models.DateField(_("manufactured on"))
    expiry = models.DateField(_("expiry"), null=True, blank=True)
    volume_ml = models.DecimalField(_("volume (mL)"), max_digits=12, decimal_places=3, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-manufactured_on", "-id"]
        indexes = [
            models.Index(fields=["product", "status"], name="lot_product_status_idx"),
            # the lot list's order: without it every page sorts all lots (46 ms -> 0.2 ms at 100,000 lots)
            models.Index(fields=["-manufactured_on", "-id"], name="lot_list_order_idx"),
        ]
        constraints = [unique_ignoring_case("lot", name="lot_number_ci_uniq")]

    def __str__(self):
        return self.number


class MaterialUsage(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="material_usages")
    material_lot = models.ForeignKey(MaterialLot, on_delete=models.PROTECT, related_name="usages")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=30)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["material_lot", "lot"], name="usage_material_lot_idx")]

    def __str__(self):
        return f"{self.lot} uses {self.material_lot}"


class StepRecord(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="step_records")
    step = models.ForeignKey(ProcessStep, on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    notes = models.TextField(_("notes"), blank=True)
    recorded_at = models.DateTimeField()
    # Where and with what the step was done (optional: records made before the register name none).
    room = models.ForeignKey(
        "equipment.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="step_records"
    )
    instruments = models.ManyToManyField("equipment.Instrument", blank=True, related_name="step_records")

    class Meta:
        ordering = ["lot", "step__order", "id"]

    def __str__(self):
        return f"{self.lot} step {self.step}"


class Deviation(models.Model):
    """A departure from what was approved: opened by hand or by the service that finds it (a step out
    of range, an OOS result, a material outside the process, an environmental result at action
    level, an instrument past its calibration, a storage excursion). It names every lot and material
    lot it may affect; `lot` is the lot it was opened on, if any (numbered DEV-<lot>-NN)."""

    SOURCES = [
        ("parameter", _("Process parameter out of range")),
        ("oos", _("Out-of-specification result")),
        ("material", _("Material outside the process definition")),
        ("manual", _("Reported")),
        ("environment", _("Environmental monitoring at action level")),
        ("equipment", _("Equipment past its calibration or maintenance")),
        ("storage", _("Storage temperature excursion")),
    ]
    STATUSES = [("open", _("Open")), ("closed", _("Closed"))]
    CLASSIFICATIONS = [
        ("", _("Not classified")),
        ("minor", _("Minor")),
        ("major", _("Major")),
        ("critical", _("Critical")),
    ]
    ROOT_CAUSES = [
        ("", _("Not investigated")),
        ("personnel", _("Personnel")),
        ("method", _("Method")),
        ("material", _("Material")),
        ("machine", _("Machine / equipment")),
        ("environment", _("Environment")),
        ("measurement", _("Measurement")),
        ("unknown", _("Unknown")),
    ]
    lot = models.ForeignKey(
        Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="deviations_opened"
    )
    affected_lots = models.ManyToManyField(Lot, blank=True, related_name="deviations")
    affected_material_lots = models.ManyToManyField(MaterialLot, blank=True, related_name="deviations")
    affected_equipment = models.TextField(_("equipment concerned"), blank=True)
    number = models.CharField(_("deviation number"), max_length=40, unique=True)
    source = models.CharField(_("source"), max_length=20, choices=SOURCES)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default="open")
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    classification = models.CharField(
        _("classification"), max_length=10, choices=CLASSIFICATIONS, blank=True, default=""
    )
    classification_rule = models.TextField(_("rule that proposed the classification"), blank=True)
    classification_reason = models.TextField(_("reason for the classification"), blank=True)
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    classified_at = models.DateTimeField(null=True, blank=True)
    root_cause_category = models.CharField(
        _("root cause category"), max_length=20, choices=ROOT_CAUSES, blank=True, default=""
    )
    investigation = models.TextField(_("investigation"), blank=True)
    investigated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    investigated_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("resolution / CAPA"), blank=True)
    close_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    qc_result = models.ForeignKey(
        "QCResult", null=True, blank=True, on_delete=models.PROTECT, related_name="deviations"
    )  # the OOS result that opened it

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [unique_ignoring_case("deviation", name="deviation_number_ci_uniq")]
        indexes = [models.Index(fields=["status", "opened_at"], name="deviation_status_idx")]

    def __str__(self):
        return self.number


class DeviationImpact(models.Model):
    """QA's assessment of what a deviation means for one lot it names."""

    ASSESSMENTS = [
        ("no_impact", _("No impact")),
        ("reject", _("Impact on quality: reject")),
        ("rework", _("Impact on quality: rework")),
        ("further_testing", _("Requires further testing")),
    ]
    deviation = models.ForeignKey(Deviation, on_delete=models.PROTECT, related_name="impacts")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="deviation_impacts")
    assessment = models.CharField(_("impact"), max_length=20, choices=ASSESSMENTS)
    reasoning = models.TextField(_("reasoning"))
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["deviation", "lot__number"]
        constraints = [
            models.UniqueConstraint(fields=["deviation", "lot"], name="deviation_impact_one_per_lot")
        ]

    def __str__(self):
        return f"{self.deviation.number} / {self.lot.number}: {self.assessment}"


class ParameterValue(models.Model):
    step_record = models.ForeignKey(StepRecord, on_delete=models.PROTECT, related_name="values")
    parameter = models.ForeignKey(ProcessParameter, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    in_range = models.BooleanField(_("in range"))
    deviation = models.ForeignKey(
        Deviation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return f"{self.parameter.name} = {self.value} {self.unit}"


class QCResult(models.Model):
    VERDICTS = [("pass", _("Pass")), ("alert", _("Pass (beyond alert limit)")), ("fail", _("Fail (OOS)"))]
    # "invalid_run": a sterility, endotoxin or mycoplasma run whose positive or negative control failed
    # (lots/services/microbiology.py); stored, never supports release, retested.
    STATUSES = [("valid", _("Valid")), ("invalidated", _("Invalidated")), ("invalid_run", _("Invalid run"))]
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="qc_results")
    attribute = models.ForeignKey(SpecAttribute, on_delete=models.PROTECT, related_name="results")
    CENSORS = [("", _("measured")), ("<", _("below the limit (<)")), (">", _("above the limit (>)"))]
    # A censored result ("< 0.05", "> 1000") keeps its sign here and its bound in the value columns:
    # the laboratory knows only that the value lies below or above the bound (core/censored.py).
    censor = models.CharField(_("censored"), max_length=1, choices=CENSORS, blank=True, default="")
    value = models.DecimalField(
        _("value as entered"), max_digits=30, decimal_places=10, null=True, blank=True
    )
    unit = models.CharField(_("unit as entered"), max_length=40, blank=True)
    value_in_spec_unit = models.DecimalField(
        _("value in the specification's unit"), max_digits=30, decimal_places=10, null=True, blank=True
    )
    reported_value = models.DecimalField(
        _("reported value (rounded, compared with the limits)"),
        max_digits=30,
        decimal_places=10,
        null=True,
        blank=True,
    )
    text_value = models.CharField(_("qualitative result"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=200)
    limits = models.JSONField(_("limits judged against (frozen)"))
    verdict = models.CharField(_("verdict"), max_length=10, choices=VERDICTS)
    status = models.CharField(_("status"), max_length=20, choices=STATUSES, default="valid", db_index=True)
    invalidation_reason = models.TextField(_("invalidation reason"), blank=True)
    retest_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="retests"
    )
    analyst = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tested_at = models.DateTimeField(_("tested at"))
    recorded_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    raw_file = models.FileField(_("raw instrument file"), upload_to="raw/%Y/", blank=True)
    raw_file_name = models.CharField(max_length=255, blank=True)
    raw_file_sha256 = models.CharField(max_length=64, blank=True)
    derived = models.JSONField(_("figures derived from the raw file"), default=dict, blank=True)
    instrument = models.ForeignKey(
        "equipment.Instrument", null=True, blank=True, on_delete=models.PROTECT, related_name="qc_results"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["lot", "attribute__order", "recorded_at"]
        indexes = [models.Index(fields=["lot", "attribute", "status"], name="qc_lot_attr_status_idx")]
        constraints = [
            # A censored result has a bound: "<" with no number would say nothing.
            models.CheckConstraint(
                condition=models.Q(censor="") | models.Q(censor__in=["<", ">"], value__isnull=False),
                name="qcresult_censor_has_bound",
            )
        ]

    def __str__(self):
        shown = self.text_value or f"{self.censor}{self.value} {self.unit}"
        return f"{self.lot} {self.attribute.code} = {shown}"


class LotHold(models.Model):
    """A lot on hold because of a recall (source RC-...) or a QA hold upstream of it (source HD-...).

    The record lives here, next to the lot, because the release gate, inventory and clinical must all
    refuse a held lot and may not import the trace app that places and lifts holds. A hold is active
    until `released_at` is set; a lot may carry several at once (each is lifted on its own).
    """

    SOURCE_KINDS = [("recall", _("Recall")), ("hold", _("Hold"))]
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="holds")
    source_kind = models.CharField(_("source"), max_length=10, choices=SOURCE_KINDS)
    source = models.CharField(_("recall or hold number"), max_length=40)
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), blank=True)

    class Meta:
        ordering = ["lot", "placed_at", "id"]
        verbose_name = _("lot hold")
        indexes = [models.Index(fields=["lot", "released_at"], name="lothold_lot_active_idx")]
        constraints = [models.UniqueConstraint(fields=["lot", "source"], name="lothold_one_per_source")]

    def __str__(self):
        return f"{self.lot_id} {self.source}"

    @property
    def active(self) -> bool:
        return self.released_at is None


MICROBIOLOGY_TESTS = [
    ("sterility", _("Sterility")),
    ("endotoxin", _("Endotoxin")),
    ("mycoplasma", _("Mycoplasma")),
]


class MethodSuitability(models.Model):
    """The method shown suitable for one product: the product does not interfere with detection
    (sterility: JP 4.06 / Ph. Eur. 2.6.1 method suitability test; endotoxin: JP 4.01 / Ph. Eur. 2.6.14
    test for interfering factors, spike recovery 50-200 %; mycoplasma: Ph. Eur. 2.6.7 NAT or culture
    suitability / specificity). Recorded by QC with its report kept (sha256), approved by QA with a
    signature; a sterility, endotoxin or mycoplasma result supports release only under an approved,
    suitable record for its product, test and method."""

    OUTCOMES = [("suitable", _("Suitable")), ("not_suitable", _("Not suitable"))]
    STATUSES = [("pending", _("Awaiting QA approval")), ("approved", _("Approved"))]
    number = models.CharField(_("number"), max_length=40, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="method_suitabilities")
    test_type = models.CharField(_("test"), max_length=20, choices=MICROBIOLOGY_TESTS)
    method = models.CharField(_("method"), max_length=200)
    method_version = models.CharField(_("method version (SOP and version)"), max_length=100, blank=True)
    performed_on = models.DateField(_("performed on"))
    analyst = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=OUTCOMES)
    spike_recovery_pct = models.DecimalField(
        _("spike recovery (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    report = models.FileField(_("report"), upload_to="suitability/%Y/", blank=True)
    report_name = models.CharField(max_length=255, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=STATUSES, default="pending", db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["product", "test_type", "-performed_on", "-id"]
        verbose_name = _("method suitability")
        indexes = [
            models.Index(fields=["product", "test_type", "status"], name="suitability_product_test_idx")
        ]

    def __str__(self):
        return self.number


class QCRunControls(models.Model):
    """The positive and negative controls of the run a sterility, endotoxin or mycoplasma result came
    from. The run is valid when the positive control was detected (endotoxin: the positive product
    control recovered 50-200 % of its spike) and the negative control was not; otherwise its result
    is stored with the status "invalid run" and `invalid_reason` says why."""

    result = models.OneToOneField(QCResult, on_delete=models.PROTECT, related_name="run_controls")
    test_type = models.CharField(_("test"), max_length=20, choices=MICROBIOLOGY_TESTS)
    positive_detected = models.BooleanField(_("positive control detected"), null=True, blank=True)
    positive_recovery_pct = models.DecimalField(
        _("positive product control recovery (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    negative_detected = models.BooleanField(_("negative control detected"))
    valid = models.BooleanField(_("controls valid"))
    invalid_reason = models.TextField(_("why the run is invalid"), blank=True)
    suitability = models.ForeignKey(
        MethodSuitability, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the approved record in force when the result was entered, if any

    def __str__(self):
        return f"{self.result_id}: {'valid' if self.valid else 'invalid'}"


class QCColumnMapping(models.Model):
    """How the headers of an instrument's or a template's export name the QC import's columns: a
    saved mapping is chosen on the upload form and applied to the file's header row before it is
    read, so a file need not be edited to import it."""

    name = models.CharField(_("name"), max_length=100)
    instrument = models.ForeignKey(
        "equipment.Instrument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qc_column_mappings",
        verbose_name=_("instrument"),
    )
    # {header as written in the file: the import's column (lot, attribute, value, ...)}
    columns = models.JSONField(_("columns"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="qc_column_mapping_name_unique")]

    def __str__(self):
        return self.name
