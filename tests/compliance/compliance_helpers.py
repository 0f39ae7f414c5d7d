"""Helpers of the compliance tests: shared set-up for the compliance tests: one product built in the database with the services
(a released lot, an approved risk register, a physician attestation) and the same product as a
dossier dict for the file path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from evqms.testing.world import passing_controls

D = Decimal
CODE = "ucmsc-sev-oa"


@dataclass
class World:
    operator: object
    analyst: object
    analyst2: object
    qa: object
    physician: object
    product: object
    process: object
    spec: object
    bank: object
    medium: object
    request: object

    def attr(self, code):
        return self.spec.attributes.get(code=code)

    def param(self, name):
        from evqms.dossier.models import ProcessParameter

        return ProcessParameter.objects.get(step__process=self.process, name=name)

    def released_lot(self, number="UCEV-T-001", material_lots=None):
        from evqms.lots import services

        lot = services.create_lot(
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
        for mlot in material_lots or [self.medium]:
            services.record_material_usage(
                actor=self.operator, lot=lot, material_lot=mlot, quantity=D("500"), unit="mL"
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
        lot = services.submit_to_qc(actor=self.operator, lot=lot)
        passing = {
            "particle_concentration": (D("5e10"), "particles/mL", ""),
            "modal_size": (D("120"), "nm", ""),
            "cd63": (None, "", "positive"),
            "endotoxin": (D("0.1"), "EU/mL", ""),
            "sterility": (None, "", "no growth"),
        }
        for code, (value, unit, text) in passing.items():
            r = services.record_qc_result(
                actor=self.analyst,
                lot=lot,
                attribute=self.attr(code),
                value=value,
                unit=unit,
                text_value=text,
                method="",
                tested_at=timezone.now() - dt.timedelta(minutes=1),
                controls=passing_controls(self.attr(code)),
            )
            services.verify_qc_result(actor=self.analyst2, result=r)
        lot = services.complete_qc(actor=self.analyst, lot=lot)
        return services.release_lot(
            request=self.request, actor=self.qa, lot=lot, password=self.qa.raw_password
        )

    def register(self, approve=True):
        """A register covering every stage; the high risk (endotoxin) linked to the endotoxin attribute."""
        from evqms.compliance import services
        from evqms.guidance.risk import STAGES

        register = services.create_register(actor=self.qa, product=self.product)
        for stage in STAGES:
            if stage == "harvest_purification":
                services.add_risk_item(
                    actor=self.qa,
                    register=register,
                    stage=stage,
                    hazard="Endotoxin",
                    severity=5,
                    occurrence=3,
                    detectability=2,
                    control_attributes=[self.attr("endotoxin")],
                    control_parameters=[self.param("Transmembrane pressure")],
                    residual_risk="low",
                )
            else:
                services.add_risk_item(
                    actor=self.qa,
                    register=register,
                    stage=stage,
                    hazard=f"Hazard at {stage}",
                    severity=2,
                    occurrence=2,
                    detectability=2,
                )
        if approve:
            register = services.approve_register(
                request=self.request, actor=self.qa, register=register, password=self.qa.raw_password
            )
        return register

    def attest(self, cites=None):
        from evqms.compliance import services

        return services.attest(
            request=self.request,
            actor=self.physician,
            product=self.product,
            item_id="JSRM-1-SC",
            role="responsible_physician",
            statement="I understand the quality and the risk profile of this preparation.",
            cites=cites if cites is not None else [f"risk_register:RR-{CODE}"],
            password=self.physician.raw_password,
        )


def make_world(make_user, rf_request) -> World:
    from evqms.testing import factories as f

    physician = make_user("dr1", "physician")
    product = f.product(CODE, responsible_physician=physician)
    return World(
        operator=make_user("op1", "operator"),
        analyst=make_user("qc1", "qc_analyst"),
        analyst2=make_user("qc2", "qc_analyst"),
        qa=make_user("qa1", "qa_reviewer"),
        physician=physician,
        product=product,
        process=f.process(product),
        spec=f.specification(product),
        bank=f.cell_bank(),
        medium=f.material_lot(),
        request=rf_request,
    )


def dossier_of_world(today: dt.date) -> dict:
    """The same product as `World` with a released lot, approved register and attestation, as a file."""
    from evqms.guidance.risk import STAGES

    items = []
    for i, stage in enumerate(STAGES, start=1):
        if stage == "harvest_purification":
            items.append(
                {
                    "id": f"R-{i}",
                    "stage": stage,
                    "hazard": "Endotoxin",
                    "severity": 5,
                    "occurrence": 3,
                    "detectability": 2,
                    "controls": ["endotoxin", "TFF and SEC/Transmembrane pressure"],
                    "residual_risk": "low",
                }
            )
        else:
            items.append(
                {
                    "id": f"R-{i}",
                    "stage": stage,
                    "hazard": f"Hazard at {stage}",
                    "severity": 2,
                    "occurrence": 2,
                    "detectability": 2,
                }
            )
    day = today.isoformat()
    return {
        "dossier_version": 1,
        "product": {
            "id": CODE,
            "name": "UC-MSC small EVs for knee osteoarthritis",
            "source_cell_type": "uc_msc",
            "origin": "allogeneic",
            "indications": ["Knee osteoarthritis"],
            "routes": ["intra_articular"],
            "dose_unit": "particles",
            "responsible_physician": "Dr1",
        },
        "donors": [{"id": "D-0001", "consent": True, "eligible": True}],
        "cell_banks": [{"id": "MCB-001", "kind": "MCB", "parent": "D-0001", "passage": 3}],
        "materials": [
            {"id": "XF", "name": "Xeno-free MSC medium", "supplier": "Acme Bio", "stage": "culture"}
        ],
        "material_lots": [
            {
                "id": "XF-24-001",
                "material": "XF",
                "animal_origin": "none",
                "grade": "gmp",
                "acceptance_status": "accepted",
            }
        ],
        "processes": [
            {
                "version": "1",
                "isolation_method": "TFF + SEC",
                "steps": [
                    {
                        "name": "Culture in xeno-free medium",
                        "kind": "culture",
                        "parameters": [
                            {"name": "Culture time", "unit": "h", "min": 48, "max": 72, "critical": True},
                            {"name": "Confluence at harvest", "unit": "%", "min": 70, "max": 90},
                        ],
                    },
                    {
                        "name": "TFF and SEC",
                        "kind": "purification",
                        "parameters": [
                            {
                                "name": "Transmembrane pressure",
                                "unit": "bar",
                                "min": 0.2,
                                "max": 1.0,
                                "critical": True,
                            }
                        ],
                    },
                    {"name": "Sterile filtration and fill", "kind": "fill"},
                ],
            }
        ],
        "specifications": [
            {
                "id": "SPEC-1",
                "version": "1",
                "attributes": [
                    {
                        "id": "particle_concentration",
                        "name": "Particle concentration",
                        "category": "particle_concentration",
                        "method": "NTA",
                        "unit": "particles/mL",
                        "min": 1e9,
                        "max": 1e12,
                        "cqa": True,
                    },
                    {
                        "id": "modal_size",
                        "name": "Modal particle size",
                        "category": "size_distribution",
                        "method": "NTA",
                        "unit": "nm",
                        "min": 50,
                        "max": 200,
                    },
                    {
                        "id": "cd63",
                        "name": "CD63",
                        "category": "ev_marker",
                        "method": "Western blot",
                        "expected": "positive",
                    },
                    {
                        "id": "endotoxin",
                        "name": "Endotoxin",
                        "category": "endotoxin",
                        "method": "LAL kinetic",
                        "unit": "EU/mL",
                        "max": 0.5,
                        "max_inclusive": False,
                    },
                    {
                        "id": "sterility",
                        "name": "Sterility",
                        "category": "sterility",
                        "method": "JP 4.06",
                        "expected": "no growth",
                    },
                ],
            }
        ],
        "lots": [
            {
                "id": "UCEV-T-001",
                "process_version": "1",
                "cell_bank": "MCB-001",
                "material_lots": ["XF-24-001"],
                "manufactured_on": "2024-05-01",
                "status": "released",
                "step_records": [
                    {
                        "step": "Culture in xeno-free medium",
                        "parameters": {"Culture time": 60, "Confluence at harvest": 80},
                    },
                    {"step": "TFF and SEC", "parameters": {"Transmembrane pressure": 0.6}},
                ],
                "qc_results": [
                    {"attribute": "particle_concentration", "tested_on": day, "value": 5e10, "method": "NTA"},
                    {"attribute": "modal_size", "tested_on": day, "value": 120, "method": "NTA"},
                    {
                        "attribute": "cd63",
                        "tested_on": day,
                        "result": "positive",
                        "method": "Western blot",
                        "markers": [{"marker": "CD63", "result": "positive"}],
                    },
                    {"attribute": "endotoxin", "tested_on": day, "value": 0.1, "method": "LAL kinetic"},
                    {"attribute": "sterility", "tested_on": day, "result": "no growth", "method": "JP 4.06"},
                ],
                "release": {"released_on": day, "released_by": "Qa1"},
            }
        ],
        "risk_register": {
            "id": f"RR-{CODE}",
            "version": "1",
            "status": "approved",
            "approved_on": day,
            "approved_by": "Qa1",
            "items": items,
        },
        "attestations": [
            {
                "id": "ATT-1",
                "item": "JSRM-1-SC",
                "role": "responsible_physician",
                "signer": "Dr1",
                "signed_on": day,
                "statement": "I understand the quality and the risk profile of this preparation.",
                "cites": [f"risk_register:RR-{CODE}"],
            }
        ],
    }
