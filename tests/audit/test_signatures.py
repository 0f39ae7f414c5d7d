"""Electronic signatures: password at every signing, lockout, separation of duties, versions."""

import pytest
from axes.models import AccessAttempt

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.selectors import signatures_for
from evqms.audit.services import SignatureRefused, invalidate_signature, sign
from evqms.core.canonical import canonical_hash

pytestmark = pytest.mark.django_db

RECORD_V1 = {"lot": "L-001", "status": "quarantine", "results": [{"attr": "endotoxin", "value": "0.2"}]}
RECORD_V2 = {**RECORD_V1, "results": [{"attr": "endotoxin", "value": "0.3"}]}


def _sign(user, request, password=None, **kw):
    args = dict(
        request=request,
        signer=user,
        password=user.raw_password if password is None else password,
        meaning="release",
        object_type="lot",
        object_id="L-001",
        record=RECORD_V1,
        reason="all results pass",
    )
    args.update(kw)
    return sign(**args)


def test_signature_records_name_time_meaning_and_hash(make_user, rf_request):
    qa = make_user("qa", "qa_reviewer")
    sig = _sign(qa, rf_request)
    assert sig.printed_name == "Qa" and sig.meaning == "release"
    assert sig.record_hash == canonical_hash(RECORD_V1)
    assert sig.signed_at.tzinfo is not None
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "signature.release" and event.actor == qa


def test_wrong_password_is_refused_and_counts_towards_lockout(make_user, rf_request):
    qa = make_user("qa", "qa_reviewer")
    with pytest.raises(SignatureRefused):
        _sign(qa, rf_request, password="not-my-password")
    assert Signature.objects.count() == 0
    assert AccessAttempt.objects.get(username="qa").failures_since_start == 1


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(make_user, rf_request):
    qa = make_user("qa", "qa_reviewer")
    for _ in range(5):
        with pytest.raises(SignatureRefused):
            _sign(qa, rf_request, password="wrong")
    with pytest.raises(SignatureRefused):
        _sign(qa, rf_request)  # correct password, but locked
    assert Signature.objects.count() == 0


def test_no_grace_window_every_signing_needs_the_password(make_user, rf_request):
    qa = make_user("qa", "qa_reviewer")
    _sign(qa, rf_request)
    with pytest.raises(SignatureRefused):
        _sign(qa, rf_request, password="")


def test_separation_of_duties(make_user, rf_request):
    analyst = make_user("analyst", "qc_analyst", "qa_reviewer")
    with pytest.raises(SignatureRefused, match="own"):
        _sign(
            analyst,
            rf_request,
            meaning="verification",
            prohibited=[(analyst.pk, "You entered this result: someone else must verify your own work.")],
        )
    assert Signature.objects.count() == 0


def test_signature_on_version_1_does_not_apply_to_version_2(make_user, rf_request):
    qa = make_user("qa", "qa_reviewer")
    _sign(qa, rf_request)
    [status_v1] = signatures_for("lot", "L-001", RECORD_V1)
    [status_v2] = signatures_for("lot", "L-001", RECORD_V2)
    assert status_v1.valid and status_v1.applies_to_current
    assert not status_v2.valid and not status_v2.applies_to_current


def test_invalidation_needs_a_reason_and_keeps_the_signature(make_user, rf_request):
    from evqms.errors import InputError

    qa = make_user("qa", "qa_reviewer")
    sig = _sign(qa, rf_request)
    with pytest.raises(InputError):
        invalidate_signature(actor=qa, signature=sig, reason="  ")
    invalidate_signature(actor=qa, signature=sig, reason="signed the wrong lot")
    [status] = signatures_for("lot", "L-001", RECORD_V1)
    assert status.invalidated and not status.valid
    assert Signature.objects.filter(pk=sig.pk).exists()


def test_unknown_meaning_is_refused(make_user, rf_request):
    from evqms.errors import InputError

    qa = make_user("qa", "qa_reviewer")
    with pytest.raises(InputError):
        _sign(qa, rf_request, meaning="because")
