"""Studies behind a product's efficacy and quality claims.

- NTAImport: one NTA export attached to a lot; the file is kept unchanged (sha256) and the QC
  results it filled point back at it.
- PotencyAssay / PotencyRun: an in-vitro potency assay linked to the mode of action and the
  indication, with its reference lot; each run keeps its plate file, the fitted curves and the
  relative potency against the reference lot.
- StabilityStudy / StabilityResult: results over storage time per batch (lot), for the ICH Q1E
  shelf life.
- BiodistributionStudy / DoseResponseStudy: dossier records of in-vivo and dose studies that the
  compliance engine reads (JSRM-3-P1 target fraction, JSRM-3-R5 dose relation).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from evqms.dossier.models import Product, indication_choices
from evqms.lots.models import Lot, QCResult

POTENCY_MODELS = [("LL4", "LL.4"), ("LL3", "LL.3"), ("W1.4", "W1.4"), ("W2.4", "W2.4")]


class NTAImport(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="nta_imports")
    file = models.FileField(_("NTA export"), upload_to="nta/%Y/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    instrument = models.CharField(_("instrument"), max_length=40)
    software = models.CharField(_("software"), max_length=120, blank=True)
    parsed = models.JSONField(_("figures recomputed from the file"))
    warnings = models.JSONField(default=list, blank=True)
    warnings_confirmed = models.BooleanField(_("warnings confirmed by the analyst"), default=False)
    filled = models.JSONField(
        _("attributes filled"), default=dict, help_text=_("attribute code -> statistic")
    )
    qc_results = models.ManyToManyField(QCResult, related_name="nta_imports", blank=True)
    tested_at = models.DateTimeField(_("tested at"), null=True, blank=True)
    tested_at_source = models.CharField(
        _("tested at from"), max_length=10, blank=True, help_text=_("file (capture time) or entered")
    )
    tested_at_reason = models.TextField(_("reason tested at differs from the capture time"), blank=True)
    dilution = models.FloatField(_("dilution"), null=True, blank=True)
    dilution_source = models.CharField(
        _("dilution from"), max_length=10, blank=True, help_text=_("file or entered")
    )
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return f"{self.lot} {self.original_name}"


class PotencyAssay(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="potency_assays")
    name = models.CharField(_("name"), max_length=200)
    mechanism = models.TextField(_("mode of action measured"))
    indication = models.CharField(_("indication it extrapolates to"), max_length=300)
    # The product's indication by code (guidance/vocab/indications.yaml): the engine links by this.
    indication_code = models.CharField(
        _("indication (coded)"), max_length=40, blank=True, choices=indication_choices
    )
    readout = models.CharField(_("readout"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        default="in_vitro",
        choices=[("in_vitro", _("In vitro")), ("in_vivo", _("In vivo"))],
    )
    reference_lot = models.ForeignKey(
        Lot, verbose_name=_("reference lot"), on_delete=models.PROTECT, related_name="+"
    )
    model = models.CharField(_("dose-response model"), max_length=10, choices=POTENCY_MODELS, default="LL4")
    dose_unit = models.CharField(_("dose unit"), max_length=40, blank=True)
    acceptance_low = models.DecimalField(_("relative potency low (%)"), max_digits=8, decimal_places=2)
    acceptance_high = models.DecimalField(_("relative potency high (%)"), max_digits=8, decimal_places=2)
    qc_attribute_code = models.SlugField(
        _("QC attribute filled (code)"),
        max_length=60,
        blank=True,
        help_text=_("the lot specification attribute for relative potency"),
    )
    guidance_items = models.JSONField(_("guidance items"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "name"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="potency_assay_name_uniq")]

    def __str__(self):
        return f"{self.product.code}: {self.name}"


class PotencyRun(models.Model):
    assay = models.ForeignKey(PotencyAssay, on_delete=models.PROTECT, related_name="runs")
    test_lot = models.ForeignKey(
        Lot, verbose_name=_("test lot"), on_delete=models.PROTECT, related_name="potency_runs"
    )
    plate_file = models.FileField(_("plate file"), upload_to="potency/%Y/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    columns = models.JSONField(default=dict, help_text="dose/response/curve column names and curve labels")
    fitted = models.JSONField(_("fitted curves"))
    relative_potency_pct = models.DecimalField(_("relative potency (%)"), max_digits=12, decimal_places=4)
    ci_low_pct = models.DecimalField(_("95% CI low (%)"), max_digits=12, decimal_places=4, null=True)
    ci_high_pct = models.DecimalField(_("95% CI high (%)"), max_digits=12, decimal_places=4, null=True)
    parallelism_p = models.FloatField(_("parallelism p"), null=True)
    parallel = models.BooleanField(_("curves parallel (p >= 0.05)"))
    within_acceptance = models.BooleanField(_("within acceptance"))
    qc_result = models.ForeignKey(QCResult, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    analyst = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tested_at = models.DateTimeField(_("tested at"))
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-tested_at", "-id"]

    def __str__(self):
        return f"{self.assay.name} {self.test_lot}: {self.relative_potency_pct} %"


class StabilityStudy(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stability_studies")
    name = models.CharField(_("name"), max_length=200)
    attribute_code = models.SlugField(_("attribute (code)"), max_length=60)
    attribute_name = models.CharField(_("attribute"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    condition = models.CharField(_("storage condition"), max_length=200, help_text=_("e.g. -80 °C"))
    lower = models.DecimalField(_("lower limit"), max_digits=30, decimal_places=10, null=True, blank=True)
    upper = models.DecimalField(_("upper limit"), max_digits=30, decimal_places=10, null=True, blank=True)
    lots = models.ManyToManyField(Lot, verbose_name=_("batches"), related_name="stability_studies")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "name"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="stability_study_name_uniq")]

    def __str__(self):
        return f"{self.product.code}: {self.name}"


class StabilityResult(models.Model):
    study = models.ForeignKey(StabilityStudy, on_delete=models.PROTECT, related_name="results")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    time_months = models.DecimalField(_("time (months)"), max_digits=8, decimal_places=3)
    value = models.DecimalField(_("value"), max_digits=30, decimal_places=10)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["study", "lot__number", "time_months", "id"]

    def __str__(self):
        return f"{self.lot} t={self.time_months}: {self.value}"


class BiodistributionStudy(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="biodistribution_studies")
    title = models.CharField(_("title"), max_length=200)
    species = models.CharField(_("animal model"), max_length=200)
    route = models.CharField(_("route"), max_length=100)
    label_method = models.CharField(_("label / detection method"), max_length=200)
    second_method = models.CharField(_("confirming second method"), max_length=200, blank=True)
    target = models.CharField(_("target cells / tissue / organ"), max_length=200)
    time_points = models.CharField(_("time points"), max_length=200, help_text=_("e.g. 1 h, 24 h, 7 d"))
    fraction_in_target_pct = models.DecimalField(
        _("fraction of dose in target (%)"), max_digits=8, decimal_places=3
    )
    threshold_pct = models.DecimalField(_("threshold set (%)"), max_digits=8, decimal_places=3)
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "title"]

    def __str__(self):
        return self.title

    @property
    def meets_threshold(self) -> bool:
        return self.fraction_in_target_pct >= self.threshold_pct


class DoseResponseStudy(models.Model):
    KINDS = [("in_vitro", _("In vitro")), ("in_vivo", _("In vivo"))]
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="dose_response_studies")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    unit = models.CharField(_("dose unit"), max_length=60)
    dose_low = models.DecimalField(_("lowest dose tested"), max_digits=30, decimal_places=6)
    dose_high = models.DecimalField(_("highest dose tested"), max_digits=30, decimal_places=6)
    effective_low = models.DecimalField(
        _("effective dose from"), max_digits=30, decimal_places=6, null=True, blank=True
    )
    effective_high = models.DecimalField(
        _("effective dose to"), max_digits=30, decimal_places=6, null=True, blank=True
    )
    safe_high = models.DecimalField(
        _("highest safe dose"), max_digits=30, decimal_places=6, null=True, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "kind", "title"]

    def __str__(self):
        return self.title
