"""Attestations: who may sign in which role, staleness against what they cite, what they may cite."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.compliance import services
from evqms.compliance.models import Attestation
from evqms.errors import InputError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def statuses(rows):
    return {i["id"]: i["status"] for i in rows[0][0].findings["items"]}


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
