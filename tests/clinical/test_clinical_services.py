"""Clinical services: pseudonymised patients, administrations (and every refusal), adverse events."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import stat
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.clinical import services
from evqms.clinical.models import Administration, AdverseEvent, Patient
from evqms.clinical.pseudonym import key_path
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.inventory import services as inventory
from evqms.inventory.models import Aliquot
from evqms.testing import factories as f

WHEN = timezone.now() - dt.timedelta(days=1)


@pytest.fixture
def world(db):
    op = f.user("cl-operator", "operator")
    doc = f.user("cl-physician", "physician")
    lot = f.lot("L-C1", status="released")
    aliquots = inventory.create_aliquots(
        actor=op, lot=lot, count=4, volume_ml="1", particle_count="2e10", protein_ug="20"
    )
    patient = services.register_patient(
        actor=doc,
        code="P-100",
        clinic_identifier="chart-100",
        consented_on=dt.date(2024, 1, 1),
        birth_year=1960,
        sex="female",
    )
    return op, doc, lot, aliquots, patient


def test_patient_is_pseudonymised_with_a_keyed_hash(world):
    _op, doc, _lot, _a, patient = world
    key = bytes.fromhex(key_path().read_text().strip())
    assert patient.identity_hash == hmac.new(key, b"CHART-100", hashlib.sha256).hexdigest()
    assert stat.S_IMODE(os.stat(key_path()).st_mode) == 0o600
    assert str(key_path()).startswith(str(settings.EVQMS_HOME))
    stored = " ".join(str(v) for v in Patient.objects.values_list().get())
    assert "chart-100" not in stored.lower()
    with pytest.raises(InputError, match="already registered as P-100"):
        services.register_patient(actor=doc, code="P-101", clinic_identifier=" CHART-100 ")


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


def test_adverse_events(world):
    _op, doc, _lot, aliquots, _p = world
    adm = services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id],
        administered_at=WHEN,
        route="intra_articular",
    )
    count = AdverseEvent.objects.count()
    kw = dict(
        actor=doc,
        administration=adm.number,
        onset=WHEN + dt.timedelta(hours=5),
        description="Swelling",
        causality="possible",
    )
    with pytest.raises(InputError, match="unknown patient P-999"):
        services.record_adverse_event(patient="P-999", ctcae_grade=2, **kw)
    with pytest.raises(InputError, match="1 to 5"):
        services.record_adverse_event(patient="P-100", ctcae_grade=6, **kw)
    with pytest.raises(InputError, match="fatal"):
        services.record_adverse_event(patient="P-100", ctcae_grade=5, **kw)
    services.register_patient(
        actor=doc, code="P-OTHER", clinic_identifier="chart-other", consented_on=dt.date(2024, 1, 1)
    )
    with pytest.raises(InputError, match="not one of patient P-OTHER"):
        services.record_adverse_event(patient="P-OTHER", ctcae_grade=2, **kw)
    assert AdverseEvent.objects.count() == count
    ae = services.record_adverse_event(patient="P-100", ctcae_grade=4, outcome="recovering", **kw)
    assert ae.serious is True and ae.number.startswith("AE-")


def test_retained_sample_test_must_be_of_the_administered_lot(world):
    op, doc, lot, aliquots, _p = world
    adm = services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id],
        administered_at=WHEN,
        route="intra_articular",
    )
    ae = services.record_adverse_event(
        actor=doc,
        patient="P-100",
        administration=adm,
        onset=WHEN,
        description="Fever",
        ctcae_grade=1,
        causality="possible",
    )
    kept = inventory.record_retention_sample(actor=op, aliquot=aliquots[3])
    other = f.lot("L-OTHER", status="released")
    (oa,) = inventory.create_aliquots(actor=op, lot=other, count=1, volume_ml="1")
    unrelated = inventory.record_retention_sample(actor=op, aliquot=oa)
    with pytest.raises(InputError, match="not of the administered lot"):
        services.record_sample_test(
            actor=doc,
            adverse_event=ae,
            retention_sample=unrelated,
            test="Endotoxin",
            result="<0.05 EU/mL",
            tested_on=dt.date.today(),
        )
    row = services.record_sample_test(
        actor=doc,
        adverse_event=ae,
        retention_sample=kept,
        test="Endotoxin (LAL)",
        result="<0.05 EU/mL",
        tested_on=dt.date.today(),
        conclusion="Not the cause",
    )
    assert row.retention_sample.lot == lot
