"""Risk register, approval and attestation rules; stored assessments and what changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent, Signature
from evqms.compliance import selectors, services
from evqms.compliance.models import Assessment, Attestation, RiskRegister
from evqms.errors import InputError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def statuses(rows):
    return {i["id"]: i["status"] for i in rows[0][0].findings["items"]}


def test_starter_hazards_fill_every_stage(world):
    register = services.create_register(actor=world.qa, product=world.product, with_starter_hazards=True)
    from evqms.guidance import risk

    assert register.items.count() == len(risk.STARTER_HAZARDS) == 20
    assert set(register.items.values_list("stage", flat=True)) == set(risk.STAGES)
    item = register.items.get(hazard="Endotoxin")
    assert (item.severity, item.occurrence, item.detectability, item.rpn, item.risk_class) == (
        3,
        3,
        3,
        27,
        "medium",
    )
    # Adding them again adds nothing (same hazards).
    assert services.add_starter_hazards(actor=world.qa, register=register) == []
    assert AuditEvent.objects.filter(action="risk_register.create").count() == 1


def test_scoring_and_validation(world):
    register = services.create_register(actor=world.qa, product=world.product)
    item = services.add_risk_item(
        actor=world.qa,
        register=register,
        stage="culture",
        hazard="Mycoplasma",
        severity=5,
        occurrence=3,
        detectability=1,
    )
    assert (item.rpn, item.risk_class, item.code) == (15, "high", "R-1")  # severity 5 x occurrence 3: high
    item = services.update_risk_item(actor=world.qa, item=item, occurrence=2, detectability=4)
    assert (item.rpn, item.risk_class) == (40, "medium")
    with pytest.raises(InputError) as exc:
        services.add_risk_item(
            actor=world.qa,
            register=register,
            stage="culture",
            hazard="x",
            severity=6,
            occurrence=1,
            detectability=1,
        )
    assert exc.value.where == "severity"
    with pytest.raises(InputError):
        services.add_risk_item(
            actor=world.qa,
            register=register,
            stage="moon",
            hazard="x",
            severity=1,
            occurrence=1,
            detectability=1,
        )
    with pytest.raises(PermissionDenied):
        services.add_risk_item(
            actor=world.operator,
            register=register,
            stage="culture",
            hazard="x",
            severity=1,
            occurrence=1,
            detectability=1,
        )


def test_approval_needs_role_and_password_and_freezes_the_version(world):
    register = world.register(approve=False)
    with pytest.raises(PermissionDenied):
        services.approve_register(
            request=world.request,
            actor=world.operator,
            register=register,
            password=world.operator.raw_password,
        )
    with pytest.raises(RuleViolation):
        services.approve_register(request=world.request, actor=world.qa, register=register, password="wrong")
    assert RiskRegister.objects.get(pk=register.pk).status == "draft"
    assert not Signature.objects.filter(object_type="risk_register").exists()
    register = services.approve_register(
        request=world.request, actor=world.qa, register=register, password=world.qa.raw_password
    )
    assert register.status == "approved" and register.approval_signature.meaning == "approval"
    with pytest.raises(RuleViolation):
        services.add_risk_item(
            actor=world.qa,
            register=register,
            stage="culture",
            hazard="x",
            severity=1,
            occurrence=1,
            detectability=1,
        )
    # A change is a new version: a copy of the items, draft until approved; then v1 is superseded.
    v2 = services.create_register(actor=world.qa, product=world.product)
    assert (v2.version, v2.status, v2.items.count()) == (2, "draft", register.items.count())
    endotoxin = v2.items.get(hazard="Endotoxin")
    assert [a.code for a in endotoxin.control_attributes.all()] == ["endotoxin"]
    services.approve_register(
        request=world.request, actor=world.physician, register=v2, password=world.physician.raw_password
    )
    assert RiskRegister.objects.get(pk=register.pk).status == "superseded"


def test_attestation_role_and_password(world):
    world.register()
    with pytest.raises(PermissionDenied):  # QA may attest, but not as the responsible physician
        services.attest(
            request=world.request,
            actor=world.qa,
            product=world.product,
            item_id="JSRM-1-SC",
            role="responsible_physician",
            statement="x",
            cites=[],
            password=world.qa.raw_password,
        )
    with pytest.raises(RuleViolation):
        services.attest(
            request=world.request,
            actor=world.physician,
            product=world.product,
            item_id="JSRM-1-SC",
            role="responsible_physician",
            statement="x",
            cites=[],
            password="not-the-password",
        )
    with pytest.raises(InputError):  # JSRM-3-R1 asks for no attestation
        services.attest(
            request=world.request,
            actor=world.physician,
            product=world.product,
            item_id="JSRM-3-R1",
            role="responsible_physician",
            statement="x",
            cites=[],
            password=world.physician.raw_password,
        )
    with pytest.raises(InputError):
        world.attest(cites=["risk_register:RR-other"])
    assert Attestation.objects.count() == 0
    att = world.attest()
    assert att.signature.meaning == "attestation" and att.signature.printed_name == "Dr1"
    # The quality manager's attestation (JSRM-2-R2) is QA's to sign, not the physician's.
    with pytest.raises(PermissionDenied):
        services.attest(
            request=world.request,
            actor=world.physician,
            product=world.product,
            item_id="JSRM-2-R2",
            role="quality_manager",
            statement="x",
            cites=[],
            password=world.physician.raw_password,
        )


def test_attestation_goes_stale_when_cited_register_changes(world):
    world.released_lot()
    world.register()
    att = world.attest()
    assert statuses(services.run_assessment(actor=world.qa, product=world.product))["JSRM-1-SC"] == "met"
    # Signed yesterday; today the register gets a new approved version: the attestation is older.
    Attestation.objects.filter(pk=att.pk).update(signed_at=timezone.now() - dt.timedelta(days=1))
    v2 = services.create_register(actor=world.qa, product=world.product)
    services.approve_register(
        request=world.request, actor=world.qa, register=v2, password=world.qa.raw_password
    )
    rows = services.run_assessment(actor=world.qa, product=world.product)
    finding = next(i for i in rows[0][0].findings["items"] if i["id"] == "JSRM-1-SC")
    assert finding["status"] == "needs_attestation"
    assert any("older than the evidence it cites" in r["en"] for r in finding["reasons"])
    # A fresh attestation citing the current register meets the item again.
    world.attest()
    assert statuses(services.run_assessment(actor=world.qa, product=world.product))["JSRM-1-SC"] == "met"


def test_stored_assessment_and_what_changed(world):
    world.released_lot()
    ((first, engine),) = services.run_assessment(actor=world.qa, product=world.product)
    assert (first.ruleset_id, first.ruleset_version) == ("jsrm-2024", "1.0")
    assert first.snapshot_sha256 == engine.snapshot_sha256 and len(first.snapshot_sha256) == 64
    assert first.snapshot["product"]["id"] == "ucmsc-sev-oa"
    assert first.score == pytest.approx(engine.score())
    assert selectors.diff(None, first)["first"] is True

    # Nothing changed: same hash, no item changed.
    ((same, _a),) = services.run_assessment(actor=world.qa, product=world.product)
    d = selectors.diff(first, same)
    assert d["same_snapshot"] and d["items"] == [] and d["records"] == []

    world.register()
    world.attest()
    ((second, _b),) = services.run_assessment(actor=world.qa, product=world.product)
    assert second.snapshot_sha256 != first.snapshot_sha256
    assert selectors.previous_of(second) == same
    d = selectors.diff(same, second)
    changed = {c["id"]: (c["before"], c["after"]) for c in d["items"]}
    assert changed["JSRM-1-R1"] == ("not_met", "met")
    assert changed["JSRM-1-SC"] == ("needs_attestation", "met")
    assert {"section": "risk_register", "record": "", "change": "added"} in d["records"]
    assert {
        "section": "attestations",
        "record": f"ATT-{Attestation.objects.get().pk}",
        "change": "added",
    } in d["records"]
    assert d["score_after"] > d["score_before"]


def test_part_scores_and_report_rebuild(world):
    world.released_lot()
    ((stored, engine),) = services.run_assessment(actor=world.qa, product=world.product)
    parts = {p["part"]: p for p in selectors.part_scores(stored)}
    assert set(parts) == {"risk_profiling", "process_quality", "ev_check_items", "efficacy"}
    counts = parts["ev_check_items"]["counts"]
    applicable = sum(n for s, n in counts.items() if s != "not_applicable")
    assert parts["ev_check_items"]["score"] == round(
        100 * (counts["met"] + 0.5 * counts["partly_met"]) / applicable, 1
    )
    rebuilt = selectors.to_engine(stored)
    assert [f.status for f in rebuilt.findings] == [f.status for f in engine.findings]
    assert rebuilt.score() == engine.score()


def test_run_assessment_needs_the_role(world):
    with pytest.raises(PermissionDenied):
        services.run_assessment(actor=world.operator, product=world.product)
    assert Assessment.objects.count() == 0


def test_citable_records_are_the_snapshots_records_on_the_demo():
    """The attestation dialog offers what the engine accepts as a citation: the same 'kind:id' keys
    as record_dates of the whole snapshot, read from a few id queries (the page used to build the
    snapshot on every view, its query count growing with the lots). The demo holds every kind."""
    from evqms.compliance.snapshot import build_snapshot
    from evqms.dossier.models import Product
    from evqms.guidance.checks.attestation import record_dates
    from evqms.testing import factories
    from evqms.web.demo import load_demo

    load_demo()
    demo = Product.objects.get(code="ucmsc-sev-oa")
    factories.process(demo, version=9, status="draft")  # no lot made on it: not evidence
    for product in Product.objects.all():
        expected = sorted(record_dates(build_snapshot(product)))
        assert services.citable_records(product) == expected, product.code
    assert "process:9" not in services.citable_records(demo)
    kinds = {key.split(":", 1)[0] for key in services.citable_records(demo)}
    assert kinds == {"product", "risk_register", "specification", "process", "qms_document", "lot", "study"}
    assert any(key.endswith(" (safety)") for key in services.citable_records(demo))
