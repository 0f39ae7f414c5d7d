import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/audit/", "/admin/"])
def test_every_page_needs_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "login/" in response["Location"]


def test_api_needs_authentication(client):
    assert client.get("/api/v1/schema/").status_code in (401, 403)


def test_login_page_in_both_languages(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Log in" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "ja", "next": "/accounts/login/"})
    assert "ログイン" in client.get("/accounts/login/").content.decode()


def test_csrf_is_enforced_on_login():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_audit_trail_is_for_auditors_not_operators(client, make_user):
    operator = make_user("op", "operator")
    auditor = make_user("aud", "auditor")
    client.force_login(operator)
    assert client.get("/audit/").status_code == 403
    client.force_login(auditor)
    response = client.get("/audit/?object_type=user&verify=1")
    body = response.content.decode()
    assert response.status_code == 200
    assert "user.create" in body and 'id="verify-result"' in body


def test_audit_trail_filters_by_user(client, make_user):
    make_user("first", "operator")
    auditor = make_user("aud", "auditor")
    client.force_login(auditor)
    page = client.get("/audit/?actor=nobody-like-this").content.decode()
    assert "user.create" not in page


def test_dashboard_shows_the_user_and_roles(client, make_user):
    qa = make_user("qa", "qa_reviewer")
    client.force_login(qa)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/").content.decode()
    assert "Signed in as Qa" in body and ">QA reviewer<" in body and "qa_reviewer" not in body
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert ">QA照査者<" in client.get("/").content.decode()
