"""Shared set-up for the lots tests: users per role, upstream records from the factories, and a
helper that takes a lot through manufacturing and QC with the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

D = Decimal


@dataclass
class World:
    operator: object
    analyst: object
    analyst2: object
    qa: object
    qa2: object
    product: object
    process: object
    spec: object
    bank: object
    medium: object

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
            values = {}
            for p in step.parameters.all():
                values[p.pk] = ((p.low + p.high) / 2, p.unit)
            services.record_step(
                actor=self.operator,
                lot=lot,
                step=step,
                started_at=t0,
                finished_at=t0 + dt.timedelta(hours=1),
                values=values,
            )
        return services.submit_to_qc(actor=self.operator, lot=lot)

    PASSING = {
        "particle_concentration": (D("5e10"), "particles/mL", ""),
        "modal_size": (D("120"), "nm", ""),
        "cd63": (None, "", "positive"),
        "endotoxin": (D("0.1"), "EU/mL", ""),
        "sterility": (None, "", "no growth"),
    }

    def test_all(self, lot, overrides=None, verify=True):
        """A valid, verified result for every attribute (overrides: code -> (value, unit, text))."""
        from evqms.lots import services

        entries = dict(self.PASSING)
        entries.update(overrides or {})
        results = {}
        for code, (value, unit, text) in entries.items():
            r = services.record_qc_result(
                actor=self.analyst,
                lot=lot,
                attribute=self.attr(code),
                value=value,
                unit=unit,
                text_value=text,
                method="",
                tested_at=timezone.now(),
            )
            if verify:
                r = services.verify_qc_result(actor=self.analyst2, result=r)
            results[code] = r
        return results

    def quarantined_lot(self, number="UCEV-T-001"):
        from evqms.lots import services

        lot = self.manufacture(self.new_lot(number))
        self.test_all(lot)
        return services.complete_qc(actor=self.analyst, lot=lot)


@pytest.fixture
def world(make_user):
    from evqms.testing import factories as f

    product = f.product()
    return World(
        operator=make_user("op1", "operator"),
        analyst=make_user("qc1", "qc_analyst"),
        analyst2=make_user("qc2", "qc_analyst"),
        qa=make_user("qa1", "qa_reviewer"),
        qa2=make_user("qa2", "qa_reviewer"),
        product=product,
        process=f.process(product),
        spec=f.specification(product),
        bank=f.cell_bank(),
        medium=f.material_lot(),
    )
