"""The audit trail of record and electronic signatures.

Rows here are append-only: database triggers (migration 0002) reject UPDATE and DELETE on
both databases. Each AuditEvent carries the hash of the previous one, so `evqms audit verify`
can name the first event that was edited, removed or moved.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    seq = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time (UTC)"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=200)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=100)
    before = models.TextField(_("before"), blank=True)  # canonical JSON or ""
    after = models.TextField(_("after"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            # The trail's search by who acted: their events newest first, and their count.
            models.Index(fields=["actor_name", "seq"], name="audit_actor_idx"),
        ]
        verbose_name = _("audit event")

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class ChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises appends."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self):
        return f"head #{self.seq}"


SIGNATURE_MEANINGS = {
    "authorship": _("Authorship"),
    "review": _("Review"),
    "verification": _("Verification"),
    "approval": _("Approval"),
    "release": _("Release"),
    "rejection": _("Rejection"),
    "attestation": _("Attestation"),
}


class Signature(models.Model):
    """An electronic signature: who, printed name, when, what it means, and the hash of what was signed."""

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(_("printed name"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    meaning = models.CharField(_("meaning"), max_length=20, choices=list(SIGNATURE_MEANINGS.items()))
    reason = models.TextField(_("reason"), blank=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    record_hash = models.CharField(_("hash of the signed record"), max_length=64)
    record = models.TextField(_("signed record (canonical JSON)"))

    class Meta:
        ordering = ["signed_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="signature_object_idx")]

    def __str__(self):
        return f"{self.printed_name} ({self.meaning}) {self.object_type}:{self.object_id}"


class SignatureInvalidation(models.Model):
    """A signature is never edited or deleted; it is invalidated by a new row with a reason."""

    signature = models.OneToOneField(Signature, on_delete=models.PROTECT, related_name="invalidation")
    invalidated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invalidated_at = models.DateTimeField()
    reason = models.TextField()

    def __str__(self):
        return f"invalidation of signature {self.signature_id}"
