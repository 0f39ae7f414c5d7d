"""Writes for clinical records: patients, consent, administrations, adverse events, investigations,
outcome instruments, evaluations and visits, safety reports.

Every function checks the role, validates everything before writing, runs in one transaction
(aliquot rows locked), and writes its audit events there: a refusal leaves nothing behind.
"""

from evqms.clinical.services.administrations import PARTICLE_UNITS, PROTEIN_UNITS, record_administration
from evqms.clinical.services.adverse_events import (
    record_adverse_event,
    record_sample_test,
    update_investigation,
)
from evqms.clinical.services.evidence_reports import record_evidence_report
from evqms.clinical.services.outcomes import catalogue, disable_instrument, enable_instrument
from evqms.clinical.services.patients import get_patient, record_consent, register_patient
from evqms.clinical.services.safety import (
    mark_generated,
    record_ae_follow_up,
    record_submission,
    schedule_periodic_report,
)
from evqms.clinical.services.visits import (
    plan_visits_without_baseline,
    record_baseline,
    record_follow_up,
    record_missed_visit,
)

__all__ = [
    "PARTICLE_UNITS",
    "PROTEIN_UNITS",
    "catalogue",
    "disable_instrument",
    "enable_instrument",
    "get_patient",
    "mark_generated",
    "plan_visits_without_baseline",
    "record_ae_follow_up",
    "record_baseline",
    "record_evidence_report",
    "record_follow_up",
    "record_missed_visit",
    "record_submission",
    "schedule_periodic_report",
    "record_administration",
    "record_adverse_event",
    "record_consent",
    "record_sample_test",
    "register_patient",
    "update_investigation",
]
