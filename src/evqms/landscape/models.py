"""The landscape monitor in the database: dated ingests of trial records, manual overrides,
PubMed count series and clinic-survey runs. Every count keeps its query, source and date.

Snapshots are never edited: a new retrieval is a new row (Ingest, PubmedSeries, ClinicSurveyRun),
so a report "as of" a date reads the rows dated on or before it. Ingests, their records and the
overrides are append-only in the database too (triggers, migration 0002).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

CATEGORY_CHOICES = [
    ("therapeutic", gettext_lazy("therapeutic")),
    ("biomarker", gettext_lazy("biomarker")),
    ("unrelated", gettext_lazy("unrelated")),
]
DECISION_CHOICES = [
    ("included", gettext_lazy("included")),
    ("excluded", gettext_lazy("excluded")),
    ("not_confirmed", gettext_lazy("not confirmed")),
]


class Ingest(models.Model):
    """One dated snapshot of trial records from one source (saved files or the online API)."""

    key = models.CharField(gettext_lazy("ingest id"), max_length=120, unique=True)
    as_of = models.DateField(gettext_lazy("as of"), db_index=True)
    ingested_at = models.DateTimeField(gettext_lazy("ingested at"))
    source = models.CharField(gettext_lazy("source"), max_length=300)
    query = models.TextField(gettext_lazy("query"), blank=True, default="")
    raw_sha256 = models.CharField(gettext_lazy("sha256 of the raw inputs"), max_length=64)
    raw_path = models.CharField(gettext_lazy("folder of the kept originals"), max_length=500)
    inputs = models.JSONField(default=list)  # [{name, stored, sha256, bytes}]
    problems = models.JSONField(default=list)
    record_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["as_of", "ingested_at", "key"]
        verbose_name = gettext_lazy("trial ingest")

    def __str__(self):
        return self.key


class TrialRecord(models.Model):
    """A trial as it was at one ingest (normalised fields for queries; `data` is the whole record)."""

    ingest = models.ForeignKey(Ingest, on_delete=models.PROTECT, related_name="records")
    nct_id = models.CharField(max_length=11, db_index=True)
    brief_title = models.TextField(blank=True, default="")
    official_title = models.TextField(blank=True, default="")
    acronym = models.CharField(max_length=200, blank=True, default="")
    overall_status = models.CharField(max_length=60, blank=True, default="")
    study_type = models.CharField(max_length=60, blank=True, default="")
    phases = models.JSONField(default=list)
    phase_bucket = models.CharField(max_length=20, db_index=True)
    conditions = models.JSONField(default=list)
    start_date = models.CharField(max_length=10, blank=True, default="")  # "2021" to "2021-03-15"
    completion_date = models.CharField(max_length=10, blank=True, default="")
    sponsor = models.CharField(max_length=300, blank=True, default="")
    countries = models.JSONField(default=list)
    enrollment = models.IntegerField(null=True, blank=True)
    version_date = models.CharField(max_length=10, blank=True, default="")
    data = models.JSONField()

    class Meta:
        ordering = ["ingest_id", "nct_id"]
        constraints = [
            models.UniqueConstraint(fields=["ingest", "nct_id"], name="landscape_one_record_per_ingest")
        ]

    def __str__(self):
        return f"{self.nct_id} @ {self.ingest.key}"


class TrialOverride(models.Model):
    """A person's decision on a trial's category, with the reason; append-only. The latest one
    per trial whose `effective_from` is on or before a report's date applies."""

    nct_id = models.CharField(max_length=11, db_index=True)
    category = models.CharField(gettext_lazy("category"), max_length=20, choices=CATEGORY_CHOICES)
    reason = models.TextField(gettext_lazy("reason"))
    effective_from = models.DateField(gettext_lazy("applies from"))
    recorded_at = models.DateTimeField(gettext_lazy("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    who = models.CharField(gettext_lazy("who"), max_length=200)  # the printed name at the time

    class Meta:
        ordering = ["nct_id", "recorded_at", "id"]

    def __str__(self):
        return f"{self.nct_id} -> {self.category}"


class PubmedSeries(models.Model):
    """PubMed records per publication year for one query, as retrieved on one date."""

    name = models.CharField(gettext_lazy("series"), max_length=40)  # "seed", "broad" or "custom"
    query = models.TextField(gettext_lazy("query"))
    source = models.CharField(gettext_lazy("source"), max_length=300)
    retrieved_on = models.DateField(gettext_lazy("retrieved on"), db_index=True)
    year_from = models.PositiveIntegerField()
    year_to = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name", "retrieved_on", "id"]

    def __str__(self):
        return f"{self.name} {self.retrieved_on}"


class PubmedCount(models.Model):
    series = models.ForeignKey(PubmedSeries, on_delete=models.PROTECT, related_name="counts")
    year = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    retrieved_on = models.DateField()
    url = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["series_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="landscape_one_count_per_year")
        ]

    def __str__(self):
        return f"{self.year}: {self.count}"


class ClinicSurveyRun(models.Model):
    """One classification of a saved crawl (WARC or manifest), with its summary figures."""

    input_name = models.CharField(gettext_lazy("input"), max_length=500)
    sha256 = models.CharField(max_length=64)
    raw_path = models.CharField(gettext_lazy("kept original"), max_length=500)
    surveyed_on = models.DateField(gettext_lazy("surveyed on"), db_index=True)
    source = models.CharField(gettext_lazy("source"), max_length=200)
    queries = models.JSONField(default=list)
    summary = models.JSONField(default=dict)  # analysed, unique_urls, included, institutions_included
    institutions = models.JSONField(default=list)
    problems = models.JSONField(default=list)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["surveyed_on", "id"]

    def __str__(self):
        return f"{self.input_name} {self.surveyed_on}"


class ClinicResult(models.Model):
    run = models.ForeignKey(ClinicSurveyRun, on_delete=models.PROTECT, related_name="results")
    url = models.TextField()
    decision = models.CharField(max_length=20, choices=DECISION_CHOICES, db_index=True)
    reason = models.TextField()  # English, as `clinic_survey` words it
    reason_ja = models.TextField(blank=True, default="")  # the same decision worded in Japanese
    matched = models.JSONField(default=list)
    institution = models.CharField(max_length=300, blank=True, default="")
    institution_name = models.CharField(max_length=300, blank=True, default="")
    title = models.TextField(blank=True, default="")
    queries = models.JSONField(default=list)
    # The sentence of the page the rule's decision rests on (seed section 6: the page itself must confirm).
    sentence = models.TextField(gettext_lazy("deciding sentence"), blank=True, default="")

    class Meta:
        ordering = ["run_id", "id"]

    def __str__(self):
        return f"{self.decision} {self.url}"


class ClinicResultOverride(models.Model):
    """A reviewer's decision on one clinic-survey result, with the reason; append-only. The latest
    one applies; the rule's own decision and reason stay on the result."""

    result = models.ForeignKey(ClinicResult, on_delete=models.PROTECT, related_name="overrides")
    decision = models.CharField(gettext_lazy("decision"), max_length=20, choices=DECISION_CHOICES)
    reason = models.TextField(gettext_lazy("reason"))
    recorded_at = models.DateTimeField(gettext_lazy("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    who = models.CharField(gettext_lazy("who"), max_length=200)  # the printed name at the time

    class Meta:
        ordering = ["result_id", "recorded_at", "id"]

    def __str__(self):
        return f"{self.result_id} -> {self.decision}"
