"""Set-up for the studies tests: a product with a specification that NTA and potency fill, lots
in QC and released lots (factories), analysts, and the synthetic instrument-file generator."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

NTA_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nta"
POTENCY_PLATE = Path(__file__).resolve().parents[1] / "fixtures" / "potency" / "plate_two_lots.csv"


@pytest.fixture
def nta_synth():
    sys.path.insert(0, str(NTA_FIXTURES))
    try:
        import nta_synth

        yield nta_synth
    finally:
        sys.path.remove(str(NTA_FIXTURES))


@pytest.fixture
def world(db, make_user):
    from evqms.dossier.models import SpecAttribute
    from evqms.testing import factories as f

    analyst = make_user("analyst1", "qc_analyst")
    analyst2 = make_user("analyst2", "qc_analyst")
    operator = make_user("operator1", "operator")
    qa = make_user("qa1", "qa_reviewer")
    product = f.product()
    spec = f.specification(product)
    extra = [
        dict(
            code="mean_size",
            name="Mean particle size",
            method="NTA",
            unit="nm",
            lower=Decimal("50"),
            upper=Decimal("250"),
            decimal_places=1,
        ),
        dict(code="d90", name="D90", method="NTA", unit="um", upper=Decimal("0.5"), decimal_places=4),
        dict(
            code="potency",
            name="Relative potency",
            method="Cell assay",
            unit="%",
            lower=Decimal("70"),
            upper=Decimal("130"),
            decimal_places=0,
            is_cqa=True,
        ),
    ]
    for i, a in enumerate(extra, start=10):
        SpecAttribute.objects.create(specification=spec, order=i, stage="release", kind="quantitative", **a)
    ref = f.lot("REF-001", status="released", prod=product)
    lot = f.lot("UCEV-T-001", status="qc", prod=product)
    return type(
        "World",
        (),
        dict(
            analyst=analyst,
            analyst2=analyst2,
            operator=operator,
            qa=qa,
            product=product,
            spec=spec,
            ref=ref,
            lot=lot,
        ),
    )
