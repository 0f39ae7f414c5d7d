"""How the audit trail finds patients, administrations and adverse events (see audit/keys.py).

A patient's history holds their administrations and adverse events; an administration's its
adverse events (its visits and evaluations are events on the administration); an aliquot's the
administration that used it."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import (
    children_by,
    int_ids,
    names_by,
    register_area,
    register_children,
    register_key,
    register_record,
    resolve_by,
)
from evqms.clinical.models import AdministeredAliquot, Administration, AdverseEvent, Patient, SafetyReport

register_area("clinical", label=_("Clinical"))
register_record("patient", label=_("Patient"), area="clinical", names=names_by(Patient, "code"))
register_record(
    "administration",
    label=_("Administration"),
    area="clinical",
    names=names_by(Administration, "number"),
    url_name="clinical:administration-detail",
)
register_record(
    "adverse_event",
    label=_("Adverse event"),
    area="clinical",
    names=names_by(AdverseEvent, "number"),
    url_name="clinical:adverse-event-detail",
)
register_record(
    "safety_report",
    label=_("Safety report"),
    area="clinical",
    names=names_by(SafetyReport, "number"),
    url_name="clinical:safety-report-detail",
)
register_record("instrument_use", label=_("Outcome instrument in use"), area="clinical")
register_key("patient", label=_("Patient code"), object_type="patient", resolve=resolve_by(Patient, "code"))
register_key(
    "administration",
    label=_("Administration number"),
    object_type="administration",
    resolve=resolve_by(Administration, "number"),
)
register_key(
    "adverse_event",
    label=_("Adverse event number"),
    object_type="adverse_event",
    resolve=resolve_by(AdverseEvent, "number"),
)
register_children("patient", children_by(Administration, "patient_id", "administration"))
register_children("patient", children_by(AdverseEvent, "patient_id", "adverse_event"))
register_children("administration", children_by(AdverseEvent, "administration_id", "adverse_event"))
register_children("adverse_event", children_by(SafetyReport, "adverse_event_id", "safety_report"))


def _administrations_of_aliquots(ids):
    rows = AdministeredAliquot.objects.filter(aliquot_id__in=int_ids(ids)).order_by()
    return [("administration", pk) for pk in rows.values_list("administration_id", flat=True).distinct()]


register_children("aliquot", _administrations_of_aliquots)
