"""Clinical services: patients are pseudonymised with a keyed hash, registered once."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat

import pytest
from django.conf import settings

from evqms.clinical import services
from evqms.clinical.models import Patient
from evqms.clinical.pseudonym import key_path
from evqms.errors import InputError


def test_patient_is_pseudonymised_with_a_keyed_hash(world):
    _op, doc, _lot, _a, patient = world
    key = bytes.fromhex(key_path().read_text().strip())
    assert patient.identity_hash == hmac.new(key, b"CHART-100", hashlib.sha256).hexdigest()
    assert stat.S_IMODE(os.stat(key_path()).st_mode) == 0o600
    assert str(key_path()).startswith(str(settings.EVQMS_HOME))
    stored = " ".join(str(v) for v in Patient.objects.values_list().get())
    assert "chart-100" not in stored.lower()
    with pytest.raises(InputError, match="already registered as P-100"):
        services.register_patient(actor=doc, code="P-101", clinic_identifier=" CHART-100 ")
