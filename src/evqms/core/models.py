"""Core's one table: the counters that hand out record numbers (see core/numbering.py)."""

from django.db import models


class NumberSequence(models.Model):
    """The last number given for one kind of record (a recall, a shipment, one lot's deviations)."""

    key = models.CharField(max_length=200, unique=True)
    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "number sequence"

    def __str__(self):
        return f"{self.key}: {self.last}"
