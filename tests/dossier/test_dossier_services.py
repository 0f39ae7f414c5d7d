"""Dossier services: every validation rule, versioning, signatures, roles and the audit events."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.dossier import models as m
from evqms.dossier import services
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.testing import factories

D = Decimal
pytestmark = pytest.mark.django_db


def events(object_type, object_id=None, action=None):
    qs = AuditEvent.objects.filter(object_type=object_type).order_by("seq")
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    if action:
        qs = qs.filter(action=action)
    return list(qs)


# --- products -------------------------------------------------------------------------------


def test_create_product_records_the_after_state(product, people):
    (ev,) = events("product", product.pk, "product.create")
    after = json.loads(ev.after)
    assert ev.actor_id == people.qa.pk
    assert ev.before == ""
    assert after["code"] == "ucmsc-sev-oa"
    assert after["routes"] == ["intra_articular"]
    assert after["responsible_physician"] == "dr1"


def test_update_product_records_before_and_after(product, people):
    services.update_product(
        actor=people.qa, product=product, routes=["intra_articular", "iv"], reason="new route"
    )
    (ev,) = events("product", product.pk, "product.update")
    assert json.loads(ev.before)["routes"] == ["intra_articular"]
    assert json.loads(ev.after)["routes"] == ["intra_articular", "iv"]
    assert ev.reason == "new route"
    # no change, no event
    services.update_product(actor=people.qa, product=product, routes=["intra_articular", "iv"])
    assert len(events("product", product.pk, "product.update")) == 1


def test_product_roles_and_fields(people):
    base = dict(
        code="x-1", name="X", source_cell_type="uc_msc", origin="allogeneic", indications="OA", routes=["iv"]
    )
    with pytest.raises(PermissionDenied):
        services.create_product(actor=people.operator, **base)
    with pytest.raises(InputError) as e:
        services.create_product(actor=people.qa, **{**base, "routes": ["nose-spray"]})
    assert e.value.where == "routes"
    with pytest.raises(InputError) as e:
        services.create_product(actor=people.qa, **{**base, "responsible_physician": people.operator})
    assert e.value.where == "responsible_physician"
    with pytest.raises(InputError) as e:
        services.create_product(actor=people.qa, **{**base, "dose_unit": "smurfs"})
    assert e.value.where == "dose_unit"
    assert not m.Product.objects.filter(code="x-1").exists()


def test_duplicate_product_code_names_the_field(product, people):
    with pytest.raises(InputError) as e:
        services.create_product(
            actor=people.qa,
            code="ucmsc-sev-oa",
            name="X",
            source_cell_type="uc_msc",
            origin="allogeneic",
            indications="OA",
            routes=["iv"],
        )
    assert e.value.where == "code"


# --- donors ---------------------------------------------------------------------------------


def test_standard_marker_panel_is_seeded():
    assert sorted(m.InfectiousMarker.objects.values_list("code", flat=True)) == [
        "hbv",
        "hcv",
        "hiv",
        "htlv1",
        "parvo_b19",
        "syphilis",
    ]


def test_donor_eligible_only_with_a_complete_negative_panel(people):
    donor = services.create_donor(actor=people.operator, code="D-9", consent_on=dt.date(2024, 1, 1))
    markers = list(m.InfectiousMarker.objects.order_by("code"))
    for marker in markers[:-1]:
        services.record_donor_test(
            actor=people.operator,
            donor=donor,
            marker=marker,
            result="negative",
            tested_on=dt.date(2024, 1, 2),
        )
    with pytest.raises(RuleViolation, match="Syphilis"):
        services.set_donor_eligibility(actor=people.qa, donor=donor, eligibility="eligible")
    services.record_donor_test(
        actor=people.operator,
        donor=donor,
        marker=markers[-1],
        result="negative",
        tested_on=dt.date(2024, 1, 2),
    )
    donor = services.set_donor_eligibility(actor=people.qa, donor=donor, eligibility="eligible")
    assert donor.eligibility == "eligible"
    ev = events("donor", donor.pk, "donor.eligibility")[-1]
    assert json.loads(ev.before)["eligibility"] == "pending"
    assert json.loads(ev.after)["eligibility"] == "eligible"
    # a later reactive result withdraws eligibility
    services.record_donor_test(
        actor=people.operator,
        donor=donor,
        marker=markers[0],
        result="positive",
        tested_on=dt.date(2024, 6, 1),
    )
    donor.refresh_from_db()
    assert donor.eligibility == "pending"
    with pytest.raises(RuleViolation):
        services.set_donor_eligibility(actor=people.qa, donor=donor, eligibility="eligible")


def test_donor_without_consent_is_not_eligible(people):
    donor = services.create_donor(actor=people.operator, code="D-10")
    with pytest.raises(RuleViolation, match="consent"):
        services.set_donor_eligibility(actor=people.qa, donor=donor, eligibility="eligible")


def test_configurable_panel_adds_a_required_marker(people):
    donor = services.create_donor(actor=people.operator, code="D-11", consent_on=dt.date(2024, 1, 1))
    for marker in m.InfectiousMarker.objects.all():
        services.record_donor_test(
            actor=people.operator,
            donor=donor,
            marker=marker,
            result="negative",
            tested_on=dt.date(2024, 1, 2),
        )
    services.add_infectious_marker(actor=people.qa, code="cmv", name="CMV")
    with pytest.raises(RuleViolation, match="CMV: not tested"):
        services.set_donor_eligibility(actor=people.qa, donor=donor, eligibility="eligible")
    with pytest.raises(PermissionDenied):
        services.add_infectious_marker(actor=people.operator, code="ebv", name="EBV")


# --- cell banks -----------------------------------------------------------------------------


@pytest.fixture
def mcb(people):
    donor = services.create_donor(actor=people.operator, code="D-1", consent_on=dt.date(2024, 1, 1))
    return services.create_cell_bank(actor=people.operator, code="MCB-1", kind="MCB", donor=donor, passage=3)


def test_wcb_without_parent_is_refused(people, mcb):
    with pytest.raises(InputError) as e:
        services.create_cell_bank(actor=people.operator, code="WCB-1", kind="WCB", donor=mcb.donor, passage=5)
    assert e.value.where == "parent"
    assert not m.CellBank.objects.filter(code="WCB-1").exists()


def test_bank_needs_exactly_one_origin_and_a_sane_passage(people, mcb):
    with pytest.raises(InputError) as e:
        services.create_cell_bank(actor=people.operator, code="X", kind="MCB", passage=1)
    assert e.value.where == "donor"
    with pytest.raises(InputError) as e:
        services.create_cell_bank(
            actor=people.operator, code="X", kind="WCB", donor=mcb.donor, parent=mcb, passage=5
        )
    assert e.value.where == "parent"
    with pytest.raises(InputError) as e:
        services.create_cell_bank(actor=people.operator, code="X", kind="WCB", parent=mcb, passage=2)
    assert e.value.where == "passage"


def test_cycle_in_cell_bank_lineage_is_refused(people, mcb):
    wcb = services.create_cell_bank(actor=people.operator, code="WCB-1", kind="WCB", parent=mcb, passage=5)
    sub = services.create_cell_bank(
        actor=people.operator, code="WCB-1-1", kind="other", parent=wcb, passage=6
    )
    # MCB-1 -> WCB-1 -> WCB-1-1; making MCB-1 a child of WCB-1-1 closes a loop
    with pytest.raises(RuleViolation, match="cycle"):
        services.update_cell_bank(actor=people.operator, bank=mcb, donor=None, parent=sub, passage=7)
    with pytest.raises(RuleViolation, match="cycle"):
        services.update_cell_bank(actor=people.operator, bank=wcb, parent=wcb, passage=5)
    mcb.refresh_from_db()
    assert mcb.parent_id is None and mcb.donor_id is not None


def test_cell_bank_update_is_audited(people, mcb):
    services.update_cell_bank(actor=people.qa, bank=mcb, status="available", reason="characterised")
    (ev,) = events("cell_bank", mcb.pk, "cell_bank.update")
    assert json.loads(ev.before)["status"] == "quarantine"
    assert json.loads(ev.after)["status"] == "available"
    with pytest.raises(PermissionDenied):
        services.update_cell_bank(actor=people.auditor, bank=mcb, vials=3)


def test_ineligible_donor_gives_no_bank(people):
    donor = services.create_donor(actor=people.operator, code="D-2", consent_on=dt.date(2024, 1, 1))
    services.set_donor_eligibility(
        actor=people.qa, donor=donor, eligibility="ineligible", notes="HBV positive"
    )
    with pytest.raises(RuleViolation):
        services.create_cell_bank(actor=people.operator, code="MCB-2", kind="MCB", donor=donor, passage=2)


# --- materials ------------------------------------------------------------------------------


@pytest.fixture
def serum(people):
    return services.create_material(
        actor=people.operator, name="Fetal bovine serum", supplier="S", catalogue_number="FBS-1", kind="serum"
    )


def _receive(people, material, **kw):
    args = dict(
        actor=people.operator,
        material=material,
        lot_number="L1",
        grade="research",
        received_on=timezone.localdate() - dt.timedelta(days=5),
        expiry=timezone.localdate() + dt.timedelta(days=100),
    )
    args.update(kw)
    return services.receive_material_lot(**args)


def test_animal_origin_needs_tissue_and_justification(people, serum):
    with pytest.raises(InputError) as e:
        _receive(people, serum, animal_species="bovine", animal_tissue="serum")
    assert e.value.where == "animal_origin_justification"
    with pytest.raises(InputError) as e:
        _receive(people, serum, animal_species="bovine", animal_origin_justification="BSE-free origin")
    assert e.value.where == "animal_tissue"
    lot = _receive(
        people,
        serum,
        animal_species="bovine",
        animal_tissue="serum",
        animal_origin_justification="US origin, CEP on file",
    )
    assert lot.is_biological is True and lot.animal_component_free is False
    assert lot.acceptance_status == "quarantine"


def test_expired_material_lot_cannot_be_accepted(people, serum):
    lot = _receive(
        people,
        serum,
        received_on=timezone.localdate() - dt.timedelta(days=400),
        expiry=timezone.localdate() - dt.timedelta(days=1),
    )
    with pytest.raises(RuleViolation, match="expired"):
        services.decide_material_lot(actor=people.qa, lot=lot, decision="accepted", reason="CoA ok")
    lot.refresh_from_db()
    assert lot.acceptance_status == "quarantine"
    services.decide_material_lot(actor=people.analyst, lot=lot, decision="rejected", reason="expired")
    lot.refresh_from_db()
    assert lot.acceptance_status == "rejected"


def test_material_lot_acceptance_roles_reason_and_audit(people, serum):
    lot = _receive(people, serum)
    with pytest.raises(PermissionDenied):
        services.decide_material_lot(actor=people.operator, lot=lot, decision="accepted", reason="ok")
    with pytest.raises(InputError) as e:
        services.decide_material_lot(actor=people.qa, lot=lot, decision="accepted", reason="  ")
    assert e.value.where == "reason"
    services.decide_material_lot(actor=people.qa, lot=lot, decision="accepted", reason="CoA reviewed")
    (ev,) = events("material_lot", lot.pk, "material_lot.accept")
    assert json.loads(ev.before)["acceptance_status"] == "quarantine"
    assert json.loads(ev.after)["acceptance_status"] == "accepted"
    assert ev.reason == "CoA reviewed"
    with pytest.raises(RuleViolation):
        services.decide_material_lot(actor=people.qa, lot=lot, decision="rejected", reason="changed mind")


def test_expiry_before_receipt_is_refused(people, serum):
    with pytest.raises(InputError) as e:
        _receive(people, serum, received_on=dt.date(2024, 5, 1), expiry=dt.date(2024, 4, 1))
    assert e.value.where == "expiry"


# --- documents ------------------------------------------------------------------------------


def test_document_versions_keep_the_file_and_its_sha256(people):
    v1 = services.upload_document(
        actor=people.operator,
        code="SOP-001",
        title="Aseptic processing",
        kind="sop",
        content=b"version one",
        original_name="sop.pdf",
    )
    assert v1.version == 1 and v1.sha256 == hashlib.sha256(b"version one").hexdigest()
    with v1.file.open("rb") as fh:
        assert fh.read() == b"version one"
    with pytest.raises(RuleViolation, match="identical"):
        services.upload_document(
            actor=people.operator,
            code="SOP-001",
            title="x",
            kind="sop",
            content=b"version one",
            original_name="sop.pdf",
        )
    with pytest.raises(RuleViolation, match="draft"):  # approve v1 before uploading v2
        services.upload_document(
            actor=people.operator,
            code="SOP-001",
            title="x",
            kind="sop",
            content=b"version two",
            original_name="sop.pdf",
        )


def test_document_approval_signature_rules(people, rf_request):
    v1 = services.upload_document(
        actor=people.qa, code="SOP-002", title="Cleaning", kind="sop", content=b"one", original_name="a.pdf"
    )
    with pytest.raises(SignatureRefused, match="uploader"):
        services.approve_document(
            request=rf_request, actor=people.qa, document=v1, password=people.qa.raw_password
        )
    with pytest.raises(SignatureRefused, match="password"):
        services.approve_document(request=rf_request, actor=people.qa2, document=v1, password="wrong")
    v1.refresh_from_db()
    assert v1.status == "draft"
    assert not Signature.objects.filter(object_type="document").exists()
    with pytest.raises(PermissionDenied):
        services.approve_document(
            request=rf_request, actor=people.analyst, document=v1, password=people.analyst.raw_password
        )
    services.approve_document(
        request=rf_request, actor=people.qa2, document=v1, password=people.qa2.raw_password
    )
    v1.refresh_from_db()
    assert v1.status == "approved"
    sig = Signature.objects.get(object_type="document", object_id=str(v1.pk))
    assert sig.meaning == "approval" and sig.signer_id == people.qa2.pk
    assert json.loads(sig.record)["sha256"] == hashlib.sha256(b"one").hexdigest()
    v2 = services.upload_document(
        actor=people.operator,
        code="SOP-002",
        title="Cleaning",
        kind="sop",
        content=b"two",
        original_name="a.pdf",
    )
    assert v2.version == 2
    services.approve_document(
        request=rf_request, actor=people.qa, document=v2, password=people.qa.raw_password
    )
    v1.refresh_from_db()
    assert v1.status == "superseded"
    (ev,) = events("document", v1.pk, "document.supersede")
    assert json.loads(ev.before)["status"] == "approved" and json.loads(ev.after)["status"] == "superseded"


def test_tampered_document_file_is_not_approved(people, rf_request):
    doc = services.upload_document(
        actor=people.operator,
        code="SOP-003",
        title="T",
        kind="sop",
        content=b"original",
        original_name="t.txt",
    )
    with open(doc.file.path, "wb") as fh:
        fh.write(b"changed")
    with pytest.raises(RuleViolation, match="sha256"):
        services.approve_document(
            request=rf_request, actor=people.qa, document=doc, password=people.qa.raw_password
        )


# --- process versions -----------------------------------------------------------------------


def _process_v1(people, product):
    proc = services.create_process_version(actor=people.operator, product=product, description="first")
    step = services.add_process_step(actor=people.operator, process=proc, kind="culture", name="Culture")
    services.add_process_parameter(
        actor=people.operator, step=step, name="Culture time", unit="h", low="48", high="72", critical=True
    )
    return proc


def test_process_versioning_copy_immutable_and_superseded(people, product, rf_request):
    v1 = _process_v1(people, product)
    with pytest.raises(RuleViolation, match="draft"):
        services.create_process_version(actor=people.operator, product=product)
    services.update_process(actor=people.qa, process=v1, description="first, edited by QA")
    with pytest.raises(SignatureRefused, match="author"):
        services.approve_process(
            request=rf_request, actor=people.qa, process=v1, password=people.qa.raw_password
        )
    with pytest.raises(PermissionDenied):
        services.approve_process(
            request=rf_request, actor=people.operator, process=v1, password=people.operator.raw_password
        )
    services.approve_process(
        request=rf_request, actor=people.qa2, process=v1, password=people.qa2.raw_password
    )
    v1.refresh_from_db()
    assert v1.status == "approved"
    # approved versions are immutable
    step = v1.steps.get()
    with pytest.raises(services.ImmutableRecord):
        services.add_process_step(actor=people.operator, process=v1, kind="fill", name="Fill")
    with pytest.raises(services.ImmutableRecord):
        services.update_process_parameter(actor=people.operator, parameter=step.parameters.get(), high="96")
    with pytest.raises(services.ImmutableRecord):
        services.remove_process_step(actor=people.operator, step=step)
    # a new version copies steps and parameters
    v2 = services.create_process_version(actor=people.operator, product=product, description="xeno-free")
    assert v2.version == 2
    (s2,) = v2.steps.all()
    (p2,) = s2.parameters.all()
    assert (s2.kind, s2.name, p2.name, p2.unit, p2.low, p2.high, p2.critical) == (
        "culture",
        "Culture",
        "Culture time",
        "h",
        D("48"),
        D("72"),
        True,
    )
    services.update_process_parameter(actor=people.operator, parameter=p2, high="96")
    assert step.parameters.get().high == D("72")  # v1 untouched
    # a change to an approved version is approved only under an approved change request
    with pytest.raises(RuleViolation, match="change request"):
        services.approve_process(
            request=rf_request, actor=people.qa, process=v2, password=people.qa.raw_password
        )
    cr = factories.approved_change_request(kind="process", product_code=product.code)
    services.link_process_change_request(actor=people.operator, process=v2, change_request=cr)
    services.approve_process(request=rf_request, actor=people.qa, process=v2, password=people.qa.raw_password)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("superseded", "approved")
    sig = Signature.objects.get(object_type="process", object_id=str(v2.pk))
    assert json.loads(sig.record)["steps"][0]["parameters"][0]["high"] == "96.000000"


def test_process_parameter_validation(people, product):
    proc = services.create_process_version(actor=people.operator, product=product)
    step = services.add_process_step(actor=people.operator, process=proc, kind="concentration", name="TFF")
    with pytest.raises(InputError) as e:
        services.add_process_parameter(
            actor=people.operator, step=step, name="TMP", unit="bar", low="2", high="1"
        )
    assert e.value.where == "low"
    with pytest.raises(InputError) as e:
        services.add_process_parameter(actor=people.operator, step=step, name="TMP", unit="blorps", low="1")
    assert e.value.where == "unit"
    with pytest.raises(InputError) as e:
        services.add_process_parameter(
            actor=people.operator, step=step, name="TMP", unit="bar", critical=True
        )
    assert e.value.where == "low"


def test_process_without_steps_is_not_approved(people, product, rf_request):
    proc = services.create_process_version(actor=people.operator, product=product)
    with pytest.raises(RuleViolation, match="steps"):
        services.approve_process(
            request=rf_request, actor=people.qa, process=proc, password=people.qa.raw_password
        )


def test_process_step_events_carry_before_and_after(people, product):
    proc = _process_v1(people, product)
    step = proc.steps.get()
    services.update_process_step(actor=people.operator, step=step, method="T-flask")
    (ev,) = events("process", proc.pk, "process.step.update")
    assert json.loads(ev.before)["method"] == "" and json.loads(ev.after)["method"] == "T-flask"
    actions = [e.action for e in events("process", proc.pk)]
    assert actions == ["process.create", "process.step.add", "process.parameter.add", "process.step.update"]


# --- specifications -------------------------------------------------------------------------


QUANT = dict(
    code="conc",
    name="Particle concentration",
    method="NTA",
    kind="quantitative",
    unit="particles/mL",
    lower="1e9",
    upper="1e12",
)


@pytest.fixture
def draft_spec(people, product):
    return services.create_specification_version(actor=people.analyst, product=product)


@pytest.mark.parametrize(
    "changes, field, text",
    [
        (dict(lower="10", upper="5"), "lower", "above the upper limit"),
        (dict(lower="5", upper="5", upper_inclusive=False), "upper", "equal limits"),
        (dict(alert_lower="1e8"), "alert_lower", "outside the acceptance range"),
        (dict(alert_upper="2e12"), "alert_upper", "outside the acceptance range"),
        (dict(alert_lower="5e11", alert_upper="2e11"), "alert_lower", "above the upper alert"),
        (dict(unit="parsecs per wombat"), "unit", "unknown unit"),
        (dict(decimal_places=11), "decimal_places", "0 to 10"),
        (dict(decimal_places=-1), "decimal_places", "0 to 10"),
        (dict(lower="abc"), "lower", "not a number"),
        (dict(method=""), "method", "required"),
        (dict(choices=["a", "b"]), "choices", "no list"),
        (dict(code="bad code!"), "code", "letters"),
    ],
)
def test_quantitative_attribute_validation(people, draft_spec, changes, field, text):
    with pytest.raises(InputError) as e:
        services.add_spec_attribute(actor=people.analyst, specification=draft_spec, **{**QUANT, **changes})
    assert e.value.where == field
    assert text in e.value.message
    assert not draft_spec.attributes.exists()


QUAL = dict(
    code="cd63",
    name="CD63",
    method="Western blot",
    kind="qualitative",
    choices=["positive", "negative"],
    acceptable=["positive"],
)


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(acceptable=["present"]), "acceptable"),
        (dict(acceptable=[]), "acceptable"),
        (dict(choices=["positive"]), "choices"),
        (dict(acceptable=["positive", "negative"]), "acceptable"),
        (dict(unit="%"), "unit"),
        (dict(upper="1"), "upper"),
    ],
)
def test_qualitative_attribute_validation(people, draft_spec, changes, field):
    with pytest.raises(InputError) as e:
        services.add_spec_attribute(actor=people.analyst, specification=draft_spec, **{**QUAL, **changes})
    assert e.value.where == field


def test_valid_attributes_are_stored_normalised(people, draft_spec):
    a = services.add_spec_attribute(
        actor=people.analyst,
        specification=draft_spec,
        **{**QUANT, "unit": "µg/mL", "alert_lower": "2e9", "decimal_places": 2},
    )
    assert (a.lower, a.upper, a.alert_lower, a.unit, a.decimal_places) == (
        D("1e9"),
        D("1e12"),
        D("2e9"),
        "µg/mL",
        2,
    )
    q = services.add_spec_attribute(
        actor=people.analyst, specification=draft_spec, **{**QUAL, "choices": "positive, negative"}
    )
    assert q.choices == ["positive", "negative"] and q.acceptable == ["positive"]
    with pytest.raises(InputError) as e:
        services.add_spec_attribute(actor=people.analyst, specification=draft_spec, **QUAL)
    assert e.value.where == "code"


def test_spec_versioning_and_approval(people, product, rf_request):
    v1 = services.create_specification_from_template(actor=people.analyst, product=product)
    services.update_specification(actor=people.qa2, specification=v1, description="edited by QA 2")
    with pytest.raises(SignatureRefused, match="author"):
        services.approve_specification(
            request=rf_request, actor=people.qa2, specification=v1, password=people.qa2.raw_password
        )
    with pytest.raises(PermissionDenied):
        services.approve_specification(
            request=rf_request, actor=people.analyst, specification=v1, password=people.analyst.raw_password
        )
    with pytest.raises(SignatureRefused, match="password"):
        services.approve_specification(request=rf_request, actor=people.qa, specification=v1, password="nope")
    v1.refresh_from_db()
    assert v1.status == "draft"
    services.approve_specification(
        request=rf_request,
        actor=people.qa,
        specification=v1,
        password=people.qa.raw_password,
        reason="first release spec",
    )
    v1.refresh_from_db()
    assert v1.status == "approved"
    endotoxin = v1.attributes.get(code="endotoxin")
    with pytest.raises(services.ImmutableRecord):
        services.update_spec_attribute(actor=people.analyst, attribute=endotoxin, upper="1")
    with pytest.raises(services.ImmutableRecord):
        services.add_spec_attribute(actor=people.analyst, specification=v1, **QUANT)
    v2 = services.create_specification_version(actor=people.analyst, product=product, description="tighter")
    assert v2.attributes.count() == v1.attributes.count()
    e2 = v2.attributes.get(code="endotoxin")
    services.update_spec_attribute(actor=people.analyst, attribute=e2, upper="0.3", alert_upper="0.15")
    ev = events("specification", v2.pk, "specification.attribute.update")[-1]
    assert json.loads(ev.before)["upper"] == "0.5" and json.loads(ev.after)["upper"] == "0.3"
    with pytest.raises(RuleViolation, match="change request"):
        services.approve_specification(
            request=rf_request, actor=people.qa, specification=v2, password=people.qa.raw_password
        )
    cr = factories.approved_change_request(kind="specification", product_code=product.code)
    services.link_specification_change_request(actor=people.analyst, specification=v2, change_request=cr)
    services.approve_specification(
        request=rf_request, actor=people.qa, specification=v2, password=people.qa.raw_password
    )
    v1.refresh_from_db()
    assert v1.status == "superseded"
    assert v1.attributes.get(code="endotoxin").upper == D("0.5")
    assert (
        json.loads(events("specification", v1.pk, "specification.supersede")[0].after)["status"]
        == "superseded"
    )


def test_release_template_content(people, product):
    spec = services.create_specification_from_template(actor=people.analyst, product=product)
    attrs = {a.code: a for a in spec.attributes.all()}
    assert {
        "particle_concentration",
        "size_mode",
        "marker_cd9",
        "marker_cd63",
        "marker_cd81",
        "marker_tsg101",
        "marker_alix",
        "marker_calnexin",
        "marker_gm130",
        "particle_protein_ratio",
        "protein_content",
        "sterility",
        "endotoxin",
        "mycoplasma",
        "appearance",
        "potency_relative",
    } <= set(attrs)
    size = attrs["size_mode"]
    assert (size.lower, size.upper, size.unit, size.method) == (D("50"), D("200"), "nm", "NTA")
    assert attrs["marker_cd81"].acceptable == ["positive"]
    assert attrs["marker_calnexin"].acceptable == ["negative"] and attrs["marker_gm130"].acceptable == [
        "negative"
    ]
    endo = attrs["endotoxin"]
    assert (endo.upper, endo.upper_inclusive, endo.unit) == (D("0.5"), False, "EU/mL")
    assert "K = 5 EU/kg" in endo.source and "0.2" in endo.source and "DEFAULT TO CONFIGURE" in endo.source
    assert attrs["potency_relative"].unit == "%" and "JSRM-3-R4" in attrs["potency_relative"].guidance_items
    assert "JSRM-3-R1" in attrs["marker_cd63"].guidance_items
    assert "JSRM-3-R3" in attrs["protein_content"].guidance_items
    assert all(a.source for a in attrs.values()) and all(a.method for a in attrs.values())
    assert attrs["sterility"].acceptable == ["no growth"] and attrs["mycoplasma"].acceptable == ["negative"]
    assert attrs["particle_protein_ratio"].unit == "particles/ug"


def test_template_endotoxin_k_over_m(people, product, make_user):
    spec = services.create_specification_from_template(
        actor=people.analyst, product=product, max_dose_ml_per_kg="0.1"
    )
    endo = spec.attributes.get(code="endotoxin")
    assert endo.upper == D("50")  # 5 EU/kg / 0.1 mL/kg
    assert "EL = K/M" in endo.source
    it = services.create_product(
        actor=people.qa,
        code="it-1",
        name="IT",
        source_cell_type="uc_msc",
        origin="allogeneic",
        indications="ALS",
        routes=["intrathecal"],
    )
    spec_it = services.create_specification_from_template(
        actor=people.analyst, product=it, max_dose_ml_per_kg="0.1"
    )
    assert spec_it.attributes.get(code="endotoxin").upper == D("2")  # 0.2 EU/kg / 0.1 mL/kg


def test_spec_roles(people, product):
    with pytest.raises(PermissionDenied):
        services.create_specification_version(actor=people.operator, product=product)
    with pytest.raises(PermissionDenied):
        services.create_specification_from_template(actor=people.physician, product=product)
