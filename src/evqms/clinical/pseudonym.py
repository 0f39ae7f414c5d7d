"""The keyed hash that recognises a patient without storing who they are.

HMAC-SHA256 with a per-installation key kept in EVQMS_HOME/patient_key (created on first use,
mode 600, never in the repository or the database; a missing key while patients exist is an
error, never a reason to make a new one). The clinic's identifier (e.g. its chart
number) is normalised first so that "  ab-123 " and "AB-123" are the same person.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from pathlib import Path

from django.conf import settings

from evqms.core import keyfile


def key_path() -> Path:
    return Path(settings.EVQMS_HOME) / "patient_key"


def _key() -> bytes:
    return bytes.fromhex(
        keyfile.read_or_create(key_path(), before_create=_refuse_new_key_over_existing_patients)
    )


def _refuse_new_key_over_existing_patients(path: Path) -> None:
    """A new key cannot recognise anyone registered under the old one: the same person would come
    back as a new patient. A missing key with patients on record is a lost key (a restore without
    it, a wrong EVQMS_HOME), never a first use."""
    from evqms.clinical.models import Patient
    from evqms.errors import RuleViolation
    from evqms.i18n import _

    count = Patient.objects.count()
    if count:
        raise RuleViolation(
            _(
                "the patient key {path} is missing but {n} patients are registered: a new key would not "
                "recognise them. Restore the key from the backup (evqms restore) or point EVQMS_HOME at it."
            ).format(path=path, n=count)
        )


def normalise(identifier: str) -> str:
    return unicodedata.normalize("NFKC", identifier or "").strip().upper()


def identity_hash(identifier: str) -> str:
    return hmac.new(_key(), normalise(identifier).encode("utf-8"), hashlib.sha256).hexdigest()
