"""core.numbering: numbers from a locked counter, seeded from what is stored, never reused."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from evqms.core.models import NumberSequence
from evqms.core.numbering import next_number


def _take(prefix="G-"):
    with transaction.atomic():
        number = next_number(Group, prefix, width=3, field="name")
        Group.objects.create(name=number)
    return number


@pytest.mark.django_db
def test_first_number_follows_the_highest_stored_one():
    # numbers given before the counter existed (the old "last id + 1"): G-007 is the highest
    for name in ("G-002", "G-007", "G-x", "other"):
        Group.objects.create(name=name)
    assert _take() == "G-008"
    assert _take() == "G-009"
    assert NumberSequence.objects.get(key="auth.group.name:G-").last == 9


@pytest.mark.django_db
def test_a_number_stored_by_other_means_is_skipped_and_a_rollback_gives_it_back():
    assert _take() == "G-001"
    Group.objects.create(name="G-002")  # e.g. imported
    assert _take() == "G-003"
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number(Group, "G-", width=3, field="name")
        raise RuntimeError("the record was not stored")
    assert _take() == "G-004"
    assert _take("H-") == "H-001"  # each prefix counts on its own


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number(Group, "G-", width=3, field="name")


@pytest.mark.django_db(transaction=True)
def test_threads_taking_numbers_at_once_never_collide():
    errors, taken = [], []
    start = threading.Barrier(4, timeout=10)

    def worker():
        try:
            start.wait()
            for _ in range(5):
                taken.append(_take())
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(taken) == [f"G-{n:03d}" for n in range(1, 21)]
