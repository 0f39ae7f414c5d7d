"""EVQMS_HOME is this account's only: folders 0700, the database, keys and kept files 0600."""

import os
import stat
import subprocess
import sys

import pytest


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_fresh_home_its_database_and_keys_are_private(tmp_path):
    home = tmp_path / "fresh" / "home"
    env = {**os.environ, "EVQMS_HOME": str(home), "EVQMS_AUDIT_CHECKPOINTS": "on"}
    env.pop("DATABASE_URL", None)
    script = (
        "import os; os.umask(0o022); import django; os.environ['DJANGO_SETTINGS_MODULE'] = 'evqms.settings'; "
        "django.setup(); from django.db import connection; connection.ensure_connection(); "
        "connection.cursor().execute('CREATE TABLE t (x)'); "
        "from evqms.audit import checkpoints; import datetime as dt; "
        "checkpoints.append(checkpoints.make(1, '0' * 64, dt.datetime.now(dt.UTC)))"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert _mode(home) == 0o700
    for name in ("evqms.sqlite3", "secret_key", "audit-checkpoint.key", "audit-checkpoints.log"):
        assert _mode(home / name) == 0o600, name


def test_an_existing_open_home_and_database_are_closed(tmp_path):
    from evqms.settings import _private_home

    home = tmp_path / "old"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    (home / "evqms.sqlite3").write_bytes(b"")
    (home / "evqms.sqlite3").chmod(0o644)
    (home / "patient_key").write_text("k")
    (home / "patient_key").chmod(0o644)
    _private_home(home)
    assert _mode(home) == 0o700
    assert _mode(home / "evqms.sqlite3") == 0o600 and _mode(home / "patient_key") == 0o600


@pytest.mark.django_db
def test_kept_files_and_their_folders_are_private(settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path / "files")
    name = storage.save("imports/2026/qc.csv", ContentFile(b"a,b\n"))
    assert _mode(storage.path(name)) == 0o600
    assert _mode(tmp_path / "files" / "imports" / "2026") == 0o700
