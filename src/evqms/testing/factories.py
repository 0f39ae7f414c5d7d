"""Small builders of realistic upstream records for tests (plain ORM, no audit events).

Tests of an area build what lies upstream of it with these, then exercise that area's own
services. Names follow the demo: an umbilical-cord MSC small-EV product for knee osteoarthritis.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from evqms.dossier import models as d


def user(username: str = "factory-user", *roles: str):
    from django.contrib.auth.models import Group

    User = get_user_model()
    u, created = User.objects.get_or_create(username=username, defaults={"printed_name": username.title()})
    if created:
        u.set_password("correct-horse-battery-9")
        u.save()
    for r in roles:
        u.groups.add(Group.objects.get_or_create(name=r)[0])
    u.raw_password = "correct-horse-battery-9"
    return u


def product(code: str = "ucmsc-sev-oa", **kw) -> d.Product:
    defaults = dict(
        name="UC-MSC small EVs for knee osteoarthritis",
        ev_type="natural",
        source_cell_type="uc_msc",
        origin="allogeneic",
        indications="Knee osteoarthritis",
        routes=["intra_articular"],
        dose_unit="particles",
        # tests of retention samples turn the policy on; other areas' tests release without one
        retention_sample_required=False,
    )
    defaults.update(kw)
    return d.Product.objects.get_or_create(code=code, defaults=defaults)[0]


def donor(code: str = "D-0001") -> d.Donor:
    return d.Donor.objects.get_or_create(
        code=code, defaults={"consent_on": dt.date(2024, 1, 10), "eligibility": "eligible"}
    )[0]


def cell_bank(code: str = "MCB-001", *, kind: str = "MCB", donor_obj=None, parent=None, passage: int = 3):
    if donor_obj is None and parent is None:
        donor_obj = donor()
    return d.CellBank.objects.get_or_create(
        code=code,
        defaults=dict(
            kind=kind,
            donor=donor_obj,
            parent=parent,
            passage=passage,
            frozen_on=dt.date(2024, 2, 1),
            vials=50,
            status="available",
        ),
    )[0]


def material_lot(
    name: str = "Xeno-free MSC medium",
    lot_number: str = "XF-24-001",
    *,
    animal_species: str = "",
    kind: str = "basal_medium",
    grade: str = "gmp",
    status: str = "accepted",
    expiry: dt.date | None = None,
    is_biological: bool = False,
) -> d.MaterialLot:
    material = d.Material.objects.get_or_create(
        supplier="Acme Bio", catalogue_number=f"CAT-{name[:12]}", defaults=dict(name=name, kind=kind)
    )[0]
    return d.MaterialLot.objects.get_or_create(
        material=material,
        lot_number=lot_number,
        defaults=dict(
            expiry=expiry or dt.date.today() + dt.timedelta(days=365),
            received_on=dt.date(2024, 3, 1),
            animal_species=animal_species,
            grade=grade,
            acceptance_status=status,
            is_biological=is_biological,
        ),
    )[0]


def process(prod=None, version: int = 1, status: str = "approved") -> d.ProcessDefinition:
    prod = prod or product()
    proc, created = d.ProcessDefinition.objects.get_or_create(
        product=prod, version=version, defaults={"status": status}
    )
    if created:
        culture = d.ProcessStep.objects.create(
            process=proc, order=1, kind="culture", name="Culture in xeno-free medium"
        )
        d.ProcessParameter.objects.create(
            step=culture, name="Culture time", unit="h", low=Decimal("48"), high=Decimal("72"), critical=True
        )
        d.ProcessParameter.objects.create(
            step=culture,
            name="Confluence at harvest",
            unit="%",
            low=Decimal("70"),
            high=Decimal("90"),
            in_process_control=True,
        )
        purify = d.ProcessStep.objects.create(
            process=proc, order=2, kind="purification", name="TFF and SEC", method="TFF + SEC"
        )
        d.ProcessParameter.objects.create(
            step=purify,
            name="Transmembrane pressure",
            unit="bar",
            low=Decimal("0.2"),
            high=Decimal("1.0"),
            critical=True,
        )
        d.ProcessStep.objects.create(process=proc, order=3, kind="fill", name="Sterile filtration and fill")
    return proc


def specification(prod=None, version: int = 1, status: str = "approved") -> d.Specification:
    prod = prod or product()
    # A generous approved shelf life: the factory lots (made 2024-05-01, expiring a year from today) stay within it.
    spec, created = d.Specification.objects.get_or_create(
        product=prod,
        version=version,
        defaults={"status": status, "shelf_life_months": 60, "shelf_life_basis": "test stability data"},
    )
    if created:
        attrs = [
            dict(
                code="particle_concentration",
                name="Particle concentration",
                method="NTA",
                kind="quantitative",
                unit="particles/mL",
                lower=Decimal("1e9"),
                upper=Decimal("1e12"),
                is_cqa=True,
                guidance_items=["JSRM-3-R1"],
            ),
            dict(
                code="modal_size",
                name="Modal particle size",
                method="NTA",
                kind="quantitative",
                unit="nm",
                lower=Decimal("50"),
                upper=Decimal("200"),
                alert_upper=Decimal("180"),
                decimal_places=0,
                guidance_items=["JSRM-3-R1"],
            ),
            dict(
                code="cd63",
                name="CD63",
                method="Western blot",
                kind="qualitative",
                choices=["positive", "negative"],
                acceptable=["positive"],
                guidance_items=["JSRM-3-R1"],
            ),
            dict(
                code="endotoxin",
                name="Endotoxin",
                method="LAL kinetic",
                kind="quantitative",
                unit="EU/mL",
                upper=Decimal("0.5"),
                upper_inclusive=False,
                decimal_places=2,
            ),
            dict(
                code="sterility",
                name="Sterility",
                method="JP 4.06",
                kind="qualitative",
                choices=["no growth", "growth"],
                acceptable=["no growth"],
            ),
        ]
        for i, a in enumerate(attrs):
            d.SpecAttribute.objects.create(specification=spec, order=i, stage="release", **a)
    if status == "approved":
        # its sterility and endotoxin methods shown suitable for the product, so its lots can be released
        approve_suitabilities(spec)
    return spec


def lot(
    number: str = "L-0001",
    *,
    status: str = "in_process",
    prod=None,
    bank=None,
    created_by=None,
    manufactured_on: dt.date | None = None,
    expiry: dt.date | None = None,
):
    from evqms.lots.models import Lot

    prod = prod or product()
    return Lot.objects.create(
        number=number,
        product=prod,
        process=process(prod),
        specification=specification(prod),
        cell_bank=bank or cell_bank(),
        status=status,
        manufactured_on=manufactured_on or dt.date(2024, 5, 1),
        expiry=expiry or dt.date.today() + dt.timedelta(days=365),
        created_by=created_by or user(),
        released_at=timezone.now() if status == "released" else None,
    )


def approved_change_request(*, kind: str, product_code: str = "", title: str = "", quality_impact=False):
    """An approved change request (plain ORM, as the other builders): what a process or specification
    version after the first is made under."""
    from evqms.changes.models import ChangeRequest
    from evqms.core.numbering import next_number

    return ChangeRequest.objects.create(
        number=next_number(ChangeRequest, "CC-", width=5),
        kind=kind,
        title=title or f"new {kind} version",
        description="the change and why",
        product_code=product_code,
        impact_assessment="assessed",
        quality_impact=quality_impact,
        comparability_plan="compare release results of three lots" if quality_impact else "",
        status="approved",
        opened_by=user("factory-proposer", "operator"),
        opened_at=timezone.now(),
        approved_at=timezone.now(),
    )


def method_suitability(prod, test_type: str, method: str, *, outcome: str = "suitable", analyst=None):
    """An approved method suitability record of `prod` for a sterility, endotoxin or mycoplasma
    method (plain ORM: the services' tests record and approve theirs with a signature)."""
    from evqms.lots.models import MethodSuitability

    who = analyst or user("factory-analyst")
    number = f"MS-F{MethodSuitability.objects.count() + 1:04d}"
    return MethodSuitability.objects.create(
        number=number,
        product=prod,
        test_type=test_type,
        method=method,
        performed_on=timezone.localdate() - dt.timedelta(days=30),
        analyst=who,
        outcome=outcome,
        spike_recovery_pct=Decimal("95") if test_type == "endotoxin" else None,
        status="approved",
        recorded_by=who,
        recorded_at=timezone.now(),
        approved_by=who,
        approved_at=timezone.now(),
    )


def approve_suitabilities(spec) -> None:
    """An approved, suitable method suitability record for every sterility, endotoxin and
    mycoplasma method of `spec` (its product), so that its results can support release."""
    from evqms.lots.selectors.microbiology import suitability_in_force, test_type_of

    for attribute in spec.attributes.all():
        test_type = test_type_of(attribute)
        if test_type and suitability_in_force(spec.product_id, test_type, attribute.method) is None:
            method_suitability(spec.product, test_type, attribute.method)
