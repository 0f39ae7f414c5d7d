"""Demo studies for `evqms demo` (idempotent): a potency assay against the released reference lot
UCEV-24-001 with one run, a stability study, a biodistribution and a dose-response record.

The assay fills the specification's `potency_relative` attribute: its run on UCEV-24-002 (in QC)
records that lot's relative potency as its QC result, so the run and the lot show one number.

Runs after the dossier and lots demos; when their records are missing it adds nothing. The plate
and stability figures are synthetic (a seeded generator), as every demo figure is.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from django.utils import timezone

from evqms.dossier.models import Product
from evqms.lots.models import Lot
from evqms.studies import services
from evqms.studies.models import BiodistributionStudy, DoseResponseStudy, PotencyAssay, StabilityStudy

PRODUCT = "ucmsc-sev-oa"
REFERENCE = "UCEV-24-001"
TEST_LOT = "UCEV-24-002"
POTENCY_ATTRIBUTE = "potency_relative"
ASSAY = "IL-10 induction in LPS-stimulated macrophages"
DOSES = (0.39, 0.78, 1.56, 3.125, 6.25, 12.5, 25.0, 50.0)


def plate_csv(reference: str, test: str, shift: float = 1.15, seed: int = 7) -> bytes:
    """A 4-parameter log-logistic plate: the test lot's ED50 is `shift` x the reference's."""
    rng = random.Random(seed)
    lines = ["curve,dose,response"]
    for label, e in ((reference, 3.0), (test, 3.0 * shift)):
        for x in DOSES:
            mean = 110 + (980 - 110) / (1 + math.exp(-1.3 * (math.log(x) - math.log(e))))
            for _rep in range(3):
                lines.append(f"{label},{x},{mean + rng.gauss(0, 18):.1f}")
    return ("\n".join(lines) + "\n").encode()


def load(users: dict) -> None:
    product = Product.objects.filter(code=PRODUCT).first()
    reference = Lot.objects.filter(number=REFERENCE, status="released").first()
    if product is None or reference is None:
        return
    analyst, qa = users["analyst"], users["qa"]
    assay = PotencyAssay.objects.filter(product=product, name=ASSAY).first()
    if assay is None and not product.specifications.filter(attributes__code=POTENCY_ATTRIBUTE).exists():
        return  # a specification without relative potency (not the default template): nothing to fill
    if assay is None:
        assay = services.create_potency_assay(
            actor=qa, product=product, name=ASSAY, reference_lot=reference,
            mechanism="Anti-inflammatory polarisation of macrophages (IL-10 secretion), the proposed mode of "
                      "action in osteoarthritic synovitis",
            indication="Knee osteoarthritis", readout="IL-10 in supernatant (ELISA, pg/mL)", model="LL4",
            dose_unit="ug/mL (EV protein)", acceptance_low="70", acceptance_high="130",
            qc_attribute_code=POTENCY_ATTRIBUTE,
        )  # fmt: skip
    test = Lot.objects.filter(product=product, number=TEST_LOT, status="qc").first()
    if (
        test is not None
        and not assay.runs.exists()
        and not test.qc_results.filter(attribute__code=assay.qc_attribute_code, status="valid").exists()
    ):
        services.record_potency_run(
            actor=analyst, assay=assay, test_lot=test, filename=f"plate-{test.number}.csv",
            data=plate_csv(reference.number, test.number), tested_at=timezone.now() - dt.timedelta(days=2),
            record_qc=True,
        )  # fmt: skip
    batches = list(Lot.objects.filter(product=product, status="released").order_by("manufactured_on"))
    if batches and not StabilityStudy.objects.filter(product=product).exists():
        study = services.create_stability_study(
            actor=qa, product=product, name="Relative potency at -80 °C (long term)", attribute_code=POTENCY_ATTRIBUTE,
            attribute_name="Relative potency", unit="%", condition="-80 °C ± 10 °C", lots=batches, lower="70",
        )  # fmt: skip
        rng = random.Random(11)
        for k, lot in enumerate(batches):
            for month in (0, 3, 6, 9, 12):
                value = 101.0 - k * 1.5 - (1.1 + 0.2 * k) * month + rng.gauss(0, 1.2)
                services.add_stability_result(actor=analyst, study=study, lot=lot, time_months=month,
                                              value=f"{value:.1f}")  # fmt: skip
    if not BiodistributionStudy.objects.filter(product=product).exists():
        services.create_biodistribution_study(
            actor=qa, product=product, title="DiR-labelled EVs after intra-articular injection (MIA rat)",
            species="Rat, monoiodoacetate knee OA model", route="intra-articular",
            label_method="DiR near-infrared fluorescence imaging", second_method="qPCR of human-specific Alu",
            target="Injected knee joint (synovium and cartilage)", time_points="1 h, 24 h, 7 d",
            fraction_in_target_pct="38.0", threshold_pct="20.0",
            summary="At 24 h 38 % of the injected fluorescence remained in the joint; liver and spleen held most "
                    "of the rest.",
        )  # fmt: skip
    if not DoseResponseStudy.objects.filter(product=product).exists():
        services.create_dose_response_study(
            actor=qa, product=product, title="Cartilage repair score vs dose (MIA rat)", kind="in_vivo",
            unit="particles/knee", dose_low="1e8", dose_high="1e10", effective_low="1e9", effective_high="1e10",
            safe_high="1e10", summary="OARSI score improved from 1e9 particles/knee; no adverse finding up to 1e10.",
        )  # fmt: skip
        services.create_dose_response_study(
            actor=qa, product=product, title="IL-10 induction vs EV dose (macrophages)", kind="in_vitro",
            unit="ug/mL", dose_low="0.39", dose_high="50", effective_low="1.56", effective_high="50",
            summary="Sigmoidal response; ED50 about 3 ug/mL.",
        )  # fmt: skip
