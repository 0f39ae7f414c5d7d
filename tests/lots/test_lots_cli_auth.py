"""Commands that write records authenticate the person: `evqms lots import-qc FILE --as USER` needs USER's
password (stdin or a prompt), counts a wrong one as a failed login (django-axes), refuses a locked
account, and records the authenticated person as the actor."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from evqms.accounts import cli_auth
from evqms.audit.models import AuditEvent
from evqms.cli import main
from evqms.lots.models import QCResult

pytestmark = pytest.mark.django_db

CSV = """lot,attribute,value,unit,text_value,method,tested_at,analyst,positive_control,negative_control,positive_recovery
UCEV-T-001,particle_concentration,2.5E+06,particles/uL,,NTA,2024-06-01T10:30,,,,
UCEV-T-001,modal_size,121,nm,,NTA,2024-06-01T10:30,,,,
UCEV-T-001,cd63,,,positive,Western blot,2024-06-01,,,,
UCEV-T-001,endotoxin,0.12,EU/mL,,LAL,2024-06-02 09:00,,,not detected,95
UCEV-T-001,sterility,,,no growth,JP 4.06,2024-06-14,,detected,not detected,
"""


class FakeTty(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def setup(world, tmp_path):
    lot = world.manufacture(world.new_lot("UCEV-T-001"))
    path = tmp_path / "results.csv"
    path.write_text(CSV)
    return world, lot, path


def run(path, monkeypatch, stdin_text, *extra, user="qc1"):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin_text))
    return main(["lots", "import-qc", str(path), "--as", user, *extra])


def one_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_the_right_password_records_the_authenticated_person(setup, monkeypatch, capsys):
    world, lot, path = setup
    assert run(path, monkeypatch, world.analyst.raw_password + "\n", "--password-stdin") == 0
    results = QCResult.objects.filter(lot=lot)
    assert results.count() == 5
    assert {r.analyst.username for r in results} == {"qc1"}
    actors = set(
        AuditEvent.objects.filter(action="qc_result.record").values_list("actor__username", flat=True)
    )
    assert actors == {"qc1"}


def test_without_the_password_nothing_is_recorded(setup, monkeypatch, capsys):
    world, lot, path = setup
    # the old impersonation: --as with no password at all (stdin is not a terminal here)
    assert run(path, monkeypatch, "") == 2
    line = one_line(capsys.readouterr().err)
    assert "--password-stdin" in line
    assert run(path, monkeypatch, "wrong-password\n", "--password-stdin") == 2
    line = one_line(capsys.readouterr().err)
    assert "password is wrong" in line and "nothing was recorded" in line
    assert QCResult.objects.filter(lot=lot).count() == 0
    # someone else's name with one's own password is no better
    world.analyst2.set_password("qc2-own-secret-77")
    world.analyst2.save()
    assert run(path, monkeypatch, world.analyst.raw_password + "\n", "--password-stdin", user="qc2") == 2
    assert QCResult.objects.filter(lot=lot).count() == 0


def test_a_wrong_password_counts_as_a_failed_login_and_locks_the_account(
    setup, monkeypatch, capsys, settings
):
    from axes.models import AccessAttempt

    world, lot, path = setup
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert run(path, monkeypatch, "nope\n", "--password-stdin") == 2
    attempt = AccessAttempt.objects.get(username="qc1")
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    capsys.readouterr()
    # now locked: even the right password is refused, from the command line ...
    assert run(path, monkeypatch, world.analyst.raw_password + "\n", "--password-stdin") == 2
    assert "locked" in one_line(capsys.readouterr().err)
    assert QCResult.objects.filter(lot=lot).count() == 0
    # ... and on the web (the same lockout)
    from django.test import Client

    response = Client().post("/accounts/login/", {"username": "qc1", "password": world.analyst.raw_password})
    assert not response.wsgi_request.user.is_authenticated


def test_an_inactive_account_is_refused(setup, monkeypatch, capsys):
    world, lot, path = setup
    world.analyst.is_active = False
    world.analyst.save()
    assert run(path, monkeypatch, world.analyst.raw_password + "\n", "--password-stdin") == 2
    assert QCResult.objects.filter(lot=lot).count() == 0


def test_the_prompt_on_a_terminal(setup, monkeypatch):
    world, lot, path = setup

    class Args:
        username = "qc1"
        password_stdin = False

    asked = []

    def ask(prompt):
        asked.append(prompt)
        return world.analyst.raw_password

    user = cli_auth.authenticated_actor(Args, stdin=FakeTty(""), ask=ask)
    assert user.pk == world.analyst.pk
    assert len(asked) == 1 and "qc1" in asked[0]


def test_refusal_in_japanese(setup, monkeypatch, capsys):
    world, lot, path = setup
    monkeypatch.setenv("EVQMS_LANG", "ja")
    try:
        assert run(path, monkeypatch, "nope\n", "--password-stdin") == 2
    finally:
        translation.activate("en")
    line = one_line(capsys.readouterr().err)
    assert "パスワードが違います" in line and "何も記録していません" in line
