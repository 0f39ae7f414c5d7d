"""Key files in EVQMS_HOME: made whole or not at all, never replaced, an empty one never taken for a
key (the patient pseudonym key, the audit checkpoint key and the local secret key all use it)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from django.db import transaction

from evqms.core import keyfile
from evqms.errors import RuleViolation


def test_a_key_is_made_once_with_mode_600_and_kept(tmp_path):
    path = tmp_path / "home" / "some_key"
    first = keyfile.read_or_create(path)
    assert len(bytes.fromhex(first)) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keyfile.read_or_create(path, make=lambda: "ff" * 32) == first
    assert [p.name for p in path.parent.iterdir()] == ["some_key"]  # no temporary file left


def test_the_key_file_appears_only_whole(tmp_path):
    """Another process reading while the key is made finds no file or the whole key, never an
    empty file (which the earlier open-then-write let it read, and use as a key)."""
    path = tmp_path / "some_key"
    seen = []

    def make():
        seen.append(path.exists())
        return "ab" * 32

    assert keyfile.read_or_create(path, make=make) == "ab" * 32
    assert seen == [False]


def test_a_key_linked_first_by_another_process_is_the_one_used(tmp_path):
    path = tmp_path / "some_key"

    def make():  # the other process finishes its key while this one is making its own
        path.write_text("cd" * 32 + "\n")
        return "ab" * 32

    assert keyfile.read_or_create(path, make=make) == "cd" * 32
    assert path.read_text().strip() == "cd" * 32


def test_before_create_may_refuse_and_nothing_is_written(tmp_path):
    path = tmp_path / "some_key"

    def refuse(p):
        raise RuleViolation(f"{p} is lost")

    with pytest.raises(RuleViolation, match="is lost"):
        keyfile.read_or_create(path, before_create=refuse)
    assert not path.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_an_empty_patient_key_is_refused_not_used(settings, tmp_path):
    """Before: an empty patient_key (a write cut short) gave HMAC with an empty key, and every patient
    registered then got an identity no later key recognises."""
    from evqms.clinical import pseudonym

    settings.EVQMS_HOME = tmp_path
    (tmp_path / "patient_key").write_text("")
    with pytest.raises(keyfile.DamagedKey) as caught:
        pseudonym.identity_hash("AB-123")
    assert str(tmp_path / "patient_key") in str(caught.value)
    assert (tmp_path / "patient_key").read_text() == ""  # never replaced


@pytest.mark.django_db(transaction=True)
def test_an_empty_checkpoint_key_refuses_the_write_naming_the_file(settings, tmp_path):
    """Before: an empty key file was read as no key and the audited write failed with a TypeError."""
    from evqms.audit.services import record_event

    settings.AUDIT_CHECKPOINTS = True
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "checkpoints.log"
    settings.AUDIT_CHECKPOINT_KEY_FILE = tmp_path / "checkpoint.key"
    (tmp_path / "checkpoint.key").write_text("\n")
    with pytest.raises(keyfile.DamagedKey, match="checkpoint.key"), transaction.atomic():
        record_event(actor=None, action="test.x", object_type="t", object_id=1)
    from evqms.audit.models import AuditEvent

    assert not AuditEvent.objects.filter(action="test.x").exists()


def test_an_empty_local_secret_key_stops_the_start_naming_the_file(tmp_path):
    """Before: an empty secret_key gave SECRET_KEY = '' and a start that failed later, elsewhere."""
    (tmp_path / "secret_key").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("EVQMS_SECRET_KEY", "EVQMS_MODE")}
    env.update(EVQMS_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="evqms.settings", EVQMS_LANG="en")
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and str(tmp_path / "secret_key") in run.stderr
