"""Inventory: storage locations, aliquots of released lots, moves, temperature excursions, retention samples.

An aliquot is never deleted: it leaves stock by being administered, discarded (with a reason),
shipped, or kept as a retention sample. Its location is cleared when it leaves storage, so a
position's occupants are simply the aliquots and retention samples that point at it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evqms.core.identifiers import unique_ignoring_case

LOCATION_KINDS = [
    ("site", _("Site")),
    ("freezer", _("Freezer")),
    ("room", _("Room")),
    ("rack", _("Rack")),
    ("box", _("Box")),
    ("position", _("Position")),
]
# Which kind may sit directly inside which (site > freezer/room > rack > box > position).
ALLOWED_PARENTS = {
    "site": (None,),
    "freezer": ("site", "room"),
    "room": ("site",),
    "rack": ("freezer", "room"),
    "box": ("rack", "freezer"),
    "position": ("box",),
}

ALIQUOT_STATUSES = [
    ("available", _("Available")),
    ("reserved", _("Reserved")),
    ("administered", _("Administered")),
    ("retained", _("Retained")),
    ("discarded", _("Discarded")),
    ("shipped", _("Shipped")),
    ("on_hold", _("On hold")),
]
# An aliquot on hold (recall or QA hold) stays in storage, segregated: it still occupies its position.
IN_STORAGE = ("available", "reserved", "retained", "on_hold")
# The statuses a hold takes out of use (retention samples stay retained: they are the evidence).
HOLDABLE = ("available", "reserved")


class StorageLocation(models.Model):
    code = models.CharField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=LOCATION_KINDS)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("containers held directly here; empty = no limit")
    )
    temperature_c = models.DecimalField(
        _("set temperature (°C)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    # The temperature-controlled unit (equipment register) this location is: what is stored in it
    # and below it is exposed to the unit's excursions.
    storage_unit = models.ForeignKey(
        "equipment.Instrument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="storage_locations",
        verbose_name=_("storage unit"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("storage location")
        constraints = [unique_ignoring_case("location", name="location_code_ci_uniq")]

    def __str__(self):
        return self.code


class Aliquot(models.Model):
    container_id = models.CharField(_("container id"), max_length=60, unique=True)
    # Indexed by aliquot_lot_status_idx (lot first), which serves every lookup by lot.
    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="aliquots", db_index=False)
    volume_ml = models.DecimalField(_("volume (mL)"), max_digits=10, decimal_places=3)
    particle_count = models.DecimalField(
        _("particles"), max_digits=30, decimal_places=0, null=True, blank=True
    )
    protein_ug = models.DecimalField(
        _("protein (µg)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=20, choices=ALIQUOT_STATUSES, default="available")
    location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="aliquots"
    )
    reason = models.TextField(_("reason (discard, shipment)"), blank=True)
    # While on hold: the recall or hold number that holds it, and the status it returns to when lifted.
    hold_ref = models.CharField(_("held by"), max_length=40, blank=True)
    held_status = models.CharField(max_length=20, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["container_id"]
        verbose_name = _("aliquot")
        indexes = [
            models.Index(fields=["lot", "status"], name="aliquot_lot_status_idx"),
            models.Index(fields=["status", "container_id"], name="aliquot_status_cont_idx"),
        ]
        constraints = [unique_ignoring_case("aliquot", name="aliquot_container_ci_uniq")]

    def __str__(self):
        return self.container_id


class AliquotMove(models.Model):
    aliquot = models.ForeignKey(Aliquot, on_delete=models.PROTECT, related_name="moves")
    from_location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField()
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["aliquot", "moved_at", "id"]

    def __str__(self):
        return f"{self.aliquot_id} -> {self.to_location_id}"


class TemperatureExcursion(models.Model):
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="excursions")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    extreme_temperature_c = models.DecimalField(_("extreme temperature (°C)"), max_digits=6, decimal_places=1)
    description = models.TextField(_("description"))
    assessment = models.TextField(_("impact assessment"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # On a storage unit: the unit, and the deviation (source "storage") that holds what it stored.
    storage_unit = models.ForeignKey(
        "equipment.Instrument", null=True, blank=True, on_delete=models.PROTECT, related_name="excursions"
    )
    deviation = models.ForeignKey(
        "lots.Deviation", null=True, blank=True, on_delete=models.PROTECT, related_name="excursions"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.location_id} {self.started_at}"


class RetentionPolicy(models.Model):
    """How long retention samples are kept, per subject; without a row, settings or the default apply."""

    SUBJECTS = [("lot", _("Product lot")), ("material_lot", _("Biological material lot"))]
    subject = models.CharField(_("subject"), max_length=20, choices=SUBJECTS, unique=True)
    period_days = models.PositiveIntegerField(_("retention period (days)"))
    after_expiry = models.BooleanField(
        _("counted from the expiry date"),
        default=True,
        help_text=_("otherwise from the day the sample is taken"),
    )

    def __str__(self):
        return f"{self.subject}: {self.period_days} d"


class RetentionSample(models.Model):
    """A kept sample of a product lot or of a biological raw-material lot, or (status not_kept) the
    documented reason why none is kept."""

    STATUSES = [
        ("in_stock", _("In stock")),
        ("consumed", _("Consumed in testing")),
        ("discarded", _("Discarded")),
        ("not_kept", _("Not kept (documented reason)")),
    ]
    lot = models.ForeignKey(
        "lots.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="retention_samples"
    )
    material_lot = models.ForeignKey(
        "dossier.MaterialLot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retention_samples",
    )
    aliquot = models.OneToOneField(
        Aliquot, null=True, blank=True, on_delete=models.PROTECT, related_name="retention_sample"
    )
    quantity = models.CharField(_("quantity"), max_length=60, blank=True)
    location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="retention_samples"
    )
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    retain_until = models.DateField(_("retain until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=STATUSES, default="in_stock")
    reason = models.TextField(_("reason"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["retain_until", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(lot__isnull=False) & models.Q(material_lot__isnull=True))
                | (models.Q(lot__isnull=True) & models.Q(material_lot__isnull=False)),
                name="retention_one_subject",
            )
        ]
        # "Has this lot a sample in stock?" is asked of every lot by the retention checks of the
        # dashboard and the work queue: answered from the index alone.
        indexes = [models.Index(fields=["lot", "status"], name="retention_lot_status_idx")]

    def __str__(self):
        return f"{self.lot or self.material_lot} until {self.retain_until}"


class Consignee(models.Model):
    """Whoever receives shipped product (a clinic, a hospital pharmacy, a distributor): the register a
    recall notifies."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))
    site = models.CharField(
        _("site"), max_length=200, blank=True, help_text=_("ward, pharmacy or department")
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=60, blank=True)
    contact_email = models.CharField(_("contact e-mail"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("consignee")

    def __str__(self):
        return f"{self.code} {self.name}"


class Shipment(models.Model):
    """A distribution record: which units went to which consignee, where, when and by whom. The address
    and contact are copied when shipping, so a later change of the register does not rewrite history."""

    number = models.CharField(_("shipment number"), max_length=40, unique=True)
    consignee = models.ForeignKey(Consignee, on_delete=models.PROTECT, related_name="shipments")
    ship_to_address = models.TextField(_("address"))
    ship_to_site = models.CharField(_("site"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200)
    shipped_at = models.DateTimeField(_("shipped at"))
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("courier reference"), max_length=200, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-shipped_at", "-id"]
        verbose_name = _("shipment")

    def __str__(self):
        return self.number


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="items")
    aliquot = models.ForeignKey(Aliquot, on_delete=models.PROTECT, related_name="shipment_items")

    class Meta:
        ordering = ["shipment", "aliquot__container_id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "aliquot"], name="shipment_item_unique"),
        ]

    def __str__(self):
        return f"{self.shipment_id}: {self.aliquot_id}"
