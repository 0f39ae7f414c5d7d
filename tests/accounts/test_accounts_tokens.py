"""API tokens: stored hashed, expire, listed and revoked by their owner and by an administrator;
a deactivated or locked account's token stops at once."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from evqms.accounts import services
from evqms.accounts.models import ApiToken
from evqms.audit.models import AuditEvent
from evqms.errors import InputError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db

API = "/api/v1/clinical/administrations/"


def _get(client, secret, url=API, **extra):
    return client.get(url, HTTP_AUTHORIZATION=f"Token {secret}", **extra)


def _obtain(client, user, **data):
    response = client.post(
        "/api/v1/token/",
        {"username": user.username, "password": user.raw_password, **data},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_token_is_stored_as_sha256_only(client, make_user):
    qa = make_user("qa1", "qa_reviewer")
    body = _obtain(client, qa, name="LIMS export")
    secret = body["token"]
    row = ApiToken.objects.get(user=qa)
    # The secret appears nowhere in the row: only its SHA-256 (hashlib, not the code under test) and a prefix.
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(
        [str(v) for v in ApiToken.objects.filter(pk=row.pk).values().first().values()]
    )
    assert secret.startswith(row.prefix) and len(row.prefix) < len(secret) // 3
    assert _get(client, secret).status_code == 200
    assert _get(client, secret[:-1] + ("A" if secret[-1] != "A" else "B")).status_code == 401
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(row.pk)).exists()


def test_token_expires_after_the_configured_days(client, make_user, settings):
    settings.EVQMS_TOKEN_DAYS = 7
    qa = make_user("qa2", "qa_reviewer")
    token, secret = services.create_token(actor=qa, name="short")
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    with pytest.raises(InputError) as exc:
        services.create_token(actor=qa, days=8)
    assert exc.value.where == "days" and "7" in exc.value.message
    assert _get(client, secret).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _get(client, secret)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_owner_revokes_own_token_and_it_stops(client, make_user):
    qa = make_user("qa3", "qa_reviewer")
    other = make_user("qa4", "qa_reviewer")
    token, secret = services.create_token(actor=qa)
    with pytest.raises(PermissionDenied):  # someone else's token: only an administrator
        services.revoke_token(actor=other, token=token, reason="x")
    services.revoke_token(actor=qa, token=token)
    assert _get(client, secret).status_code == 401
    with pytest.raises(RuleViolation):
        services.revoke_token(actor=qa, token=token)
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()


def test_administrator_revokes_with_reason(client, make_user):
    admin = make_user("admin1", "administrator")
    qa = make_user("qa5", "qa_reviewer")
    token, secret = services.create_token(actor=qa)
    with pytest.raises(InputError):
        services.revoke_token(actor=admin, token=token, reason="")
    services.revoke_token(actor=admin, token=token, reason="laptop stolen")
    token.refresh_from_db()
    assert token.revoked_by == admin and token.revoke_reason == "laptop stolen"
    assert _get(client, secret).status_code == 401


def test_deactivated_accounts_token_stops_at_once(client, make_user):
    admin = make_user("admin2", "administrator")
    qa = make_user("qa6", "qa_reviewer")
    _token, secret = services.create_token(actor=qa)
    assert _get(client, secret).status_code == 200
    services.deactivate_user(actor=admin, user=qa, reason="left the clinic")
    response = _get(client, secret)
    assert response.status_code == 401 and "inactive" in response.json()["detail"]


def test_locked_accounts_token_stops_from_the_locked_address(client, make_user):
    qa = make_user("qa7", "qa_reviewer")
    _token, secret = services.create_token(actor=qa)
    for _ in range(5):
        client.post("/accounts/login/", {"username": "qa7", "password": "wrong"})
    response = _get(client, secret)
    assert response.status_code == 401 and "locked" in response.json()["detail"]


def test_drf_plain_tokens_are_gone(client, make_user):
    """The old `rest_framework.authtoken` keys are no longer accepted by any authentication class."""
    from django.conf import settings

    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert "rest_framework.authentication.TokenAuthentication" not in json.dumps(settings.REST_FRAMEWORK)


def test_migration_hashes_old_plain_tokens(make_user):
    """The migration's function turns each clear key into a hashed token and deletes the clear copy."""
    import importlib

    from django.apps import apps
    from django.db import connection

    qa = make_user("qa8", "qa_reviewer")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id bigint)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [key, timezone.now(), qa.pk],
        )
    migration = importlib.import_module("evqms.accounts.migrations.0003_api_tokens_hashed")
    editor = type("Editor", (), {"connection": connection})()  # what RunPython hands the function
    migration.hash_old_tokens(apps, editor)
    token = services.token_for_secret(key)
    assert token is not None and token.user == qa and token.prefix == key[:8]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0


def test_token_request_answers_clearly(client, make_user):
    make_user("qa9", "qa_reviewer")
    bad = client.post(
        "/api/v1/token/", {"username": "qa9", "password": "nope"}, content_type="application/json"
    )
    assert bad.status_code == 401 and "wrong" in bad.json()["error"]
    missing = client.post("/api/v1/token/", {"username": "qa9"}, content_type="application/json")
    assert missing.status_code == 400
