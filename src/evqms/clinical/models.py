"""Clinical records: pseudonymised patients, consent, administrations, adverse events, outcomes
(instruments, baseline and follow-up evaluations, visits) and safety reports with their clocks.

No name or identifying number is stored: a patient is a clinic-held code plus an HMAC-SHA256
of the clinic's own identifier (key in EVQMS_HOME/patient_key), so the same person registered
twice is recognised without the database ever holding who they are.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evqms.core.identifiers import unique_ignoring_case
from evqms.dossier.models import ROUTES

CTCAE_GRADES = [
    (1, _("Grade 1 (mild)")),
    (2, _("Grade 2 (moderate)")),
    (3, _("Grade 3 (severe)")),
    (4, _("Grade 4 (life-threatening)")),
    (5, _("Grade 5 (death)")),
]
CAUSALITY = [
    ("unrelated", _("Unrelated")),
    ("unlikely", _("Unlikely")),
    ("possible", _("Possible")),
    ("probable", _("Probable")),
    ("definite", _("Definite")),
]
OUTCOMES = [
    ("recovered", _("Recovered")),
    ("recovering", _("Recovering")),
    ("not_recovered", _("Not recovered")),
    ("sequelae", _("Recovered with sequelae")),
    ("fatal", _("Fatal")),
    ("unknown", _("Unknown")),
]

# ICH E2A / E2B(R3) seriousness criteria; an event is serious when it meets any of them.
SERIOUSNESS_CRITERIA = [
    ("death", _("Results in death")),
    ("life_threatening", _("Life-threatening")),
    ("hospitalisation", _("Requires or prolongs hospitalisation")),
    ("disability", _("Persistent or significant disability or incapacity")),
    ("congenital_anomaly", _("Congenital anomaly or birth defect")),
    ("other_important", _("Other medically important condition")),
]
# Criteria that start the shorter reporting clock (EVQMS_SAE_DAYS_FATAL).
FATAL_CRITERIA = frozenset({"death", "life_threatening"})
EXPECTEDNESS = [
    ("expected", _("Expected")),
    ("unexpected", _("Unexpected")),
    ("unknown", _("Not yet assessed")),
]


class Patient(models.Model):
    code = models.CharField(_("patient code"), max_length=40, unique=True)
    identity_hash = models.CharField(_("keyed hash of the clinic identifier"), max_length=64, unique=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    sex = models.CharField(
        _("sex"),
        max_length=10,
        blank=True,
        choices=[("female", _("Female")), ("male", _("Male")), ("other", _("Other"))],
    )
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("patient")
        constraints = [unique_ignoring_case("patient", name="patient_code_ci_uniq")]

    def __str__(self):
        return self.code


class Consent(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    consented_on = models.DateField(_("consent date"))
    scope = models.TextField(_("scope"), blank=True)
    document = models.ForeignKey(
        "dossier.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["patient", "-consented_on"]

    def __str__(self):
        return f"{self.patient} consent {self.consented_on}"


class Administration(models.Model):
    number = models.CharField(_("administration number"), max_length=40, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="administrations")
    physician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    administered_at = models.DateTimeField(_("administered at"))
    route = models.CharField(_("route"), max_length=30, choices=ROUTES)
    site = models.CharField(_("site"), max_length=200, blank=True)
    dose_particles = models.DecimalField(
        _("dose (particles)"), max_digits=30, decimal_places=0, null=True, blank=True
    )
    dose_protein_ug = models.DecimalField(
        _("dose (protein µg)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    body_weight_kg = models.DecimalField(
        _("body weight (kg)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    dose_particles_per_kg = models.DecimalField(max_digits=30, decimal_places=0, null=True, blank=True)
    dose_protein_ug_per_kg = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    aliquots = models.ManyToManyField(
        "inventory.Aliquot", through="AdministeredAliquot", related_name="administrations"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-administered_at", "-id"]
        verbose_name = _("administration")
        indexes = [models.Index(fields=["administered_at", "id"], name="adm_time_idx")]
        constraints = [unique_ignoring_case("administration", name="adm_number_ci_uniq")]

    def __str__(self):
        return self.number


class AdministeredAliquot(models.Model):
    """Which aliquot(s) one administration used; an aliquot is administered once (unique)."""

    # Served by admaliquot_adm_idx (administration first, covering the aliquot too).
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="used", db_index=False
    )
    aliquot = models.OneToOneField("inventory.Aliquot", on_delete=models.PROTECT, related_name="used_in")

    class Meta:
        indexes = [models.Index(fields=["administration", "aliquot"], name="admaliquot_adm_idx")]

    def __str__(self):
        return f"{self.administration_id}: {self.aliquot_id}"


class AdverseEvent(models.Model):
    number = models.CharField(_("adverse event number"), max_length=40, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="adverse_events"
    )
    onset = models.DateTimeField(_("onset"))
    description = models.TextField(_("description"))
    ctcae_grade = models.PositiveSmallIntegerField(
        _("CTCAE grade"), choices=CTCAE_GRADES, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    # Columns added later carry database defaults too, so rows written outside the ORM (bulk loads)
    # stay valid.
    ctcae_term = models.CharField(_("CTCAE term"), max_length=200, blank=True, db_default="")
    # `serious` is kept equal to "any seriousness criterion" by the services (adverse_events.py);
    # `seriousness` keeps the free-text detail (before the criteria were coded it was the only record).
    serious = models.BooleanField(_("serious"), default=False)
    seriousness_criteria = models.JSONField(
        _("seriousness criteria"), default=list, db_default=[], blank=True
    )
    seriousness = models.CharField(_("seriousness detail"), max_length=200, blank=True)
    learned_on = models.DateField(_("clinic learnt of it on"), null=True, blank=True)
    expectedness = models.CharField(
        _("expectedness"), max_length=20, choices=EXPECTEDNESS, default="unknown", db_default="unknown"
    )
    causality = models.CharField(_("causality"), max_length=20, choices=CAUSALITY)
    outcome = models.CharField(_("outcome"), max_length=20, choices=OUTCOMES, default="unknown")
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)
    investigation = models.TextField(_("investigation"), blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-onset", "-id"]
        verbose_name = _("adverse event")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ctcae_grade__gte=1) & models.Q(ctcae_grade__lte=5),
                name="ae_ctcae_grade_1_5",
            ),
            unique_ignoring_case("adverse_event", name="ae_number_ci_uniq"),
        ]

    def __str__(self):
        return self.number


class RetainedSampleTest(models.Model):
    """A test of a retained sample made to investigate an adverse event (e.g. sterility, endotoxin)."""

    adverse_event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="sample_tests")
    retention_sample = models.ForeignKey(
        "inventory.RetentionSample", on_delete=models.PROTECT, related_name="investigation_tests"
    )
    test = models.CharField(_("test"), max_length=200)
    result = models.CharField(_("result"), max_length=200)
    conclusion = models.TextField(_("conclusion"), blank=True)
    tested_on = models.DateField(_("tested on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["adverse_event", "tested_on", "id"]

    def __str__(self):
        return f"{self.test}: {self.result}"


# --- Outcomes: instruments as data, baseline and follow-up evaluations --------------------------

DIRECTIONS = [
    ("higher_better", _("Higher is better")),
    ("lower_better", _("Lower is better")),
]
SCORE_RULES = [
    ("single", _("The one item's value")),
    ("sum", _("Sum of the items")),
    ("mean", _("Mean of the items")),
]
EVALUATION_KINDS = [("baseline", _("Baseline")), ("follow_up", _("Follow-up"))]
VISIT_STATUSES = [("scheduled", _("Scheduled")), ("done", _("Done")), ("missed", _("Missed"))]


def instrument_needs_baseline(definition) -> bool:
    """An instrument needs a baseline unless its definition says `baseline: false`: one that rates
    the change itself (a global impression of change) has nothing to compare with."""
    return not (isinstance(definition, dict) and definition.get("baseline") is False)


def instrument_responder_threshold(definition) -> float | None:
    """For an instrument without a baseline: the rating at or beyond which a patient responds."""
    value = definition.get("responder_threshold") if isinstance(definition, dict) else None
    try:
        return None if value in (None, "") or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None  # a stored definition that says nothing usable: no responders are counted


class OutcomeInstrument(models.Model):
    """An outcome measure as data (loaded from clinical/instruments/*.yaml or a site's own file).

    `definition` keeps the whole bilingual definition as loaded (items, anchors, texts); the columns
    repeat what queries and the scoring need. A changed definition is a new version: evaluations keep
    pointing at the version they were scored with.
    """

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    scale_min = models.DecimalField(_("scale minimum"), max_digits=10, decimal_places=3)
    scale_max = models.DecimalField(_("scale maximum"), max_digits=10, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    score_rule = models.CharField(_("score rule"), max_length=20, choices=SCORE_RULES, default="single")
    direction = models.CharField(_("direction of benefit"), max_length=20, choices=DIRECTIONS)
    minimal_important_difference = models.DecimalField(
        _("minimal important difference"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    # A licensed instrument (e.g. KOOS) ships as a placeholder without its text; a site enables it
    # by naming its own licence on the product's use of it.
    licensed = models.BooleanField(_("needs a site licence"), default=False)
    licence_note_en = models.TextField(_("licence note (English)"), blank=True)
    licence_note_ja = models.TextField(_("licence note (Japanese)"), blank=True)
    definition = models.JSONField(_("definition as loaded"))
    definition_hash = models.CharField(max_length=64)
    source = models.CharField(_("source file"), max_length=200, blank=True)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("outcome instrument")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version_uniq"),
            models.CheckConstraint(
                condition=models.Q(scale_min__lt=models.F("scale_max")), name="instrument_scale"
            ),
        ]

    def __str__(self):
        return f"{self.code} v{self.version}"

    @property
    def needs_baseline(self) -> bool:
        return instrument_needs_baseline(self.definition)


class InstrumentUse(models.Model):
    """A product measures its outcome with an instrument (for one indication, or any when blank),
    with the follow-up schedule counted from the administration."""

    product = models.ForeignKey("dossier.Product", on_delete=models.PROTECT, related_name="instrument_uses")
    instrument = models.ForeignKey(OutcomeInstrument, on_delete=models.PROTECT, related_name="uses")
    indication_code = models.CharField(_("indication (coded)"), max_length=40, blank=True)
    follow_up_months = models.JSONField(_("follow-up months"), default=list)
    window_days = models.PositiveSmallIntegerField(_("visit window (± days)"), default=14)
    licence_reference = models.CharField(_("site licence"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    enabled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    enabled_at = models.DateTimeField()
    disabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "instrument", "indication_code"]
        verbose_name = _("instrument use")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "instrument", "indication_code"],
                condition=models.Q(active=True),
                name="instrument_use_active_uniq",
            )
        ]

    def __str__(self):
        return f"{self.product_id}: {self.instrument}"


class Evaluation(models.Model):
    """One scoring of an instrument for a patient: the baseline before an administration, or a
    follow-up at a scheduled visit. Item values as entered; the score by the instrument's rule."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="evaluations")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="evaluations")
    instrument_use = models.ForeignKey(InstrumentUse, on_delete=models.PROTECT, related_name="evaluations")
    instrument = models.ForeignKey(OutcomeInstrument, on_delete=models.PROTECT, related_name="evaluations")
    kind = models.CharField(_("kind"), max_length=20, choices=EVALUATION_KINDS)
    evaluated_at = models.DateTimeField(_("evaluated at"))
    values = models.JSONField(_("item values"))
    score = models.DecimalField(_("score"), max_digits=12, decimal_places=3)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["administration", "instrument", "evaluated_at", "id"]
        verbose_name = _("evaluation")
        constraints = [
            models.UniqueConstraint(
                fields=["administration", "instrument_use"],
                condition=models.Q(kind="baseline"),
                name="evaluation_one_baseline",
            )
        ]

    def __str__(self):
        return f"{self.administration_id} {self.instrument} {self.kind} {self.score}"


class FollowUpVisit(models.Model):
    """A visit due `month` months after the administration, within ± the window, for one instrument
    use: planned from the baseline, or from the administration itself for an instrument that rates
    the change (no baseline). Done when its evaluation is recorded; missed only when someone records
    why."""

    baseline = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    instrument_use = models.ForeignKey(InstrumentUse, on_delete=models.PROTECT, related_name="visits")
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="visits")
    month = models.PositiveSmallIntegerField(_("month"))
    due_on = models.DateField(_("due on"))
    window_start = models.DateField(_("window opens"))
    window_end = models.DateField(_("window closes"))
    status = models.CharField(_("status"), max_length=20, choices=VISIT_STATUSES, default="scheduled")
    evaluation = models.OneToOneField(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_visit"
    )
    missed_reason = models.TextField(_("reason missed"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up visit")
        indexes = [models.Index(fields=["status", "window_end"], name="visit_status_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["administration", "instrument_use", "month"], name="visit_use_month_uniq"
            ),
            models.CheckConstraint(
                condition=(models.Q(status="scheduled") & models.Q(evaluation__isnull=True))
                | (models.Q(status="done") & models.Q(evaluation__isnull=False))
                | (
                    models.Q(status="missed")
                    & models.Q(evaluation__isnull=True)
                    & ~models.Q(missed_reason="")
                ),
                name="visit_status_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.administration_id} M{self.month}"


# --- Safety: seriousness, follow-up information, reports and their clocks ------------------------

REPORT_KINDS = [("initial", _("Initial")), ("follow_up", _("Follow-up")), ("periodic", _("Periodic"))]


class AdverseEventFollowUp(models.Model):
    """New information on an adverse event after it was recorded (dated; never overwrites)."""

    adverse_event = models.ForeignKey("AdverseEvent", on_delete=models.PROTECT, related_name="follow_ups")
    learned_on = models.DateField(_("learnt on"))
    information = models.TextField(_("information"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=OUTCOMES, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["adverse_event", "learned_on", "id"]
        verbose_name = _("adverse event follow-up")

    def __str__(self):
        return f"{self.adverse_event_id} {self.learned_on}"


class SafetyReport(models.Model):
    """A report of a serious adverse event (initial, follow-up) or of a product's period (periodic)
    to the authority, with its clock: due by its criteria from the day the clinic learnt of the
    event; late when submitted after that day. `case` freezes the ICSR fields at submission (what the
    physician signed)."""

    number = models.CharField(_("report number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=REPORT_KINDS)
    adverse_event = models.ForeignKey(
        "AdverseEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="safety_reports"
    )
    product = models.ForeignKey(
        "dossier.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="safety_reports"
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    clock_start = models.DateField(_("clock starts"))
    due_on = models.DateField(_("due on"))
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    submitted_to = models.CharField(_("submitted to"), max_length=200, blank=True)
    authority_reference = models.CharField(_("authority's reference"), max_length=100, blank=True)
    submission_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission_recorded_at = models.DateTimeField(null=True, blank=True)
    signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    late = models.BooleanField(_("late"), default=False)
    late_reason = models.TextField(_("reason for lateness"), blank=True)
    case = models.JSONField(_("case as submitted"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("safety report")
        indexes = [models.Index(fields=["submitted_on", "due_on"], name="safety_report_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="periodic") & models.Q(product__isnull=False))
                | (~models.Q(kind="periodic") & models.Q(adverse_event__isnull=False)),
                name="safety_report_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(submitted_on__isnull=True) | models.Q(signature__isnull=False),
                name="safety_report_submission_signed",
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("clock_start")), name="safety_report_due"
            ),
        ]

    def __str__(self):
        return self.number


class EvidenceReport(models.Model):
    """The product's evidence summary as issued: the yearly report of one year, generated and kept
    as a record (its file's SHA-256), so the compliance engine can tell when it was last issued."""

    number = models.CharField(_("evidence report number"), max_length=40, unique=True)
    product = models.ForeignKey("dossier.Product", on_delete=models.PROTECT, related_name="evidence_reports")
    year = models.PositiveSmallIntegerField(_("year"))
    language = models.CharField(_("language"), max_length=5)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("evidence report")
        indexes = [models.Index(fields=["product", "issued_at"], name="evidence_report_product_idx")]

    def __str__(self):
        return self.number
