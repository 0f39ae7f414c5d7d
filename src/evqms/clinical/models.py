"""Clinical records: pseudonymised patients, consent, administrations and adverse events.

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
    serious = models.BooleanField(_("serious"), default=False)
    seriousness = models.CharField(_("seriousness criterion"), max_length=200, blank=True)
    causality = models.CharField(_("causality"), max_length=20, choices=CAUSALITY)
    outcome = models.CharField(_("outcome"), max_length=20, choices=OUTCOMES, default="unknown")
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
