"""Failed logins lock an account from one address only; unknown addresses are slowed, not locked;
an administrator unlocks (audited)."""

import json

import pytest
from axes.models import AccessAttempt

from evqms.accounts import lockout, services
from evqms.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

STRANGER = "203.0.113.7"  # documentation range (RFC 5737): the attacker's address
DESK = "127.0.0.1"  # the test client's default: QA's own workstation


def _token(client, username, password, ip=STRANGER):
    return client.post(
        "/api/v1/token/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        content_type="application/json",
    )


def test_five_bad_token_requests_from_elsewhere_do_not_lock_qa_at_their_desk(client, make_user):
    qa = make_user("qa1", "qa_reviewer")
    for _ in range(5):
        assert _token(client, "qa1", "wrong").status_code in (401, 429)
    # The stranger is now locked out, even with the right password ...
    refused = _token(client, "qa1", qa.raw_password)
    assert refused.status_code == 429
    assert "token" not in refused.json()
    # ... but QA still signs in and gets a token from their own address.
    assert _token(client, "qa1", qa.raw_password, ip=DESK).status_code == 201
    response = client.post("/accounts/login/", {"username": "qa1", "password": qa.raw_password})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_login_form_lock_is_per_address(client, make_user):
    user = make_user("op1", "operator")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "op1", "password": "wrong"}, REMOTE_ADDR=STRANGER)
    locked = client.post(
        "/accounts/login/", {"username": "op1", "password": user.raw_password}, REMOTE_ADDR=STRANGER
    )
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    ok = client.post(
        "/accounts/login/", {"username": "op1", "password": user.raw_password}, REMOTE_ADDR="198.51.100.4"
    )
    assert ok.status_code == 302


def test_many_unknown_addresses_are_slowed_with_a_growing_wait(client, make_user, settings):
    settings.EVQMS_LOGIN_BACKOFF_AFTER = 10
    user = make_user("qc1", "qc_analyst")
    # QA signed in from their desk before: that address is known and never slowed.
    assert (
        client.post("/accounts/login/", {"username": "qc1", "password": user.raw_password}).status_code == 302
    )
    client.logout()
    for i in range(10):  # 10 failures, each from a different unknown address (below the per-address limit)
        assert _token(client, "qc1", "wrong", ip=f"192.0.2.{i + 1}").status_code == 401
    slowed = _token(client, "qc1", user.raw_password, ip="192.0.2.99")
    assert slowed.status_code == 429
    first_wait = int(slowed["Retry-After"])
    assert 0 < first_wait <= lockout.BACKOFF_FIRST_SECONDS
    # Refused attempts count too: the wait doubles with each one.
    again = _token(client, "qc1", user.raw_password, ip="192.0.2.98")
    assert again.status_code == 429 and int(again["Retry-After"]) > first_wait
    # Not a lock: the known desk address still gets in.
    assert _token(client, "qc1", user.raw_password, ip=DESK).status_code == 201


def test_backoff_ends_when_the_wait_has_passed(client, make_user, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.EVQMS_LOGIN_BACKOFF_AFTER = 3
    user = make_user("qc2", "qc_analyst")
    for i in range(3):
        _token(client, "qc2", "wrong", ip=f"192.0.2.{i + 1}")
    assert _token(client, "qc2", user.raw_password, ip="192.0.2.50").status_code == 429
    AccessAttempt.objects.filter(username="qc2").update(attempt_time=timezone.now() - timedelta(minutes=2))
    # 4 failures, 3 allowed: a wait of 15 s * 2 = 30 s, long past.
    assert _token(client, "qc2", user.raw_password, ip="192.0.2.51").status_code == 201


def test_administrator_unlocks_with_an_audited_reason(client, make_user):
    admin = make_user("admin1", "administrator")
    qa = make_user("qa2", "qa_reviewer")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "qa2", "password": "wrong"})
    assert "qa2" in lockout.locked_usernames()
    assert (
        client.post("/accounts/login/", {"username": "qa2", "password": qa.raw_password}).status_code == 429
    )
    services.unlock_user(actor=admin, user=qa, reason="called the help desk, identity checked")
    assert "qa2" not in lockout.locked_usernames()
    event = AuditEvent.objects.filter(action="user.unlock").latest("id")
    assert event.reason == "called the help desk, identity checked"
    assert json.loads(event.before)["locked_from"] == [DESK]
    assert (
        client.post("/accounts/login/", {"username": "qa2", "password": qa.raw_password}).status_code == 302
    )


def test_unlock_needs_administrator_and_reason(make_user):
    from evqms.errors import InputError, PermissionDenied

    admin = make_user("admin2", "administrator")
    qa = make_user("qa3", "qa_reviewer")
    with pytest.raises(PermissionDenied):
        services.unlock_user(actor=qa, user=admin, reason="x")
    with pytest.raises(InputError):
        services.unlock_user(actor=admin, user=qa, reason="  ")
