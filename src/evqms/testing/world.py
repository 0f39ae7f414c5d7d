"""The one test world of the lot area: a user per role, the upstream records from `factories`, and
lots taken to a given state through the services (so every step is audited as in use).

Tests of lots, their pages, the certificate of analysis and the areas downstream start from it
(the `world` fixture in tests/conftest.py) instead of each building its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

D = Decimal

# A result for every attribute of `factories.specification` that passes it.
PASSING = {
    "particle_concentration": (D("5e10"), "particles/mL", ""),
    "modal_size": (D("120"), "nm", ""),
    "cd63": (None, "", "positive"),
    "endotoxin": (D("0.10"), "EU/mL", ""),
    "sterility": (None, "", "no growth"),
}

# Passing run controls of a sterility, endotoxin or mycoplasma result (services/microbiology.py).
PASSING_CONTROLS = {
    "sterility": {"positive_control": "detected", "negative_control": "not detected"},
    "mycoplasma": {"positive_control": "detected", "negative_control": "not detected"},
    "endotoxin": {"positive_recovery": "95", "negative_control": "not detected"},
}


def passing_controls(attribute) -> dict | None:
    """The passing run controls the attribute's test needs, or None when it needs none."""
    from evqms.lots.selectors.microbiology import test_type_of

    test_type = test_type_of(attribute)
    return dict(PASSING_CONTROLS[test_type]) if test_type else None


@dataclass
class World:
    operator: object
    analyst: object
    analyst2: object  # the second person who verifies the analyst's results
    qa: object
    qa2: object
    auditor: object
    product: object
    process: object
    spec: object
    bank: object
    medium: object

    PASSING = PASSING

    @classmethod
    def build(cls, make_user: Callable) -> World:
        """`make_user(username, *roles)`: the users are made through the accounts service."""
        from evqms.testing import factories as f

        product = f.product()
        world = cls(
            operator=make_user("op1", "operator"),
            analyst=make_user("qc1", "qc_analyst"),
            analyst2=make_user("qc2", "qc_analyst"),
            qa=make_user("qa1", "qa_reviewer"),
            qa2=make_user("qa2", "qa_reviewer"),
            auditor=make_user("aud1", "auditor"),
            product=product,
            process=f.process(product),
            spec=f.specification(product),
            bank=f.cell_bank(),
            medium=f.material_lot(),
        )
        f.approve_suitabilities(world.spec)
        return world

    def attr(self, code):
        return self.spec.attributes.get(code=code)

    def new_lot(self, number="UCEV-T-001", **kw):
        from evqms.lots import services

        args = dict(
            actor=self.operator,
            product=self.product,
            process=self.process,
            specification=self.spec,
            cell_bank=self.bank,
            number=number,
            manufactured_on=dt.date(2024, 5, 1),
            expiry=timezone.localdate() + dt.timedelta(days=365),
            volume_ml=D("10"),
        )
        args.update(kw)
        return services.create_lot(**args)

    def manufacture(self, lot):
        """Materials and every step in range, then submit to QC."""
        from evqms.lots import services

        services.record_material_usage(
            actor=self.operator, lot=lot, material_lot=self.medium, quantity=D("500"), unit="mL"
        )
        t0 = timezone.now() - dt.timedelta(days=3)
        for step in self.process.steps.order_by("order"):
            values = {p.pk: ((p.low + p.high) / 2, p.unit) for p in step.parameters.all()}
            services.record_step(
                actor=self.operator,
                lot=lot,
                step=step,
                started_at=t0,
                finished_at=t0 + dt.timedelta(hours=1),
                values=values,
            )
        return services.submit_to_qc(actor=self.operator, lot=lot)

    def in_qc(self, number="UCEV-T-001"):
        """A new lot, manufactured and submitted to QC."""
        return self.manufacture(self.new_lot(number))

    def test_all(self, lot, overrides=None, verify=True, skip=()):
        """A valid result for every attribute but those in `skip`, verified by the second analyst
        unless `verify` is false (overrides: code -> (value, unit, text))."""
        from evqms.lots import services

        entries = dict(self.PASSING)
        entries.update(overrides or {})
        results = {}
        for code, (value, unit, text) in entries.items():
            if code in skip:
                continue
            r = services.record_qc_result(
                actor=self.analyst,
                lot=lot,
                attribute=self.attr(code),
                value=value,
                unit=unit,
                text_value=text,
                method="",
                tested_at=timezone.now(),
                controls=passing_controls(self.attr(code)),
            )
            if verify:
                r = services.verify_qc_result(actor=self.analyst2, result=r)
            results[code] = r
        return results

    def quarantined_lot(self, number="UCEV-T-001"):
        """A lot with every result passing and verified, QC complete: awaiting release."""
        from evqms.lots import services

        lot = self.in_qc(number)
        self.test_all(lot)
        return services.complete_qc(actor=self.analyst, lot=lot)
