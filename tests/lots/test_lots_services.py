"""Lot services: creation rules, manufacturing records, QC results, deviations, release and rejection."""

import datetime as dt
import hashlib
from decimal import Decimal as D

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.selectors import verify_chain
from evqms.audit.services import SignatureRefused
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.lots import records, selectors, services
from evqms.lots.models import Deviation, Lot, ParameterValue, QCResult

pytestmark = pytest.mark.django_db
NOW = timezone.now


def record(world, lot, code, value=None, unit="", text="", **kw):
    return services.record_qc_result(
        actor=kw.pop("actor", world.analyst),
        lot=lot,
        attribute=world.attr(code),
        value=value,
        unit=unit,
        text_value=text,
        tested_at=NOW(),
        **kw,
    )


def qc_lot(world, number="UCEV-T-001"):
    return world.manufacture(world.new_lot(number))


# --- creation and manufacturing ---------------------------------------------------------------


def test_create_lot_checks_role_versions_and_cell_bank(world):
    from evqms.testing import factories as f

    with pytest.raises(PermissionDenied):
        world.new_lot(actor=world.qa)
    draft = f.process(world.product, version=3, status="draft")
    with pytest.raises(RuleViolation, match="not approved"):
        world.new_lot(process=draft)
    other_spec = f.specification(f.product("other-product"))
    with pytest.raises(InputError) as exc:
        world.new_lot(specification=other_spec)
    assert exc.value.where == "specification"
    world.bank.status = "quarantine"
    world.bank.save()
    with pytest.raises(RuleViolation, match="not available"):
        world.new_lot()
    world.bank.status = "available"
    world.bank.save()
    lot = world.new_lot()
    with pytest.raises(InputError) as exc:
        world.new_lot()
    assert exc.value.where == "number"
    event = AuditEvent.objects.get(action="lot.create")
    assert event.object_id == str(lot.pk) and '"number":"UCEV-T-001"' in event.after


def test_material_lots_must_be_accepted_and_in_date(world):
    from evqms.testing import factories as f

    lot = world.new_lot()
    quarantined = f.material_lot("HPL", "HPL-Q", status="quarantine")
    expired = f.material_lot("Old medium", "OLD-1", expiry=dt.date(2020, 1, 1))
    with pytest.raises(RuleViolation, match="not accepted"):
        services.record_material_usage(
            actor=world.operator, lot=lot, material_lot=quarantined, quantity=D("1"), unit="mL"
        )
    with pytest.raises(RuleViolation, match="expired"):
        services.record_material_usage(
            actor=world.operator, lot=lot, material_lot=expired, quantity=D("1"), unit="mL"
        )
    with pytest.raises(InputError):
        services.record_material_usage(
            actor=world.operator, lot=lot, material_lot=world.medium, quantity=D("0"), unit="mL"
        )
    usage = services.record_material_usage(
        actor=world.operator, lot=lot, material_lot=world.medium, quantity=D("250"), unit="mL"
    )
    assert usage.quantity == D("250")


def test_step_values_are_converted_and_out_of_range_opens_a_deviation(world):
    lot = world.new_lot()
    culture = world.process.steps.get(order=1)
    time_p = culture.parameters.get(name="Culture time")
    confluence = culture.parameters.get(name="Confluence at harvest")
    start = NOW() - dt.timedelta(days=3)
    rec = services.record_step(
        actor=world.operator,
        lot=lot,
        step=culture,
        started_at=start,
        finished_at=start + dt.timedelta(hours=60),
        values={time_p.pk: (D("3600"), "min"), confluence.pk: (D("95"), "%")},
    )
    values = {v.parameter_id: v for v in ParameterValue.objects.filter(step_record=rec)}
    assert values[time_p.pk].value == D("60") and values[time_p.pk].in_range
    assert not values[confluence.pk].in_range
    dev = Deviation.objects.get(lot=lot)
    assert dev.source == "parameter" and dev.status == "open" and values[confluence.pk].deviation == dev
    assert "95" in dev.description
    with pytest.raises(InputError) as exc:
        services.record_step(
            actor=world.operator,
            lot=lot,
            step=culture,
            started_at=start,
            finished_at=start,
            values={time_p.pk: (D("1"), "nm")},
        )
    assert "unit" in exc.value.where


def test_submit_to_qc_needs_every_step(world):
    lot = world.new_lot()
    with pytest.raises(RuleViolation, match="steps not recorded"):
        services.submit_to_qc(actor=world.operator, lot=lot)
    lot = world.manufacture(Lot.objects.get(pk=lot.pk))
    assert lot.status == "qc"


# --- QC results --------------------------------------------------------------------------------


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
            actor=world.analyst, lot=lot, attribute=foreign, value=D("0.1"), unit="EU/mL", tested_at=NOW()
        )
    assert exc.value.where == "attribute"
    with pytest.raises(PermissionDenied):
        record(world, lot, "endotoxin", D("0.1"), "EU/mL", actor=world.operator)
    assert QCResult.objects.count() == 0


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


# --- the release gate, condition by condition ----------------------------------------------


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
    services.close_deviation(actor=world.qa, deviation=lot.deviations.get(), resolution="investigated")
    assert codes(lot) == ["standing_oos"]
    services.invalidate_qc_result(actor=world.qa, result=results["endotoxin"], reason="documented lab error")
    assert codes(lot) == []


def test_gate_alert_result_passes(world):
    lot = qc_lot(world)
    world.test_all(lot, overrides={"modal_size": (D("190"), "nm", "")})
    lot = services.complete_qc(actor=world.analyst, lot=lot)
    assert codes(lot) == []


def test_gate_open_deviation(world):
    lot = world.quarantined_lot()
    dev = services.open_deviation(actor=world.operator, lot=lot, description="freezer alarm during storage")
    assert codes(lot) == ["open_deviation"]
    with pytest.raises(PermissionDenied):
        services.close_deviation(actor=world.operator, deviation=dev, resolution="ok")
    with pytest.raises(InputError):
        services.close_deviation(actor=world.qa, deviation=dev, resolution="")
    services.close_deviation(actor=world.qa, deviation=dev, resolution="temperature log within limits")
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


def test_mark_expired(world, rf_request):
    lot = world.quarantined_lot()
    services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    assert services.mark_expired(actor=None) == []
    changed = services.mark_expired(actor=world.qa, today=timezone.localdate() + dt.timedelta(days=400))
    assert [x.number for x in changed] == [lot.number]
    assert Lot.objects.get(pk=lot.pk).status == "expired"
    assert AuditEvent.objects.filter(action="lot.expire").count() == 1


# --- selectors -------------------------------------------------------------------------------------


def test_lot_list_has_no_n_plus_one(world, django_assert_max_num_queries):
    for i in range(5):
        world.new_lot(f"UCEV-T-{i:03d}")
    with django_assert_max_num_queries(1):
        rows = [
            (lot.number, lot.product.code, lot.process.version, lot.cell_bank.code, lot.open_deviations)
            for lot in selectors.lot_list(product="ucmsc-sev-oa")
        ]
    assert len(rows) == 5
    assert [lot.number for lot in selectors.lot_list(search="T-003")] == ["UCEV-T-003"]
    assert list(selectors.lot_list(status="released")) == []


def test_lot_detail_tells_the_story(world):
    lot = qc_lot(world)
    first = record(world, lot, "endotoxin", D("0.8"), "EU/mL")
    services.invalidate_qc_result(actor=world.analyst2, result=first, reason="lab error")
    retest = record(world, lot, "endotoxin", D("0.1"), "EU/mL", retest_of=first)
    services.verify_qc_result(actor=world.analyst2, result=retest)
    d = selectors.lot_detail(lot)
    assert d["product"]["code"] == "ucmsc-sev-oa" and d["process"]["version"] == 1
    assert d["materials"][0]["animal_component_free"] is True
    assert all(v["in_range"] for s in d["steps"] for v in s["values"])
    by_id = {r["id"]: r for r in d["results"]}
    assert by_id[first.pk]["oos"] and by_id[first.pk]["invalidation_reason"] == "lab error"
    assert by_id[first.pk]["retests"] == [retest.pk] and by_id[first.pk]["oos_deviation"].startswith("DEV-")
    assert by_id[retest.pk]["current"] and by_id[retest.pk]["verified_by"]["username"] == "qc2"
    assert by_id[retest.pk]["criterion"] == "< 0.5 EU/mL"
    assert d["deviations"][0]["source"] == "oos"
    assert {p["code"] for p in d["release_gate"]} >= {"status", "missing_result", "open_deviation"}


def test_dashboard_card(world):
    world.quarantined_lot()
    card = selectors.dashboard_card(world.qa)
    assert card["value"] == 1 and "1" in card["caption"]
    from evqms.testing import factories as f

    assert selectors.dashboard_card(f.user("nobody")) is None


def test_messages_are_japanese_by_default(world):
    from django.utils import translation

    lot = world.new_lot()
    with translation.override("ja"), pytest.raises(RuleViolation) as exc:
        services.submit_to_qc(actor=world.operator, lot=lot)
    assert str(exc.value).startswith("未記録の工程があります")
