"""`evqms backup`, `backup verify` and `restore` as a user runs them, with audit checkpoints on
(the test suite switches them off for its own database): the archive's checkpoint file never names
events its database lacks, so a restored installation verifies against its checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

EVQMS = [sys.executable, "-m", "evqms.cli"]


def _env(home) -> dict:
    dropped = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "EVQMS_AUDIT_CHECKPOINTS", "EVQMS_LANG")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(EVQMS_HOME=str(home), EVQMS_LANG="en")
    return env


def _run(home, *args, stdin: str | None = None):
    return subprocess.run(
        [*EVQMS, *args], env=_env(home), input=stdin, capture_output=True, text=True, timeout=300
    )


def _create_user(home, name):
    result = _run(
        home, "users", "create", name, "--role", "qa_reviewer", "--password-stdin", stdin="a-long-pass-1\n"
    )
    assert result.returncode == 0, result.stderr


def test_backup_verify_restore_round_trip_with_checkpoints(tmp_path):
    home = tmp_path / "home"
    assert _run(home, "manage", "migrate", "-v0").returncode == 0
    _create_user(home, "alice")
    keys_before = sorted(
        p.name for p in home.iterdir() if p.is_file() and not p.name.startswith("evqms.sqlite3")
    )
    assert any("checkpoint" in name for name in keys_before), keys_before

    archive = tmp_path / "backups" / "one.tar"
    made = _run(home, "backup", "-o", str(archive))
    assert made.returncode == 0, made.stderr
    assert "backup written" in made.stdout
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {f"home/{name}" for name in keys_before} <= names

    _create_user(home, "bob")  # the live installation moves on: more events, more checkpoints

    checked = _run(home, "backup", "verify", str(archive), "--format", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["ok"] is True

    restored = tmp_path / "restored"
    result = _run(restored, "restore", str(archive))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit trail and kept files verified" in result.stdout
    users = json.loads(_run(restored, "users", "list", "--format", "json").stdout)
    assert [u["username"] for u in users] == ["alice"]
    verify = _run(restored, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # The restored installation is usable: it records on and still verifies.
    _create_user(restored, "carol")
    assert _run(restored, "audit", "verify").returncode == 0

    again = _run(restored, "restore", str(archive))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_backup_and_restore_speak_japanese(tmp_path):
    home = tmp_path / "home"
    assert _run(home, "manage", "migrate", "-v0").returncode == 0
    env = {**_env(tmp_path / "elsewhere"), "EVQMS_LANG": "ja"}
    missing = subprocess.run(
        [*EVQMS, "restore", str(tmp_path / "nope.tar")], env=env, capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("evqms: エラー:") and "ファイルが見つかりません" in missing.stderr
