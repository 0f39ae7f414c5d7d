"""The keyed hash that recognises a patient without storing who they are.

HMAC-SHA256 with a per-installation key kept in EVQMS_HOME/patient_key (created on first use,
mode 600, never in the repository or the database). The clinic's identifier (e.g. its chart
number) is normalised first so that "  ab-123 " and "AB-123" are the same person.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path

from django.conf import settings


def key_path() -> Path:
    return Path(settings.EVQMS_HOME) / "patient_key"


def _key() -> bytes:
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def normalise(identifier: str) -> str:
    return unicodedata.normalize("NFKC", identifier or "").strip().upper()


def identity_hash(identifier: str) -> str:
    return hmac.new(_key(), normalise(identifier).encode("utf-8"), hashlib.sha256).hexdigest()
