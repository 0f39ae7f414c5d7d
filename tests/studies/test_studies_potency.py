"""Potency assays and runs: relative potency against the assay's reference lot, as analytics computes it."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from evqms.analytics.potency import read_potency_csv, usp_relative_potency
from evqms.audit.models import AuditEvent
from evqms.core.canonical import canonical_json
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.lots.models import QCResult
from evqms.studies import selectors, services
from evqms.studies.records import potency_assay_record

POTENCY_PLATE = Path(__file__).resolve().parents[1] / "fixtures" / "potency" / "plate_two_lots.csv"


def _assay(world, **kw):
    args = dict(
        actor=world.analyst,
        product=world.product,
        name="IL-10 induction in macrophages",
        mechanism="anti-inflammatory macrophage polarisation",
        indication="Knee osteoarthritis",
        reference_lot=world.ref,
        acceptance_low="70",
        acceptance_high="130",
        model="LL4",
        dose_unit="ng/mL",
        qc_attribute_code="potency",
    )
    args.update(kw)
    return services.create_potency_assay(**args)


def _run(world, assay, **kw):
    args = dict(
        actor=world.analyst,
        assay=assay,
        test_lot=world.lot,
        filename="plate.csv",
        data=POTENCY_PLATE.read_bytes(),
        dose_column="conc_ng_ml",
        response_column="signal",
        curve_column="lot",
    )
    args.update(kw)
    return services.record_potency_run(**args)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_run_stores_relative_potency_matching_analytics(world):
    assay = _assay(world)
    run = _run(world, assay, record_qc=True)
    plate = read_potency_csv(POTENCY_PLATE, dose="conc_ng_ml", response="signal", curve="lot")
    direct = usp_relative_potency(plate.doses, plate.responses, plate.curves, "REF", "LOT-0425", model="LL4")
    expected = 100 * direct.potency["estimate"]
    assert float(run.relative_potency_pct) == pytest.approx(expected, abs=1e-4)
    assert float(run.ci_low_pct) == pytest.approx(100 * direct.log_ci[0], abs=1e-4)
    assert float(run.ci_high_pct) == pytest.approx(100 * direct.log_ci[1], abs=1e-4)
    assert run.parallelism_p == pytest.approx(direct.parallelism["p"])
    assert run.columns["reference_label"] == "REF" and run.columns["test_label"] == "LOT-0425"
    assert run.sha256 == hashlib.sha256(POTENCY_PLATE.read_bytes()).hexdigest()
    assert run.within_acceptance == (70 <= expected <= 130)
    # the lot's potency QC result, rounded to the specification's 0 places
    qc = run.qc_result
    assert qc.attribute.code == "potency" and qc.unit == "%"
    assert qc.reported_value == Decimal(round(expected))
    assert qc.derived["potency_run"] == run.pk and qc.raw_file_sha256 == run.sha256
    # the fitted curves drawn on the page go through the fitted parameters
    curves = selectors.potency_curves(run)
    assert [c["label"] for c in curves["curves"]] == ["REF", "LOT-0425"]
    ref_fit = direct.constrained.estimates("REF")
    grid_x, grid_y = curves["curves"][0]["fit"][60]
    assert grid_y == pytest.approx(float(direct.constrained.predict([grid_x], "REF")[0]), rel=1e-9)
    assert ref_fit["e"] > 0


def test_the_assay_event_is_its_records_projection(world):
    """What the audit trail keeps of an assay: exactly `potency_assay_record`, the definition a
    relative potency is judged by."""
    assay = _assay(world)
    created = json.loads(AuditEvent.objects.filter(action="potency_assay.create").latest("seq").after)
    assert created == json.loads(canonical_json(potency_assay_record(assay)))
    assert created["reference_lot"] == world.ref.number and created["product"] == world.product.code
    assert (created["acceptance_low"], created["acceptance_high"], created["model"]) == ("70", "130", "LL4")


def test_assay_rules(world):
    with pytest.raises(PermissionDenied):
        _assay(world, actor=world.operator)
    with pytest.raises(RuleViolation, match="must be released"):
        _assay(world, reference_lot=world.lot)
    with pytest.raises(InputError):
        _assay(world, acceptance_low="130", acceptance_high="70")
    assay = _assay(world)
    with pytest.raises(InputError, match="reference lot"):
        _run(world, assay, test_lot=world.ref)


def test_assay_must_name_an_existing_percent_attribute_of_the_specification(world):
    """The demo's assay named `potency`, a code its specification (`potency_relative`) lacks, so
    its run (86.3 %) and the lot's QC result (100 %) were two numbers for one attribute."""
    for code, message in (
        ("potency_relative", "no attribute potency_relative"),
        ("", "name the specification attribute"),
        ("modal_size", "not a quantitative attribute in %"),
        ("cd63", "not a quantitative attribute in %"),
    ):
        with pytest.raises(InputError, match=message) as caught:
            _assay(world, qc_attribute_code=code)
        assert caught.value.where == "qc_attribute_code"
    assert not world.product.potency_assays.exists()
    assert _assay(world, qc_attribute_code=" potency ").qc_attribute_code == "potency"


def test_assay_form_shows_the_unknown_attribute_on_its_field(client, world):
    client.force_login(world.qa)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    from django.urls import reverse

    from evqms.dossier.models import indication_choices

    page = client.post(reverse("studies:assay-create"), {
        "indication_code": indication_choices()[0][0],
        "product": world.product.pk, "name": "IL-10", "mechanism": "polarisation", "indication": "Knee OA",
        "reference_lot": world.ref.pk, "model": "LL4", "acceptance_low": "70", "acceptance_high": "130",
        "qc_attribute_code": "potency_relative",
    }).content.decode()  # fmt: skip
    field = page[page.index('name="qc_attribute_code"') - 600 : page.index('name="qc_attribute_code"') + 600]
    assert "no attribute potency_relative" in field and "errorlist" in field
    assert not world.product.potency_assays.exists()


def test_bad_plate_writes_nothing(world):
    assay = _assay(world)
    with pytest.raises(InputError, match="no curve for the test lot"):
        _run(world, assay, data=b"lot,conc_ng_ml,signal\nREF,1,10\nREF,2,20\nA,1,3\nA,2,5\nB,1,1\nB,2,2\n")
    with pytest.raises(InputError, match="column"):
        _run(world, assay, dose_column="dose")
    assert not assay.runs.exists()
    assert not QCResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_create_assay_opens_its_own_transaction(world):
    """The service is atomic by itself (its audit event needs a transaction): outside a test's
    wrapping transaction, as `evqms demo` and a plain script call it, it must not refuse."""
    from evqms.audit.models import AuditEvent

    assay = _assay(world)
    assert AuditEvent.objects.filter(action="potency_assay.create", object_id=str(assay.pk)).exists()
