"""Clinical services: administrations, their doses and every refusal (which writes nothing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.clinical import services
from evqms.clinical.models import Administration
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.inventory.models import Aliquot
from evqms.testing import factories as f

WHEN = timezone.now() - dt.timedelta(days=1)


def test_administration_with_dose_per_kg(world):
    _op, doc, _lot, aliquots, patient = world
    adm = services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id, aliquots[1].container_id],
        administered_at=WHEN,
        route="intra_articular",
        site="left knee",
        body_weight_kg="50",
    )
    assert adm.dose_particles == Decimal("40000000000")
    assert adm.dose_particles_per_kg == Decimal("800000000")
    assert adm.dose_protein_ug == Decimal("40") and adm.dose_protein_ug_per_kg == Decimal("0.8")
    assert set(Aliquot.objects.filter(used_in__administration=adm).values_list("status", flat=True)) == {
        "administered"
    }
    adm2 = services.record_administration(
        actor=doc,
        patient=patient,
        aliquots=[aliquots[2].container_id],
        administered_at=WHEN,
        route="intra_articular",
        dose="1.5",
        dose_unit="1e10 particles",
        protein_dose="0.01",
        protein_unit="mg",
    )
    assert adm2.dose_particles == Decimal("15000000000") and adm2.dose_protein_ug == Decimal("10")


def _refused(exc_type, match, **kw):
    before = (
        Administration.objects.count(),
        AuditEvent.objects.count(),
        sorted(Aliquot.objects.values_list("container_id", "status")),
    )
    with pytest.raises(exc_type, match=match):
        services.record_administration(**kw)
    after = (
        Administration.objects.count(),
        AuditEvent.objects.count(),
        sorted(Aliquot.objects.values_list("container_id", "status")),
    )
    assert before == after  # nothing written


def test_refusals_write_nothing(world):
    op, doc, lot, aliquots, _p = world
    base = dict(actor=doc, patient="P-100", administered_at=WHEN, route="intra_articular")
    code = aliquots[0].container_id
    _refused(InputError, "unit mL", aliquots=[code], dose="1", dose_unit="mL", **base)
    _refused(InputError, "unknown aliquot", aliquots=["NOPE-A001"], **base)
    _refused(InputError, "unknown patient", **{**base, "patient": "P-404"}, aliquots=[code])
    _refused(RuleViolation, "not a route", **{**base, "route": "iv"}, aliquots=[code])
    services.record_administration(aliquots=[code], **base)
    _refused(RuleViolation, "administered", aliquots=[code], **base)  # already used
    unreleased = f.lot("L-C2", status="qc")
    Aliquot.objects.create(
        container_id="L-C2-A001", lot=unreleased, volume_ml=1, created_by=op, created_at=WHEN
    )
    _refused(RuleViolation, "not released", aliquots=["L-C2-A001"], **base)
    expired = f.lot("L-C3", status="released", expiry=dt.date(2020, 1, 1))
    Aliquot.objects.create(container_id="L-C3-A001", lot=expired, volume_ml=1, created_by=op, created_at=WHEN)
    _refused(RuleViolation, "expired on 2020-01-01", aliquots=["L-C3-A001"], **base)
    lot.status = "recalled"
    lot.save()
    _refused(RuleViolation, "recalled", aliquots=[aliquots[1].container_id], **base)
    # A split dose with one bad aliquot refuses the whole administration
    _refused(RuleViolation, "expired", aliquots=[aliquots[1].container_id, "L-C3-A001"][::-1], **base)


def test_no_consent_and_wrong_role_are_refused(world):
    _op, doc, _lot, aliquots, _p = world
    services.register_patient(actor=doc, code="P-NC", clinic_identifier="chart-nc")
    _refused(
        RuleViolation,
        "no consent",
        actor=doc,
        patient="P-NC",
        aliquots=[aliquots[0].container_id],
        administered_at=WHEN,
        route="intra_articular",
    )
    qa = f.user("cl-qa", "qa_reviewer")
    with pytest.raises(PermissionDenied):
        services.record_administration(
            actor=qa,
            patient="P-100",
            aliquots=[aliquots[0].container_id],
            administered_at=WHEN,
            route="intra_articular",
        )
