import io
import json

import pytest
from django.contrib.auth import get_user_model

from evqms.cli import main

pytestmark = pytest.mark.django_db


def _create(monkeypatch, *argv, password="long-enough-password-1"):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["users", "create", *argv, "--password-stdin"])


def test_create_and_list_users(monkeypatch, capsys):
    assert (
        _create(
            monkeypatch, "alice", "--role", "qa_reviewer", "--role", "auditor", "--printed-name", "Alice A."
        )
        == 0
    )
    capsys.readouterr()
    assert main(["users", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    alice = next(r for r in rows if r["username"] == "alice")
    assert alice["roles"] == ["auditor", "qa_reviewer"] and alice["printed_name"] == "Alice A."
    assert get_user_model().objects.get(username="alice").check_password("long-enough-password-1")
    monkeypatch.setenv("EVQMS_LANG", "en")  # main() writes --lang into the environment
    assert main(["--lang", "ja", "users", "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("alice"))
    assert "監査担当者 (auditor), QA照査者 (qa_reviewer)" in line and "Alice A." in line


@pytest.mark.parametrize(
    "argv,password,needle",
    [
        (["bob", "--role", "wizard"], "long-enough-password-1", "wizard"),
        (["bob", "--role", "operator"], "short", "password"),
    ],
)
def test_bad_input_exits_2_with_one_line(monkeypatch, capsys, argv, password, needle):
    assert _create(monkeypatch, *argv, password=password) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err
    assert not get_user_model().objects.filter(username="bob").exists()


def test_duplicate_user_is_refused(monkeypatch, capsys):
    assert _create(monkeypatch, "carol", "--role", "operator") == 0
    assert _create(monkeypatch, "carol", "--role", "operator") == 2
    assert "already exists" in capsys.readouterr().err


def test_password_is_never_an_argument():
    with pytest.raises(SystemExit) as exc:
        main(["users", "create", "dave", "--role", "operator", "--password", "x"])
    assert exc.value.code == 2


def test_login_lockout_after_five_failures(client, make_user):
    make_user("eve", "operator", password="eve-correct-password-1")
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "eve", "password": "wrong"})
        assert response.status_code in (200, 429)
    response = client.post("/accounts/login/", {"username": "eve", "password": "eve-correct-password-1"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_service_refuses_user_creation_without_admin_role(make_user):
    from evqms.accounts import services
    from evqms.errors import PermissionDenied

    operator = make_user("op", "operator")
    with pytest.raises(PermissionDenied):
        services.create_user(
            actor=operator, username="x", password="long-enough-password-1", role_names=["operator"]
        )
