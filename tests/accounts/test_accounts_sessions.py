"""A signed-in session stops at the next request once the account is deactivated, locked or idle."""

import time

import pytest

from evqms.accounts import services
from evqms.accounts.middleware import LAST_SEEN

pytestmark = pytest.mark.django_db


def _login(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": user.raw_password})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_deactivated_session_is_refused_at_the_next_request(client, make_user):
    admin = make_user("admin1", "administrator")
    qa = make_user("qa1", "qa_reviewer")
    _login(client, qa)
    services.deactivate_user(actor=admin, user=qa, reason="left")
    response = client.get("/lots/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # The API with the session cookie is refused too.
    assert client.get("/api/v1/clinical/administrations/").status_code in (401, 403)


def test_session_api_call_refused_after_deactivation(client, make_user):
    admin = make_user("admin2", "administrator")
    qa = make_user("qa2", "qa_reviewer")
    _login(client, qa)
    assert client.get("/api/v1/clinical/administrations/").status_code == 200
    services.deactivate_user(actor=admin, user=qa, reason="left")
    assert client.get("/api/v1/clinical/administrations/").status_code in (401, 403)


def test_locked_session_is_signed_out(client, make_user):
    qa = make_user("qa3", "qa_reviewer")
    _login(client, qa)
    # Five wrong passwords from the same address (here: failed signature checks would count the same).
    other = client.__class__()
    for _ in range(5):
        other.post("/accounts/login/", {"username": "qa3", "password": "wrong"})
    response = client.get("/lots/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_idle_session_ends(client, make_user, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    qa = make_user("qa4", "qa_reviewer")
    _login(client, qa)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 61
    session.save()
    response = client.get("/lots/", follow=True)
    assert response.redirect_chain and "/accounts/login/" in response.redirect_chain[0][0]
    assert b"without activity" in response.content


def test_activity_and_ping_keep_the_session(client, make_user, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    qa = make_user("qa5", "qa_reviewer")
    _login(client, qa)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 50
    session.save()
    ping = client.post("/accounts/session/ping/")
    assert ping.status_code == 200 and ping.json()["idle_timeout"] == 60
    assert int(time.time()) - client.session[LAST_SEEN] <= 1
    assert client.get("/lots/").status_code == 200


def test_ping_without_session_is_not_ok(client):
    response = client.post("/accounts/session/ping/")
    assert response.status_code == 302


def test_base_page_carries_the_idle_settings(client, make_user, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    settings.SESSION_IDLE_WARNING = 300
    qa = make_user("qa6", "qa_reviewer")
    _login(client, qa)
    html = client.get("/").content.decode()
    assert 'data-idle-timeout="1800"' in html and 'data-idle-warning="300"' in html
    assert 'id="idle-warning"' in html and "web/session.js" in html


def _queries_on(table, client, method, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(path)
    return response, [q["sql"] for q in ctx.captured_queries if table in q["sql"]]


def test_a_signed_in_request_reads_no_lockout_record_while_the_account_was_never_locked(client, make_user):
    """The middleware runs on every request: the failed-login table is asked only for an account that
    django-axes has locked within the cool-off (the account row, read anyway, says so)."""
    qa = make_user("qa7", "qa_reviewer")
    _login(client, qa)
    response, axes_queries = _queries_on("axes_", client, "post", "/accounts/session/ping/")
    assert response.status_code == 200 and axes_queries == []
    response, group_queries = _queries_on('auth_group"."name', client, "get", "/accounts/tokens/")
    assert response.status_code == 200 and len(group_queries) == 1  # the roles, read once per request


def test_a_lock_from_the_command_line_signs_out_a_session_from_that_address(client, make_user):
    """A lock recorded outside the web (the CLI's password check, from 127.0.0.1 like the test client)
    stops the session at its next request too."""
    from evqms.accounts.cli_auth import authenticate_person
    from evqms.errors import PermissionDenied

    qa = make_user("qa8", "qa_reviewer")
    _login(client, qa)
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            authenticate_person("qa8", "wrong")
    response = client.get("/lots/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_after_unlock_the_session_works_and_reads_no_lockout_record(client, make_user):
    admin = make_user("admin9", "administrator")
    qa = make_user("qa9", "qa_reviewer")
    other = client.__class__()
    for _ in range(5):
        other.post("/accounts/login/", {"username": "qa9", "password": "wrong"})
    services.unlock_user(actor=admin, user=qa, reason="called the desk")
    _login(client, qa)
    response, axes_queries = _queries_on("axes_", client, "post", "/accounts/session/ping/")
    assert response.status_code == 200 and axes_queries == []


def test_a_token_call_reads_no_lockout_record_while_the_account_was_never_locked(make_user):
    from django.test import Client

    qa = make_user("qa10", "qa_reviewer")
    _token, secret = services.create_token(actor=qa)
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    api.get("/api/v1/clinical/administrations/")  # the first call marks the token used
    response, axes_queries = _queries_on("axes_", api, "get", "/api/v1/clinical/administrations/")
    assert response.status_code == 200 and axes_queries == []


def test_the_migration_notes_locks_recorded_before_it(client, make_user):
    """Accounts locked before the note existed are checked on each request all the same."""
    import importlib

    from django.apps import apps

    from evqms.accounts.models import User

    qa = make_user("qa11", "qa_reviewer")
    _login(client, qa)
    other = client.__class__()
    for _ in range(5):
        other.post("/accounts/login/", {"username": "qa11", "password": "wrong"})
    User.objects.filter(pk=qa.pk).update(lock_possible_until=None)  # as before the migration
    importlib.import_module("evqms.accounts.migrations.0004_user_lock_possible_until").note_recorded_locks(
        apps, None
    )
    response = client.get("/lots/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
