"""The clinical lists' columns (evqms.core.listing): administrations, patients, adverse events.
A patient code is shown, on the page and in the export, only to a role that may read it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr, time_value


def _aliquots(row):
    return ", ".join(used.aliquot.container_id for used in row.used.all())


def _consents(row):
    out = []
    for consent in row.consents.all():
        day = consent.consented_on.isoformat() if consent.consented_on else ""
        out.append(f"{day} ({_('withdrawn')})" if consent.withdrawn_on else day)
    return ", ".join(out)


def _reads_patient_codes(user) -> bool:
    return bool(user and user.has_perm("clinical.view_patient_codes"))


ADMINISTRATIONS = Listing(
    "administrations",
    (
        Column("number", _("Number"), attr("number"), "number"),
        Column("administered_at", _("Administered at"), time_value("administered_at"), "administered_at"),
        Column("patient", _("Patient"), attr("patient.code"), "patient__code"),
        Column("aliquots", _("Aliquots"), _aliquots),
        Column("route", _("Route"), attr("get_route_display"), "route"),
        Column("dose", _("Dose (particles)"), attr("dose_particles"), "dose_particles"),
        Column("physician", _("Physician"), attr("physician.signature_name"), "physician__username"),
    ),
)

PATIENTS = Listing(
    "patients",
    (
        Column("code", _("Patient code"), attr("code"), "code"),
        Column("birth_year", _("Birth year"), attr("birth_year"), "birth_year"),
        Column("sex", _("Sex"), attr("get_sex_display"), "sex"),
        Column("consent", _("Consent date"), _consents),
        Column("hash", _("Keyed hash"), attr("identity_hash")),
    ),
)

ADVERSE_EVENTS = Listing(
    "adverse-events",
    (
        Column("number", _("Number"), attr("number"), "number"),
        Column("onset", _("Onset"), time_value("onset"), "onset"),
        Column("patient", _("Patient"), attr("patient.code"), "patient__code", show=_reads_patient_codes),
        Column(
            "administration", _("Administration"), attr("administration.number"), "administration__number"
        ),
        Column("grade", _("CTCAE grade"), attr("ctcae_grade"), "ctcae_grade"),
        Column("serious", _("Serious"), attr("serious"), "serious"),
        Column("outcome", _("Outcome"), attr("get_outcome_display"), "outcome"),
    ),
)
