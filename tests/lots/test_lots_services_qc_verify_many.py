"""Verifying several QC results with one signature act (`verify_qc_results`): the password once, a
verification, a signature and audit events per result, all or nothing, the single verification's
rules (four-eyes, already verified, invalidated, the lot open for QC) naming each refused result."""

import json
from decimal import Decimal as D

import pytest
from axes.models import AccessAttempt
from lots_services_helpers import qc_lot, record

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.selectors import signatures_for
from evqms.audit.services import SignatureRefused
from evqms.core.canonical import canonical_hash
from evqms.errors import InputError, PermissionDenied
from evqms.lots import services
from evqms.lots.models import QCResult
from evqms.lots.records import qc_result_signed_record
from evqms.lots.services import qc_verification as qc_services

pytestmark = pytest.mark.django_db


def _three(world, lot, actor=None):
    actor = actor or world.analyst
    return [
        record(world, lot, "endotoxin", D("0.1"), "EU/mL", actor=actor),
        record(world, lot, "modal_size", D("120"), "nm", actor=actor),
        record(world, lot, "cd63", text="positive", actor=actor),
    ]


def _verify(world, rf_request, ids, actor=None, password=None, **kw):
    actor = actor or world.analyst2
    return services.verify_qc_results(
        request=rf_request,
        actor=actor,
        result_ids=ids,
        password=actor.raw_password if password is None else password,
        **kw,
    )


def test_each_result_gets_its_own_verification_signature_and_events(world, rf_request):
    lot = qc_lot(world)
    results = _three(world, lot)
    ids = [r.pk for r in results]
    events_before = AuditEvent.objects.count()
    verified = _verify(world, rf_request, ids)
    assert [r.pk for r in verified] == ids
    for r in QCResult.objects.filter(pk__in=ids).select_related("lot", "attribute", "analyst", "verified_by"):
        assert r.verified_by == world.analyst2 and r.verified_at is not None
        (sig,) = Signature.objects.filter(object_type="qc_result", object_id=str(r.pk))
        assert sig.meaning == "verification" and sig.signer == world.analyst2
        assert sig.signed_at == r.verified_at  # one moment: the verification is the signature
        # the signature covers the result as verified, so it still applies to it now
        assert sig.record_hash == canonical_hash(qc_result_signed_record(r))
        (status,) = signatures_for("qc_result", r.pk, qc_result_signed_record(r))
        assert status.applies_to_current
        actions = list(
            AuditEvent.objects.filter(object_type="qc_result", object_id=str(r.pk))
            .order_by("seq")
            .values_list("action", flat=True)
        )
        assert actions == ["qc_result.record", "signature.verification", "qc_result.verify"]
        verify_event = AuditEvent.objects.get(
            object_type="qc_result", object_id=str(r.pk), action="qc_result.verify"
        )
        after, before = json.loads(verify_event.after), json.loads(verify_event.before)
        assert after["verified_by"] == "qc2" and before["verified_by"] is None
    # three signatures and three verifications: six events, from one password
    assert AuditEvent.objects.count() - events_before == 6


def test_the_password_is_checked_once(world, rf_request, monkeypatch):
    lot = qc_lot(world)
    ids = [r.pk for r in _three(world, lot)]
    calls = []
    original = qc_services.check_signing_password
    monkeypatch.setattr(
        qc_services, "check_signing_password", lambda **kw: calls.append(kw) or original(**kw)
    )
    _verify(world, rf_request, ids)
    assert len(calls) == 1


def test_four_eyes_refuses_the_analysts_own_results_naming_them_and_verifies_none(world, rf_request):
    lot = qc_lot(world)
    theirs = _three(world, lot)  # by qc1
    mine = record(world, lot, "particle_concentration", D("5e10"), "particles/mL", actor=world.analyst2)
    with pytest.raises(services.QCVerificationsRefused) as refused:
        _verify(world, rf_request, [theirs[0].pk, mine.pk, theirs[1].pk])
    assert [pk for pk, _why in refused.value.refusals] == [mine.pk]
    message = str(refused.value)
    assert f"#{mine.pk}" in message and "UCEV-T-001" in message and "particle_concentration" in message
    assert "own result" in message
    assert not QCResult.objects.filter(lot=lot, verified_by__isnull=False).exists()
    assert not Signature.objects.filter(object_type="qc_result").exists()


def test_already_verified_and_invalidated_results_are_refused(world, rf_request):
    lot = qc_lot(world)
    a, b, c = _three(world, lot)
    services.verify_qc_result(actor=world.qa, result=a)
    services.invalidate_qc_result(actor=world.qa, result=b, reason="pipette out of calibration")
    with pytest.raises(services.QCVerificationsRefused) as refused:
        _verify(world, rf_request, [a.pk, b.pk, c.pk])
    reasons = dict(refused.value.refusals)
    assert set(reasons) == {a.pk, b.pk}
    assert "already verified" in reasons[a.pk] and "invalidated" in reasons[b.pk]
    assert QCResult.objects.get(pk=c.pk).verified_by is None


def test_a_refusal_comes_before_the_password_is_asked(world, rf_request):
    """Nothing would be signed: a wrong password then is not counted as a failed signing."""
    lot = qc_lot(world)
    (a, *_rest) = _three(world, lot)
    with pytest.raises(services.QCVerificationsRefused):
        _verify(world, rf_request, [a.pk], actor=world.analyst, password="wrong")
    assert not AccessAttempt.objects.filter(username="qc1").exists()


def test_results_of_several_lots_are_verified_together(world, rf_request):
    one = qc_lot(world, "UCEV-T-001")
    two = qc_lot(world, "UCEV-T-002")
    ids = [r.pk for r in _three(world, one) + _three(world, two)]
    _verify(world, rf_request, ids)
    assert QCResult.objects.filter(pk__in=ids, verified_by=world.analyst2).count() == 6


def test_a_lot_no_longer_in_qc_refuses_its_results(world, rf_request):
    lot = world.in_qc("UCEV-T-001")
    world.test_all(lot, verify=False)
    pending = list(QCResult.objects.filter(lot=lot).values_list("pk", flat=True))
    services.reject_lot(
        request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason="test of the rule"
    )
    with pytest.raises(services.QCVerificationsRefused, match="cannot verify a QC result"):
        _verify(world, rf_request, pending)


def test_wrong_password_is_refused_counted_and_verifies_nothing(world, rf_request):
    lot = qc_lot(world)
    ids = [r.pk for r in _three(world, lot)]
    with pytest.raises(SignatureRefused):
        _verify(world, rf_request, ids, password="not-it")
    assert AccessAttempt.objects.get(username="qc2").failures_since_start == 1
    assert not QCResult.objects.filter(pk__in=ids, verified_by__isnull=False).exists()
    assert not Signature.objects.exists()


def test_only_a_verifier_role_may_verify(world, rf_request):
    lot = qc_lot(world)
    ids = [r.pk for r in _three(world, lot)]
    with pytest.raises(PermissionDenied):
        _verify(world, rf_request, ids, actor=world.operator)


def test_a_failure_while_writing_rolls_every_verification_back(world, rf_request, monkeypatch):
    lot = qc_lot(world)
    ids = [r.pk for r in _three(world, lot)]
    events_before = AuditEvent.objects.count()
    original = qc_services.write_signature
    written = []

    def fails_on_the_third(**kw):
        if len(written) == 2:
            raise RuntimeError("disk full")
        written.append(kw["object_id"])
        return original(**kw)

    monkeypatch.setattr(qc_services, "write_signature", fails_on_the_third)
    with pytest.raises(RuntimeError):
        _verify(world, rf_request, ids)
    assert len(written) == 2  # two were written, then undone
    assert not QCResult.objects.filter(pk__in=ids, verified_by__isnull=False).exists()
    assert not Signature.objects.exists() and AuditEvent.objects.count() == events_before


def test_someone_else_verifying_first_is_caught_under_the_lock(world, rf_request, monkeypatch):
    """Checked before the password and again under the locks: between the two another person
    verified one of them, so this signing verifies nothing and names it."""
    lot = qc_lot(world)
    a, b, c = _three(world, lot)
    original = qc_services.check_signing_password

    def meanwhile(**kw):
        services.verify_qc_result(actor=world.qa, result=b)
        return original(**kw)

    monkeypatch.setattr(qc_services, "check_signing_password", meanwhile)
    with pytest.raises(services.QCVerificationsRefused) as refused:
        _verify(world, rf_request, [a.pk, b.pk, c.pk])
    assert [pk for pk, _why in refused.value.refusals] == [b.pk]
    assert QCResult.objects.get(pk=a.pk).verified_by is None
    assert QCResult.objects.get(pk=b.pk).verified_by == world.qa


@pytest.mark.parametrize(
    ("ids", "where", "match"),
    [
        ([], "results", "at least one"),
        (["7x"], "results", "not a QC result id"),
        ([999999], "results", "999999"),
    ],
)
def test_a_bad_selection_is_refused_naming_the_field(world, rf_request, ids, where, match):
    with pytest.raises(InputError, match=match) as refused:
        _verify(world, rf_request, ids)
    assert refused.value.where == where


def test_only_the_meaning_verification(world, rf_request):
    lot = qc_lot(world)
    ids = [r.pk for r in _three(world, lot)]
    with pytest.raises(InputError, match="verification") as refused:
        _verify(world, rf_request, ids, meaning="release")
    assert refused.value.where == "meaning"


def test_the_same_result_selected_twice_is_verified_once(world, rf_request):
    lot = qc_lot(world)
    a, *_rest = _three(world, lot)
    assert len(_verify(world, rf_request, [a.pk, str(a.pk)])) == 1
    assert Signature.objects.filter(object_type="qc_result", object_id=str(a.pk)).count() == 1
