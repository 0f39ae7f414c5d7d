"""Release and rejection: the release gate condition by condition, the signature, separation of duties."""

import datetime as dt
from decimal import Decimal as D

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from lots_services_helpers import NOW, qc_lot, record

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.selectors import verify_chain
from evqms.audit.services import SignatureRefused
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.lots import records, selectors, services
from evqms.lots.models import Lot
from evqms.testing.deviations import settle_deviation
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db


def codes(lot):
    return sorted({p.code for p in selectors.release_gate(Lot.objects.get(pk=lot.pk))})


def test_gate_passes_for_a_complete_lot(world):
    lot = world.quarantined_lot()
    assert codes(lot) == []


def test_gate_status(world):
    lot = qc_lot(world)
    world.test_all(lot)
    assert codes(lot) == ["status"]
    problem = selectors.release_gate(lot)[0]
    assert problem.message["en"] == "the lot is in QC, not in quarantine"
    assert problem.message["ja"] != problem.message["en"]


def test_gate_missing_result(world):
    lot = world.quarantined_lot()
    services.invalidate_qc_result(
        actor=world.analyst2, result=lot.qc_results.get(attribute__code="cd63"), reason="wrong sample"
    )
    assert codes(lot) == ["missing_result"]


def test_gate_unverified(world):
    lot = qc_lot(world)
    world.test_all(lot, verify=False)
    lot = services.complete_qc(actor=world.analyst, lot=lot)
    assert codes(lot) == ["unverified"]
    assert {p.subject for p in selectors.release_gate(lot)} == set(world.PASSING)


def test_gate_oos_and_its_open_deviation(world):
    lot = qc_lot(world)
    world.test_all(lot, overrides={"endotoxin": (D("0.7"), "EU/mL", "")})
    lot = services.complete_qc(actor=world.analyst, lot=lot)
    assert codes(lot) == ["oos", "open_deviation"]


def test_gate_standing_oos_a_passing_retest_does_not_hide_it(world):
    lot = qc_lot(world)
    results = world.test_all(lot, overrides={"endotoxin": (D("0.7"), "EU/mL", "")})
    retest = record(world, lot, "endotoxin", D("0.1"), "EU/mL", retest_of=results["endotoxin"])
    services.verify_qc_result(actor=world.analyst2, result=retest)
    lot = services.complete_qc(actor=world.analyst, lot=lot)
    settle_deviation(lot.deviations.get(), world.qa)
    assert codes(lot) == ["standing_oos"]
    services.invalidate_qc_result(actor=world.qa, result=results["endotoxin"], reason="documented lab error")
    assert codes(lot) == []


def test_gate_alert_result_passes(world):
    lot = qc_lot(world)
    world.test_all(lot, overrides={"modal_size": (D("190"), "nm", "")})
    lot = services.complete_qc(actor=world.analyst, lot=lot)
    assert codes(lot) == []


def test_gate_open_deviation(world, rf_request):
    lot = world.quarantined_lot()
    dev = services.open_deviation(actor=world.operator, lot=lot, description="freezer alarm during storage")
    assert codes(lot) == ["open_deviation"]
    with pytest.raises(PermissionDenied):
        services.close_deviation(
            request=rf_request, actor=world.operator, deviation=dev, password=world.operator.raw_password
        )
    with pytest.raises(RuleViolation, match="investigation"):  # not investigated yet
        services.close_deviation(
            request=rf_request, actor=world.qa, deviation=dev, password=world.qa.raw_password
        )
    settle_deviation(dev, world.qa, resolution="temperature log within limits")
    assert codes(lot) == []


def test_gate_expired(world):
    lot = world.quarantined_lot()
    Lot.objects.filter(pk=lot.pk).update(expiry=timezone.localdate() - dt.timedelta(days=1))
    assert codes(lot) == ["expired"]
    assert selectors.release_gate(lot, today=timezone.localdate() - dt.timedelta(days=2)) == []


# --- release and rejection ---------------------------------------------------------------------


def test_release_writes_signature_status_and_audit(world, rf_request):
    lot = world.quarantined_lot()
    lot = services.release_lot(
        request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason="all pass"
    )
    lot.refresh_from_db()
    sig = lot.release_signature
    assert lot.status == "released" and lot.released_at == sig.signed_at
    assert sig.meaning == "release" and sig.printed_name == "Qa1" and sig.object_id == str(lot.pk)
    from evqms.core.canonical import canonical_hash

    assert sig.record_hash == canonical_hash(records.lot_release_record(lot))
    detail = selectors.lot_detail(lot)
    assert detail["signatures"][0]["valid"] is True and detail["status"] == "released"
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    for action in [
        "lot.create",
        "lot.material_usage",
        "lot.step",
        "lot.submit_to_qc",
        "qc_result.record",
        "qc_result.verify",
        "lot.complete_qc",
        "signature.release",
        "lot.release",
    ]:
        assert action in actions
    assert verify_chain().ok
    with pytest.raises(RuleViolation, match="cannot record"):
        record(
            world,
            lot,
            "endotoxin",
            D("0.1"),
            "EU/mL",
            retest_of=lot.qc_results.get(attribute__code="endotoxin"),
        )
    with pytest.raises(RuleViolation):
        services.invalidate_qc_result(actor=world.qa2, result=lot.qc_results.first(), reason="late")


def test_release_refused_by_the_gate(world, rf_request):
    lot = qc_lot(world)
    world.test_all(lot)
    with pytest.raises(services.ReleaseBlocked) as exc:
        services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    assert [p.code for p in exc.value.problems] == ["status"]
    assert Signature.objects.count() == 0 and Lot.objects.get(pk=lot.pk).status == "qc"


def test_wrong_password_is_refused_and_counted(world, rf_request):
    lot = world.quarantined_lot()
    with pytest.raises(SignatureRefused):
        services.release_lot(request=rf_request, actor=world.qa, lot=lot, password="not-it")
    assert Lot.objects.get(pk=lot.pk).status == "quarantine" and Signature.objects.count() == 0
    assert AccessAttempt.objects.get(username="qa1").failures_since_start == 1


def test_only_qa_releases(world, rf_request):
    lot = world.quarantined_lot()
    with pytest.raises(PermissionDenied):
        services.release_lot(
            request=rf_request, actor=world.analyst2, lot=lot, password=world.analyst2.raw_password
        )


@pytest.mark.parametrize(
    "role_in_lot", ["creator", "step_operator", "material_recorder", "analyst", "verifier"]
)
def test_no_one_releases_their_own_work(world, make_user, rf_request, role_in_lot):
    both = make_user("dual", "operator", "qc_analyst", "qa_reviewer")
    lot = world.new_lot(actor=both if role_in_lot == "creator" else world.operator)
    if role_in_lot == "material_recorder":
        services.record_material_usage(
            actor=both, lot=lot, material_lot=world.medium, quantity=D("1"), unit="mL"
        )
    if role_in_lot == "step_operator":
        step = world.process.steps.get(order=3)
        services.record_step(actor=both, lot=lot, step=step, started_at=NOW(), finished_at=NOW())
    lot = world.manufacture(lot)
    world.test_all(lot)
    if role_in_lot == "analyst":
        first = lot.qc_results.get(attribute__code="endotoxin")
        services.record_qc_result(
            actor=both,
            lot=lot,
            attribute=world.attr("endotoxin"),
            value=D("0.1"),
            unit="EU/mL",
            tested_at=NOW(),
            retest_of=first,
            controls=passing_controls(world.attr("endotoxin")),
        )
    if role_in_lot == "verifier":
        retest = services.record_qc_result(
            actor=world.analyst,
            lot=lot,
            attribute=world.attr("endotoxin"),
            value=D("0.1"),
            unit="EU/mL",
            tested_at=NOW(),
            retest_of=lot.qc_results.get(attribute__code="endotoxin"),
            controls=passing_controls(world.attr("endotoxin")),
        )
        services.verify_qc_result(actor=both, result=retest)
    lot = services.complete_qc(actor=world.analyst, lot=lot)
    for func in (services.release_lot, services.reject_lot):
        with pytest.raises(SignatureRefused, match="another person"):
            func(request=rf_request, actor=both, lot=lot, password=both.raw_password, reason="mine")
    assert Lot.objects.get(pk=lot.pk).status == "quarantine"


def test_reject_needs_a_reason_and_signs_rejection(world, rf_request):
    lot = qc_lot(world)
    world.test_all(lot, overrides={"endotoxin": (D("0.9"), "EU/mL", "")})
    with pytest.raises(InputError):
        services.reject_lot(
            request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason=""
        )
    lot = services.reject_lot(
        request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason="confirmed OOS"
    )
    assert lot.status == "rejected" and lot.release_signature is None
    assert Signature.objects.get().meaning == "rejection"
    assert AuditEvent.objects.filter(action="lot.reject", reason="confirmed OOS").exists()
    with pytest.raises(RuleViolation):
        services.reject_lot(
            request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason="twice"
        )
