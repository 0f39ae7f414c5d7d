"""Writes for clinical records: patients, consent, administrations, adverse events, investigations.

Every function checks the role, validates everything before writing, runs in one transaction
(aliquot rows locked), and writes its audit events there: a refusal leaves nothing behind.
"""

from evqms.clinical.services.administrations import PARTICLE_UNITS, PROTEIN_UNITS, record_administration
from evqms.clinical.services.adverse_events import (
    record_adverse_event,
    record_sample_test,
    update_investigation,
)
from evqms.clinical.services.patients import get_patient, record_consent, register_patient

__all__ = [
    "PARTICLE_UNITS",
    "PROTEIN_UNITS",
    "get_patient",
    "record_administration",
    "record_adverse_event",
    "record_consent",
    "record_sample_test",
    "register_patient",
    "update_investigation",
]
