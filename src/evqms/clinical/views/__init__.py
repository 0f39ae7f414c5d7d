"""Clinical pages, one module per part: administrations, patients and adverse events; outcomes;
safety reports."""

from evqms.clinical.views.administrations import (
    administration_create,
    administration_detail,
    administration_list,
    adverse_event_create,
    adverse_event_detail,
    adverse_event_list,
    patient_list,
    plan_visits,
)
from evqms.clinical.views.outcomes import baseline_create, instrument_uses, visit_detail, visit_list
from evqms.clinical.views.safety import safety_report_detail, safety_report_list

__all__ = [
    "administration_create",
    "administration_detail",
    "administration_list",
    "adverse_event_create",
    "adverse_event_detail",
    "adverse_event_list",
    "baseline_create",
    "instrument_uses",
    "patient_list",
    "plan_visits",
    "safety_report_detail",
    "safety_report_list",
    "visit_detail",
    "visit_list",
]
