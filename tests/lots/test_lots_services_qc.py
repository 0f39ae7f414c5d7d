"""QC results: the lot open for QC, conversion, rounding and verdict, frozen limits, raw files, retests, invalidation, verification, the end of QC."""

import hashlib
from decimal import Decimal as D

import pytest
from lots_services_helpers import NOW, qc_lot, record

from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.lots import services
from evqms.lots.models import Deviation, QCResult
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db


def test_results_only_for_a_lot_in_qc_or_quarantine(world):
    lot = world.new_lot()
    with pytest.raises(RuleViolation, match="cannot record a QC result"):
        record(world, lot, "endotoxin", D("0.1"), "EU/mL")


def test_result_is_converted_rounded_judged_and_limits_frozen(world):
    lot = qc_lot(world)
    r = record(world, lot, "particle_concentration", D("2.5e6"), "particles/uL")
    assert r.value_in_spec_unit == D("2.5e9") and r.verdict == "pass"
    assert r.limits["unit"] == "particles/mL" and r.limits["lower"] == "1000000000"
    assert r.limits["spec_version"] == 1
    e = record(world, lot, "endotoxin", D("0.495"), "EU/mL")
    assert e.reported_value == D("0.50") and e.verdict == "fail"
    assert e.limits["upper_inclusive"] is False and e.limits["decimal_places"] == 2
    oos = Deviation.objects.get(lot=lot, source="oos")
    assert oos.qc_result == e and oos.status == "open"
    # a later change of the specification does not change the frozen limits
    attr = world.attr("endotoxin")
    attr.upper = D("5")
    attr.save()
    e.refresh_from_db()
    assert e.limits["upper"] == "0.5" and e.verdict == "fail"


def test_alert_and_qualitative_verdicts(world):
    lot = qc_lot(world)
    assert record(world, lot, "modal_size", D("185"), "nm").verdict == "alert"
    assert record(world, lot, "cd63", text="negative").verdict == "fail"
    with pytest.raises(InputError) as exc:
        record(world, lot, "sterility", text="cloudy")
    assert exc.value.where == "text_value"


def test_bad_values_are_refused_naming_the_field(world):
    lot = qc_lot(world)
    with pytest.raises(InputError) as exc:
        record(world, lot, "endotoxin", D("0.1"), "nm")
    assert exc.value.where == "unit"
    with pytest.raises(InputError) as exc:
        record(world, lot, "particle_concentration", D("-1e9"), "particles/mL")
    assert exc.value.where == "value" and "negative" in exc.value.message
    with pytest.raises(InputError) as exc:
        record(world, lot, "endotoxin", None, "EU/mL")
    assert exc.value.where == "value"
    from evqms.testing import factories as f

    foreign = f.specification(f.product("other")).attributes.get(code="endotoxin")
    with pytest.raises(InputError) as exc:
        services.record_qc_result(
            actor=world.analyst,
            lot=lot,
            attribute=foreign,
            value=D("0.1"),
            unit="EU/mL",
            tested_at=NOW(),
            controls=passing_controls(foreign),
        )
    assert exc.value.where == "attribute"
    with pytest.raises(PermissionDenied):
        record(world, lot, "endotoxin", D("0.1"), "EU/mL", actor=world.operator)
    assert QCResult.objects.count() == 0


def test_a_value_the_result_columns_cannot_hold_is_refused(world):
    """Found by the import fuzz test: a thousand-digit value made the rounding raise InvalidOperation
    (a 500) instead of an input error."""
    lot = qc_lot(world)
    with pytest.raises(InputError) as exc:
        record(world, lot, "endotoxin", "9" * 1000 + ".12", "EU/mL")
    assert exc.value.where == "value" and "too large" in exc.value.message
    with pytest.raises(InputError) as exc:  # 1e16 particles/uL is 1e19 particles/mL once converted
        record(world, lot, "particle_concentration", D("1e16"), "particles/uL")
    assert exc.value.where == "unit"
    assert record(world, lot, "modal_size", D("999999999999999999"), "nm").verdict == "fail"


def test_raw_file_kept_unchanged_with_its_sha256(world):
    lot = qc_lot(world)
    data = "Sample,Concentration (particles/ml)\nUCEV,2.5E+09\n日本語\n".encode()
    r = record(
        world, lot, "particle_concentration", D("2.5e9"), "particles/mL", raw_file=("nta run.csv", data)
    )
    assert r.raw_file_sha256 == hashlib.sha256(data).hexdigest() and r.raw_file_name == "nta run.csv"
    with r.raw_file.open("rb") as fh:
        assert fh.read() == data


def test_a_second_valid_result_needs_a_retest_and_an_oos_is_never_overwritten(world):
    lot = qc_lot(world)
    first = record(world, lot, "endotoxin", D("0.8"), "EU/mL")
    with pytest.raises(RuleViolation, match="already has a valid result"):
        record(world, lot, "endotoxin", D("0.1"), "EU/mL")
    retest = record(world, lot, "endotoxin", D("0.1"), "EU/mL", retest_of=first)
    first.refresh_from_db()
    assert first.status == "valid" and first.verdict == "fail" and retest.retest_of == first
    assert Deviation.objects.filter(lot=lot, source="oos").count() == 1
    # a retest that fails again joins the same investigation
    record(world, lot, "endotoxin", D("0.9"), "EU/mL", retest_of=first)
    assert Deviation.objects.filter(lot=lot, source="oos").count() == 1


def test_invalidate_needs_a_reason_and_keeps_the_result(world):
    lot = qc_lot(world)
    r = record(world, lot, "endotoxin", D("0.8"), "EU/mL")
    with pytest.raises(InputError) as exc:
        services.invalidate_qc_result(actor=world.analyst2, result=r, reason="  ")
    assert exc.value.where == "reason"
    services.invalidate_qc_result(actor=world.analyst2, result=r, reason="blank contaminated")
    r.refresh_from_db()
    assert r.status == "invalidated" and r.invalidation_reason == "blank contaminated"
    with pytest.raises(RuleViolation):
        services.invalidate_qc_result(actor=world.analyst2, result=r, reason="again")
    # after invalidation a new result may be entered (no valid one left)
    assert record(world, lot, "endotoxin", D("0.1"), "EU/mL").verdict == "pass"
    assert QCResult.objects.filter(lot=lot).count() == 2


def test_verification_is_by_a_second_person(world):
    lot = qc_lot(world)
    r = record(world, lot, "endotoxin", D("0.1"), "EU/mL")
    with pytest.raises(RuleViolation, match="own result"):
        services.verify_qc_result(actor=world.analyst, result=r)
    with pytest.raises(PermissionDenied):
        services.verify_qc_result(actor=world.operator, result=r)
    r = services.verify_qc_result(actor=world.qa, result=r)
    assert r.verified_by == world.qa and r.verified_at is not None
    with pytest.raises(RuleViolation, match="already verified"):
        services.verify_qc_result(actor=world.analyst2, result=r)


def test_verification_refusal_is_what_the_service_refuses(world):
    """The lot page offers Verify exactly when the predicate has no reason against it."""
    lot = qc_lot(world)
    r = record(world, lot, "endotoxin", D("0.1"), "EU/mL")

    def refusal(actor, **facts):
        given = {"lot": lot, "analyst": r.analyst.get_username(), "status": "valid", "verified": False}
        return services.verification_refusal(actor, **{**given, **facts})

    assert refusal(world.qa) is None
    assert "own result" in refusal(world.analyst)
    assert "lots.verify_qc_result" in refusal(world.operator)
    assert "invalidated" in refusal(world.qa, status="invalidated")
    assert "already verified" in refusal(world.qa, verified=True)
    lot.status = "released"
    assert "cannot verify a QC result" in refusal(world.qa)


def test_complete_qc_needs_every_release_attribute(world):
    lot = qc_lot(world)
    record(world, lot, "endotoxin", D("0.1"), "EU/mL")
    with pytest.raises(RuleViolation, match="particle_concentration"):
        services.complete_qc(actor=world.analyst, lot=lot)
