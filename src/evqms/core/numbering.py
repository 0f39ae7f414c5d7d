"""Record numbers that cannot collide (RC-00001, SH-00001, HD-00001, DEV-<lot>-01, ADM-000001 ...).

"The last id + 1" gives two transactions that start together the same number on PostgreSQL: the
second insert then fails on the unique constraint. Here each kind of number has a counter row
(core.NumberSequence) that is locked (select_for_update) for the rest of the caller's transaction,
so a second caller waits until the first commits and then takes the next number. On SQLite write
transactions are IMMEDIATE and already serialise; the same code runs there.

A counter is created on first use from the highest number already stored, so numbers given before
the counter existed are never handed out again.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from evqms.core.db import lock_for_update


def _highest_stored(model, field: str, prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\Z")
    highest = 0
    for value in model.objects.filter(**{f"{field}__startswith": prefix}).values_list(field, flat=True):
        found = pattern.match(value)
        if found:
            highest = max(highest, int(found.group(1)))
    return highest


def next_number(model, prefix: str, *, width: int, field: str = "number", key: str | None = None) -> str:
    """The next free `prefix` + zero-padded number for `model.field`, e.g. next_number(Recall, "RC-",
    width=5) -> "RC-00003". Must run inside the transaction that stores the record: the counter
    stays locked until that transaction ends, and a rollback gives the number back."""
    from evqms.core.models import NumberSequence

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that stores the record")
    key = key or f"{model._meta.label_lower}.{field}:{prefix}"
    counter = lock_for_update(NumberSequence.objects.filter(key=key)).first()
    if counter is None:
        try:
            with transaction.atomic():  # a savepoint: another transaction may create it first
                NumberSequence.objects.create(key=key, last=_highest_stored(model, field, prefix))
        except IntegrityError:
            pass
        counter = lock_for_update(NumberSequence.objects.filter(key=key)).get()
    n = counter.last + 1
    # A number stored by other means (an import, a hand-made record) is skipped, never reused.
    while model.objects.filter(**{field: f"{prefix}{n:0{width}d}"}).exists():
        n += 1
    counter.last = n
    counter.save(update_fields=["last"])
    return f"{prefix}{n:0{width}d}"
