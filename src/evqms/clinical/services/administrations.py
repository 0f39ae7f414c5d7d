"""Administrations: a patient receives aliquots, with the dose given or summed from the aliquots.

Everything is validated before the aliquot rows are locked and checked one by one (held, recalled,
not released, expired, not in stock, a route the product does not have); then the administration,
the aliquots' new state and the audit event are written in the one transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import is_physician, require
from evqms.audit.services import record_event
from evqms.clinical.models import AdministeredAliquot, Administration, Patient
from evqms.clinical.records import administration_record, visit_record
from evqms.clinical.services.patients import get_patient
from evqms.clinical.services.visits import plan_change_visits
from evqms.core.numbering import next_number
from evqms.dossier.models import ROUTES
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import Aliquot
from evqms.inventory.services import lock_aliquots, mark_administered, refuse_if_held

# Units a dose may be given in, with the factor to the stored unit (particles; micrograms of protein).
PARTICLE_UNITS = {
    "particles": Decimal(1),
    "1e8 particles": Decimal("1e8"),
    "1e9 particles": Decimal("1e9"),
    "1e10 particles": Decimal("1e10"),
    "1e11 particles": Decimal("1e11"),
}
PROTEIN_UNITS = {
    "ug": Decimal(1),
    "µg": Decimal(1),
    "μg": Decimal(1),
    "mg": Decimal(1000),
    "ng": Decimal("0.001"),
}


@transaction.atomic
def record_administration(
    *,
    actor,
    patient: Patient | str,
    aliquots: list[str],
    administered_at: dt.datetime,
    route: str,
    site: str = "",
    physician=None,
    dose=None,
    dose_unit: str = "particles",
    protein_dose=None,
    protein_unit: str = "ug",
    body_weight_kg=None,
    notes: str = "",
) -> Administration:
    """Record that `patient` received `aliquots` (container ids). Only released, unexpired, available
    (or reserved) aliquots of a lot that is not recalled can be administered. Without a dose, the
    aliquots' particle counts (and protein) are summed."""
    require(actor, "clinical.record_administration")
    patient = get_patient(patient) if isinstance(patient, str) else patient
    physician = _physician(physician or actor)
    if route not in dict(ROUTES):
        raise InputError(_("unknown route {route}").format(route=route), where="route")
    administered_at = _administration_time(administered_at)
    _require_consent(patient, administered_at)
    containers = _container_ids(aliquots)
    # Validate the dose first (no lock needed), then lock and check each aliquot.
    particles = _dose(dose, dose_unit, PARTICLE_UNITS, "dose")
    protein = _dose(protein_dose, protein_unit, PROTEIN_UNITS, "protein_dose")
    weight = _body_weight(body_weight_kg)
    locked = _locked_aliquots(containers)
    day = timezone.localtime(administered_at).date()
    for code in containers:
        _refuse_unless_administrable(locked.get(code), code, route=route, day=day)
    given = [locked[code] for code in containers]
    if particles is None:
        particles = _sum_known([a.particle_count for a in given])
    if protein is None:
        protein = _sum_known([a.protein_ug for a in given])
    adm = Administration.objects.create(
        number=next_number(Administration, "ADM-", width=6),
        patient=patient,
        physician=physician,
        administered_at=administered_at,
        route=route,
        site=site.strip(),
        dose_particles=particles,
        dose_protein_ug=protein,
        body_weight_kg=weight,
        dose_particles_per_kg=(particles / weight).quantize(Decimal(1)) if particles and weight else None,
        dose_protein_ug_per_kg=(protein / weight).quantize(Decimal("0.0001")) if protein and weight else None,
        notes=notes,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    for aliquot in given:
        AdministeredAliquot.objects.create(administration=adm, aliquot=aliquot)
        mark_administered(actor=actor, aliquot=aliquot, administration_number=adm.number)
    # an instrument that rates the change itself takes no baseline: its visits start from here
    visits = plan_change_visits(adm)
    after = administration_record(adm, containers)
    if visits:
        after["visits"] = [visit_record(v) for v in visits]
    record_event(
        actor=actor,
        action="administration.create",
        object_type="administration",
        object_id=adm.pk,
        after=after,
    )
    return adm


def _physician(user):
    if not is_physician(user):
        raise InputError(_("{user} is not a physician").format(user=user.get_username()), where="physician")
    return user


def _administration_time(administered_at: dt.datetime | None) -> dt.datetime:
    """The time as an aware datetime (a naive one is the facility's local time), never in the future
    (five minutes allowed for clocks that differ)."""
    if administered_at is None:
        raise InputError(_("the time of administration is required"), where="administered_at")
    if timezone.is_naive(administered_at):
        administered_at = timezone.make_aware(administered_at)
    if administered_at > timezone.now() + dt.timedelta(minutes=5):
        raise InputError(_("the time of administration is in the future"), where="administered_at")
    return administered_at


def _require_consent(patient: Patient, administered_at: dt.datetime) -> None:
    consent = patient.consents.filter(
        consented_on__lte=administered_at.date(), withdrawn_on__isnull=True
    ).exists()
    if not consent:
        raise RuleViolation(
            _("patient {code} has no consent on record for that date").format(code=patient.code)
        )


def _container_ids(aliquots: list[str]) -> list[str]:
    containers = [c.strip() for c in aliquots if c and c.strip()]
    if not containers:
        raise InputError(_("name at least one aliquot"), where="aliquots")
    if len(set(containers)) != len(containers):
        raise InputError(_("an aliquot is listed twice"), where="aliquots")
    return containers


def _number(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InputError(_("not a number: {value}").format(value=value), where=field) from None
    if not number.is_finite() or number <= 0:
        raise InputError(_("must be a positive number"), where=field)
    return number


def _dose(value, unit: str, units: dict[str, Decimal], field: str) -> Decimal | None:
    """The dose in the stored unit, or None when none was given."""
    if value is None or value == "":
        return None
    unit = (unit or "").strip()
    if unit not in units:
        raise InputError(
            _("unit {unit} is not a unit of this dose; use one of: {units}").format(
                unit=unit or "-", units=", ".join(units)
            ),
            where=field,
        )
    return _number(value, field) * units[unit]


def _body_weight(value) -> Decimal | None:
    if value in (None, ""):
        return None
    weight = _number(value, "body_weight_kg")
    if weight > 500:
        raise InputError(_("body weight out of range"), where="body_weight_kg")
    return weight


def _locked_aliquots(containers: list[str]) -> dict[str, Aliquot]:
    """The named aliquots that exist, by container id, their rows locked until the transaction ends."""
    rows = lock_aliquots(Aliquot.objects.filter(container_id__in=containers)).select_related(
        "lot", "lot__product", "location"
    )
    return {a.container_id: a for a in rows}


def _refuse_unless_administrable(aliquot: Aliquot | None, code: str, *, route: str, day: dt.date) -> None:
    """Raise unless `aliquot` may be given by `route` on the local date `day`; the message names the
    lot or the aliquot that forbids it."""
    if aliquot is None:
        raise InputError(_("unknown aliquot {code}").format(code=code), where="aliquots")
    lot = aliquot.lot
    refuse_if_held(aliquot, "administer")  # names the recall or hold that keeps it out of use
    if lot.status == "recalled":
        raise RuleViolation(
            _("lot {lot} is recalled: aliquot {code} must not be administered").format(
                lot=lot.number, code=code
            )
        )
    if lot.status != "released":
        raise RuleViolation(
            _("lot {lot} is not released ({status}): aliquot {code} cannot be administered").format(
                lot=lot.number, status=lot.status, code=code
            )
        )
    if lot.expiry and lot.expiry < day:
        raise RuleViolation(
            _("lot {lot} expired on {date}: aliquot {code} cannot be administered").format(
                lot=lot.number, date=lot.expiry.isoformat(), code=code
            )
        )
    if aliquot.status not in ("available", "reserved"):
        raise RuleViolation(
            _("aliquot {code} is {status}: it cannot be administered").format(
                code=code, status=aliquot.status
            )
        )
    if lot.product.routes and route not in lot.product.routes:
        raise RuleViolation(
            _("route {route} is not a route of product {product}").format(
                route=route, product=lot.product.code
            )
        )


def _sum_known(values: list) -> Decimal | None:
    """The sum when every aliquot states its amount, else None (a partial sum would understate the dose)."""
    return sum(values) if all(v is not None for v in values) else None
