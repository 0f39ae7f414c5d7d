"""Concurrent appends keep one unbroken chain (row lock on PostgreSQL, IMMEDIATE transactions on SQLite)."""

import threading

import pytest
from django.db import connection, transaction

from evqms.audit.models import AuditEvent
from evqms.audit.selectors import verify_chain
from evqms.audit.services import record_event


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_valid_chain():
    errors = []

    def writer(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    record_event(
                        actor=None,
                        action="test.concurrent",
                        object_type="w",
                        object_id=f"{n}-{i}",
                        after={"i": i},
                    )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() == 40
    result = verify_chain()
    assert result.ok and result.events == 40
