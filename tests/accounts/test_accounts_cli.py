"""`evqms users deactivate|activate|unlock|set-role`: the administrator proves who they are; each
action is audited with its reason."""

import io
import json

import pytest
from django.contrib.auth import get_user_model

from evqms.audit.models import AuditEvent
from evqms.cli import main

pytestmark = pytest.mark.django_db


def _run(monkeypatch, *argv, password):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["users", *argv, "--password-stdin"])


def test_deactivate_and_activate_with_reason(monkeypatch, capsys, make_user):
    admin = make_user("admin1", "administrator")
    make_user("qa1", "qa_reviewer")
    code = _run(
        monkeypatch,
        "deactivate",
        "qa1",
        "--reason",
        "left the clinic",
        "--as",
        "admin1",
        password=admin.raw_password,
    )
    assert code == 0, capsys.readouterr().err
    assert not get_user_model().objects.get(username="qa1").is_active
    event = AuditEvent.objects.filter(action="user.deactivate").latest("id")
    assert event.reason == "left the clinic" and event.actor_id == admin.pk
    assert json.loads(event.after)["is_active"] is False
    assert (
        _run(
            monkeypatch, "activate", "qa1", "--reason", "back", "--as", "admin1", password=admin.raw_password
        )
        == 0
    )
    assert get_user_model().objects.get(username="qa1").is_active


def test_wrong_admin_password_changes_nothing(monkeypatch, capsys, make_user):
    make_user("admin2", "administrator")
    make_user("qa2", "qa_reviewer")
    assert _run(monkeypatch, "deactivate", "qa2", "--reason", "x", "--as", "admin2", password="wrong") != 0
    assert get_user_model().objects.get(username="qa2").is_active
    assert not AuditEvent.objects.filter(action="user.deactivate").exists()


def test_non_administrator_is_refused(monkeypatch, capsys, make_user):
    qa = make_user("qa3", "qa_reviewer")
    make_user("op3", "operator")
    assert (
        _run(monkeypatch, "deactivate", "op3", "--reason", "x", "--as", "qa3", password=qa.raw_password) != 0
    )
    assert "manage_users" in capsys.readouterr().err
    assert get_user_model().objects.get(username="op3").is_active


def test_set_role_and_unlock(monkeypatch, capsys, make_user, client):
    admin = make_user("admin4", "administrator")
    make_user("op4", "operator")
    code = _run(
        monkeypatch,
        "set-role",
        "op4",
        "--role",
        "qc_analyst",
        "--role",
        "operator",
        "--reason",
        "trained",
        "--as",
        "admin4",
        password=admin.raw_password,
    )
    assert code == 0
    assert get_user_model().objects.get(username="op4").role_names() == ["operator", "qc_analyst"]
    assert AuditEvent.objects.filter(action="user.set_roles", reason="trained").exists()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "op4", "password": "wrong"})
    capsys.readouterr()
    assert main(["users", "list", "--format", "json"]) == 0
    rows = {r["username"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["op4"]["locked"] is True
    assert (
        _run(
            monkeypatch,
            "unlock",
            "op4",
            "--reason",
            "identity checked",
            "--as",
            "admin4",
            password=admin.raw_password,
        )
        == 0
    )
    assert AuditEvent.objects.filter(action="user.unlock", reason="identity checked").exists()
    assert main(["users", "list", "--format", "json"]) == 0
    capsys.readouterr()


def test_reason_is_required_and_unknown_user_exits_2(monkeypatch, capsys, make_user):
    admin = make_user("admin5", "administrator")
    with pytest.raises(SystemExit):
        main(["users", "deactivate", "x", "--as", "admin5", "--password-stdin"])
    assert "--reason" in capsys.readouterr().err
    assert (
        _run(
            monkeypatch, "deactivate", "ghost", "--reason", "x", "--as", "admin5", password=admin.raw_password
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "ghost" in err and "\n" not in err.strip()


def test_administrator_cannot_deactivate_self_or_drop_own_admin_role(monkeypatch, capsys, make_user):
    admin = make_user("admin6", "administrator")
    assert (
        _run(
            monkeypatch,
            "deactivate",
            "admin6",
            "--reason",
            "x",
            "--as",
            "admin6",
            password=admin.raw_password,
        )
        == 2
    )
    assert "own account" in capsys.readouterr().err
    assert get_user_model().objects.get(username="admin6").is_active
    code = _run(
        monkeypatch,
        "set-role",
        "admin6",
        "--role",
        "operator",
        "--reason",
        "x",
        "--as",
        "admin6",
        password=admin.raw_password,
    )
    assert code == 2
    assert "administrator" in get_user_model().objects.get(username="admin6").role_names()
