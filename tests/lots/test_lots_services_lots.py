"""Lots: creation rules, submission to QC, expiry."""

import datetime as dt

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.lots import services
from evqms.lots.models import Lot

pytestmark = pytest.mark.django_db


def test_create_lot_checks_role_versions_and_cell_bank(world):
    from evqms.testing import factories as f

    with pytest.raises(PermissionDenied):
        world.new_lot(actor=world.qa)
    draft = f.process(world.product, version=3, status="draft")
    with pytest.raises(RuleViolation, match="not approved"):
        world.new_lot(process=draft)
    other_spec = f.specification(f.product("other-product"))
    with pytest.raises(InputError) as exc:
        world.new_lot(specification=other_spec)
    assert exc.value.where == "specification"
    world.bank.status = "quarantine"
    world.bank.save()
    with pytest.raises(RuleViolation, match="not available"):
        world.new_lot()
    world.bank.status = "available"
    world.bank.save()
    lot = world.new_lot()
    with pytest.raises(InputError) as exc:
        world.new_lot()
    assert exc.value.where == "number"
    event = AuditEvent.objects.get(action="lot.create")
    assert event.object_id == str(lot.pk) and '"number":"UCEV-T-001"' in event.after


def test_submit_to_qc_needs_every_step(world):
    lot = world.new_lot()
    with pytest.raises(RuleViolation, match="steps not recorded"):
        services.submit_to_qc(actor=world.operator, lot=lot)
    lot = world.manufacture(Lot.objects.get(pk=lot.pk))
    assert lot.status == "qc"


def test_mark_expired(world, rf_request):
    lot = world.quarantined_lot()
    services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    assert services.mark_expired(actor=None) == []
    changed = services.mark_expired(actor=world.qa, today=timezone.localdate() + dt.timedelta(days=400))
    assert [x.number for x in changed] == [lot.number]
    assert Lot.objects.get(pk=lot.pk).status == "expired"
    assert AuditEvent.objects.filter(action="lot.expire").count() == 1


def test_messages_are_japanese_by_default(world):
    from django.utils import translation

    lot = world.new_lot()
    with translation.override("ja"), pytest.raises(RuleViolation) as exc:
        services.submit_to_qc(actor=world.operator, lot=lot)
    assert str(exc.value).startswith("未記録の工程があります")
