"""Set-up for the lot page tests: users per role, upstream records from the factories, and lots
taken to a given state with the services (the pages are then exercised through the test client)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

D = Decimal
PASSING = {
    "particle_concentration": (D("5e10"), "particles/mL", ""),
    "modal_size": (D("120"), "nm", ""),
    "cd63": (None, "", "positive"),
    "endotoxin": (D("0.10"), "EU/mL", ""),
    "sterility": (None, "", "no growth"),
}


@dataclass
class Lab:
    operator: object
    analyst: object
    analyst2: object
    qa: object
    auditor: object
    product: object
    process: object
    spec: object
    bank: object
    medium: object

    def attr(self, code):
        return self.spec.attributes.get(code=code)

    def new_lot(self, number="UCEV-W-001"):
        from evqms.lots import services

        return services.create_lot(
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

    def in_qc(self, number="UCEV-W-001"):
        from evqms.lots import services

        lot = self.new_lot(number)
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

    def quarantined(self, number="UCEV-W-001", skip=()):
        from evqms.lots import services

        lot = self.in_qc(number)
        for code, (value, unit, text) in PASSING.items():
            if code in skip:
                continue
            r = services.record_qc_result(
                actor=self.analyst,
                lot=lot,
                attribute=self.attr(code),
                value=value,
                unit=unit,
                text_value=text,
                tested_at=timezone.now(),
            )
            services.verify_qc_result(actor=self.analyst2, result=r)
        if skip:
            return lot
        return services.complete_qc(actor=self.analyst, lot=lot)


@pytest.fixture
def lab(make_user):
    from evqms.testing import factories as f

    product = f.product()
    return Lab(
        operator=make_user("op1", "operator"),
        analyst=make_user("qc1", "qc_analyst"),
        analyst2=make_user("qc2", "qc_analyst"),
        qa=make_user("qa1", "qa_reviewer"),
        auditor=make_user("aud1", "auditor"),
        product=product,
        process=f.process(product),
        spec=f.specification(product),
        bank=f.cell_bank(),
        medium=f.material_lot(),
    )


@pytest.fixture
def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client
