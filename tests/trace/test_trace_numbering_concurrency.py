"""Recall, hold and shipment numbers cannot collide when two are made at the same moment.

Before core.numbering, each number was "the last id + 1", read before the insert: on PostgreSQL two
transactions that read together got the same number and the second insert failed on the unique
constraint (IntegrityError, a 500 in the browser). Here two threads are held at a barrier right
before the insert (after the number was chosen): with "last id + 1" both pass with the same number;
with the locked counter the second waits for the first to commit, the barrier times out, and each
gets its own number."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from evqms.inventory import services as inventory
from evqms.inventory.models import Shipment
from evqms.testing import factories as f
from evqms.trace import services
from evqms.trace.models import Hold, Recall

pytestmark = pytest.mark.django_db(transaction=True)


def _together(model, monkeypatch, jobs):
    """Run `jobs` in threads; each waits at a barrier just before inserting its `model` row."""
    barrier = threading.Barrier(len(jobs), timeout=3)
    real_create = model.objects.create

    def create(**kwargs):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:  # the other is waiting for our lock: go on
            pass
        return real_create(**kwargs)

    monkeypatch.setattr(model.objects, "create", create)
    errors, done = [], []

    def run(job):
        try:
            done.append(job())
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, errors


def test_two_shipments_at_once_get_two_numbers(lineage, monkeypatch):
    op = lineage.operator
    inventory.create_consignee(actor=op, code="CL-1", name="Clinic", address="Kyoto", contact_name="Dr S")
    units = inventory.create_aliquots(actor=op, lot=lineage.lots["L2"], count=2, volume_ml="1.0")
    jobs = [
        (lambda code=u.container_id: inventory.ship_aliquots(actor=op, aliquots=[code], consignee="CL-1"))
        for u in units
    ]
    done, errors = _together(Shipment, monkeypatch, jobs)
    assert errors == []
    assert sorted(s.number for s in done) == ["SH-00001", "SH-00002"]
    assert Shipment.objects.count() == 2


def test_two_holds_at_once_get_two_numbers(lineage, monkeypatch):
    qa = f.user("num-qa", "qa_reviewer")
    jobs = [
        (lambda code=code: services.place_hold(actor=qa, scope="material_lot", code=code, reason="supplier"))
        for code in ("FBS-1", "ENZ-1")
    ]
    done, errors = _together(Hold, monkeypatch, jobs)
    assert errors == []
    assert sorted(h.number for h in done) == ["HD-00001", "HD-00002"]


def test_two_recalls_at_once_get_two_numbers(lineage, monkeypatch, rf):
    qa = f.user("num-qa2", "qa_reviewer")

    def recall(lot):
        request = rf.post("/")
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        return services.recall_lot(request=request, actor=qa, lot=lot, reason="OOS", password=qa.raw_password)

    done, errors = _together(Recall, monkeypatch, [lambda: recall("L2"), lambda: recall("L3")])
    assert errors == []
    assert sorted(r.number for r in done) == ["RC-00001", "RC-00002"]
