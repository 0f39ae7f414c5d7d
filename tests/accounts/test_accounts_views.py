"""The "My tokens" page and the administrator's users page."""

import re

import pytest

from evqms.accounts.models import ApiToken
from evqms.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _login(client, user):
    assert (
        client.post(
            "/accounts/login/", {"username": user.username, "password": user.raw_password}
        ).status_code
        == 302
    )


def test_my_tokens_shows_the_secret_once_then_only_the_prefix(client, make_user):
    qa = make_user("qa1", "qa_reviewer")
    _login(client, qa)
    page = client.get("/accounts/tokens/")
    assert page.status_code == 200 and b"No tokens" in page.content
    made = client.post("/accounts/tokens/", {"name": "LIMS", "days": "10"})
    html = made.content.decode()
    secret = re.search(r'id="token-secret">([^<]+)<', html).group(1)
    assert (
        client.get("/api/v1/clinical/administrations/", HTTP_AUTHORIZATION=f"Token {secret}").status_code
        == 200
    )
    again = client.get("/accounts/tokens/").content.decode()
    token = ApiToken.objects.get(user=qa)
    assert secret not in again and token.prefix in again and "LIMS" in again
    client.post("/accounts/tokens/", {"action": "revoke", "token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert (
        client.get("/api/v1/clinical/administrations/", HTTP_AUTHORIZATION=f"Token {secret}").status_code
        == 401
    )


def test_my_tokens_refuses_too_many_days_on_the_field(client, make_user, settings):
    settings.EVQMS_TOKEN_DAYS = 30
    qa = make_user("qa2", "qa_reviewer")
    _login(client, qa)
    html = client.post("/accounts/tokens/", {"name": "x", "days": "31"}).content.decode()
    assert "1 to 30 days" in html and not ApiToken.objects.exists()


def test_cannot_revoke_someone_elses_token_from_my_page(client, make_user):
    from evqms.accounts import services

    qa = make_user("qa3", "qa_reviewer")
    other = make_user("qa4", "qa_reviewer")
    token, _secret = services.create_token(actor=other)
    _login(client, qa)
    assert client.post("/accounts/tokens/", {"action": "revoke", "token": token.pk}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_users_page_is_for_administrators(client, make_user):
    qa = make_user("qa5", "qa_reviewer")
    _login(client, qa)
    assert client.get("/accounts/users/").status_code == 403
    assert b"/accounts/users/" not in client.get("/").content


def test_users_page_lists_and_acts_with_reason(client, make_user):
    from evqms.accounts import services

    admin = make_user("admin1", "administrator")
    qa = make_user("qa6", "qa_reviewer")
    token, _secret = services.create_token(actor=qa)
    for _ in range(5):
        client.post("/accounts/login/", {"username": "qa6", "password": "wrong"}, REMOTE_ADDR="192.0.2.1")
    _login(client, admin)
    html = client.get("/accounts/users/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(r'<tr data-user="qa6">.*?</tr>', html, re.S).group(0)
    assert "QA reviewer" in row and "locked" in row
    detail = "/accounts/users/qa6/"
    refused = client.post(detail, {"action": "deactivate", "act-reason": ""})
    assert refused.status_code == 400
    qa.refresh_from_db()
    assert qa.is_active
    assert client.post(detail, {"action": "deactivate", "act-reason": "left"}).status_code == 302
    assert client.post(detail, {"action": "unlock", "act-reason": "phoned"}).status_code == 302
    assert (
        client.post(
            detail, {"action": "set-roles", "roles-roles": ["auditor"], "roles-reason": "moved"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            detail, {"action": "revoke-token", "revoke-token": token.pk, "revoke-reason": "left"}
        ).status_code
        == 302
    )
    qa.refresh_from_db()
    token.refresh_from_db()
    assert not qa.is_active and qa.role_names() == ["auditor"] and token.revoked_by == admin
    actions = set(
        AuditEvent.objects.filter(reason__in=["left", "phoned", "moved"]).values_list("action", flat=True)
    )
    assert actions == {"user.deactivate", "user.unlock", "user.set_roles", "api_token.revoke"}
    assert client.get("/accounts/users/nobody/").status_code == 404


def test_a_user_name_the_user_pages_cannot_address_is_refused(db):
    from evqms.accounts.services import create_user
    from evqms.errors import InputError

    with pytest.raises(InputError) as refused:
        create_user(actor=None, username="a/b", password="x-long-passphrase-9", role_names=["auditor"])
    assert refused.value.where == "username"


def test_users_page_reads_the_roles_of_all_users_at_once(client, make_user, django_assert_max_num_queries):
    """The page lists every account with its roles: one query for the roles, not one per account."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = make_user("admin-q", "administrator")
    client.force_login(admin)
    make_user("op-q1", "operator")
    assert client.get("/accounts/users/").status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert client.get("/accounts/users/").status_code == 200
    count = len(few)
    for i in range(2, 12):
        make_user(f"op-q{i}", "operator", "qc_analyst")
    assert client.get("/accounts/users/").status_code == 200
    with django_assert_max_num_queries(count):
        html = client.get("/accounts/users/").content.decode()
    assert html.count("op-q") >= 11


def test_revoking_my_token_flashes_the_outcome_and_a_second_revoke_is_refused(client, make_user):
    from django.contrib.messages import get_messages

    from evqms.accounts import services

    qa = make_user("qa-revoke", "qa_reviewer")
    token, _secret = services.create_token(actor=qa, name="LIMS")
    _login(client, qa)
    client.cookies["django_language"] = "en"
    for expected in (f"Token {token.prefix} revoked.", f"token {token.prefix} is already revoked"):
        response = client.post("/accounts/tokens/", {"action": "revoke", "token": token.pk})
        assert response.status_code == 302 and response.url == "/accounts/tokens/"
        assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
        client.get(response.url)  # shows, and so clears, the message
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1
