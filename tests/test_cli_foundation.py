"""The `evqms` command as a user runs it: help, bad arguments, demo set-up, production checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from evqms.cli import main

EVQMS = [sys.executable, "-m", "evqms.cli"]


def test_help_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "evqms demo" in capsys.readouterr().out


def test_unknown_command_exits_2_with_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def _env(home: Path, **extra) -> dict:
    dropped = (
        "DATABASE_URL",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "EVQMS_LANG",
        "EVQMS_TESTING_FAST_INSECURE_HASHER",
    )
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(EVQMS_HOME=str(home), **extra)
    return env


def test_demo_no_serve_creates_database_prints_logins_and_is_idempotent(tmp_path):
    first = subprocess.run(
        [*EVQMS, "demo", "--no-serve"], env=_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert "http://127.0.0.1:8000/" in first.stdout
    assert "qa " in first.stdout and (tmp_path / "evqms.sqlite3").exists()
    assert oct((tmp_path / "demo-logins.json").stat().st_mode & 0o777) == "0o600"
    second = subprocess.run(
        [*EVQMS, "demo", "--no-serve"], env=_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert second.returncode == 0, second.stderr
    assert first.stdout.splitlines()[-9:] == second.stdout.splitlines()[-9:]  # same logins, nothing doubled
    verify = subprocess.run([*EVQMS, "audit", "verify"], env=_env(tmp_path), capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    env = _env(
        tmp_path,
        EVQMS_MODE="production",
        EVQMS_SECRET_KEY=secrets.token_urlsafe(64),
        EVQMS_ALLOWED_HOSTS="evqms.example.org",
    )
    result = subprocess.run(
        [*EVQMS, "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_test_only_fast_hasher(tmp_path):
    env = _env(
        tmp_path,
        EVQMS_MODE="production",
        EVQMS_SECRET_KEY=secrets.token_urlsafe(64),
        EVQMS_ALLOWED_HOSTS="evqms.example.org",
        EVQMS_TESTING_FAST_INSECURE_HASHER="1",
    )
    result = subprocess.run([*EVQMS, "manage", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "never production" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _env(tmp_path, EVQMS_MODE="production")
    env.pop("EVQMS_SECRET_KEY", None)
    result = subprocess.run([*EVQMS, "manage", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "EVQMS_SECRET_KEY" in result.stderr
