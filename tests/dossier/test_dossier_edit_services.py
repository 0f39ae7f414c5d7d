"""Corrections of donors, cell banks and materials: audit events with before/after and the reason,
bad input named by field with nothing written, the fields that stay fixed, and edits in sequence."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.dossier import models as m
from evqms.dossier import services
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.testing import factories

pytestmark = pytest.mark.django_db


def events(object_type, object_id, action):
    return list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id), action=action).order_by(
            "seq"
        )
    )


def consent_form(people, code="ICF-1"):
    return services.upload_document(
        actor=people.qa,
        code=code,
        title="Donor consent form",
        kind="consent",
        content=b"icf",
        original_name="icf.pdf",
    )


@pytest.fixture
def donor(people):
    return services.create_donor(actor=people.operator, code="D-1", consent_on=dt.date(2024, 1, 10))


@pytest.fixture
def mcb(people, donor):
    return services.create_cell_bank(actor=people.operator, code="MCB-1", kind="MCB", donor=donor, passage=3)


@pytest.fixture
def medium(people):
    return services.create_material(
        actor=people.operator,
        name="Xeno-free MSC mediun",
        supplier="Acme Bio",
        catalogue_number="XF-100",
        kind="basal_medium",
    )


def receive(people, material, lot_number="L1"):
    return services.receive_material_lot(
        actor=people.operator,
        material=material,
        lot_number=lot_number,
        grade="gmp",
        received_on=timezone.localdate() - dt.timedelta(days=3),
        expiry=timezone.localdate() + dt.timedelta(days=300),
    )


# --- donors ---------------------------------------------------------------------------------


def test_donor_correction_is_audited_with_before_after_and_reason(people, donor):
    icf = consent_form(people)
    services.update_donor(
        actor=people.qa,
        donor=donor,
        consent_on=dt.date(2024, 1, 9),
        consent_document=icf,
        reason="transcription error: the signed form is dated 9 January",
    )
    donor.refresh_from_db()
    assert donor.consent_on == dt.date(2024, 1, 9) and donor.consent_document == icf
    assert donor.code == "D-1" and donor.eligibility == "pending"
    (ev,) = events("donor", donor.pk, "donor.update")
    before, after = json.loads(ev.before), json.loads(ev.after)
    assert before["consent_on"] == "2024-01-10" and before["consent_document"] is None
    assert after["consent_on"] == "2024-01-09" and after["consent_document"] == "ICF-1 v1"
    assert ev.reason == "transcription error: the signed form is dated 9 January"
    assert ev.actor_name == "qa1"


def test_donor_code_and_eligibility_are_not_edited_here(people, donor):
    for field, value in (("code", "D-9"), ("eligibility", "eligible"), ("eligibility_notes", "x")):
        with pytest.raises(InputError) as e:
            services.update_donor(actor=people.qa, donor=donor, reason="r", **{field: value})
        assert e.value.where == "donor" and field in e.value.message
    donor.refresh_from_db()
    assert (donor.code, donor.eligibility, donor.eligibility_notes) == ("D-1", "pending", "")
    assert events("donor", donor.pk, "donor.update") == []


@pytest.mark.parametrize(
    "future, reason, field",
    [(False, "", "reason"), (False, "   ", "reason"), (True, "correction", "consent_on")],
)
def test_donor_bad_input_names_the_field_and_writes_nothing(people, donor, future, reason, field):
    day = timezone.localdate() + dt.timedelta(days=1) if future else dt.date(2024, 2, 1)
    n_events = AuditEvent.objects.count()
    with pytest.raises(InputError) as e:
        services.update_donor(actor=people.qa, donor=donor, consent_on=day, reason=reason)
    assert e.value.where == field
    donor.refresh_from_db()
    assert donor.consent_on == dt.date(2024, 1, 10)
    assert AuditEvent.objects.count() == n_events


def test_donor_consent_document_must_be_a_consent_form(people, donor):
    sop = services.upload_document(
        actor=people.qa,
        code="SOP-1",
        title="Culture SOP",
        kind="sop",
        content=b"sop",
        original_name="sop.pdf",
    )
    with pytest.raises(InputError) as e:
        services.update_donor(actor=people.qa, donor=donor, consent_document=sop, reason="attach")
    assert e.value.where == "consent_document"
    donor.refresh_from_db()
    assert donor.consent_document is None


def test_an_eligible_donor_keeps_a_consent_date(people):
    donor = factories.donor("D-7")  # eligible, consent recorded
    with pytest.raises(InputError) as e:
        services.update_donor(actor=people.qa, donor=donor, consent_on=None, reason="no form found")
    assert e.value.where == "consent_on" and "withdraw the eligibility" in e.value.message
    donor.refresh_from_db()
    assert donor.consent_on == dt.date(2024, 1, 10) and donor.eligibility == "eligible"


def test_donor_roles_and_no_event_without_a_change(people, donor):
    with pytest.raises(PermissionDenied):
        services.update_donor(actor=people.auditor, donor=donor, consent_on=None, reason="r")
    with pytest.raises(PermissionDenied):
        services.update_donor(actor=people.analyst, donor=donor, consent_on=None, reason="r")
    services.update_donor(actor=people.operator, donor=donor, consent_on=dt.date(2024, 1, 10), reason="same")
    assert events("donor", donor.pk, "donor.update") == []


def test_edits_from_stale_copies_follow_update_product_and_keep_the_trail(people, donor):
    """The area has no optimistic locking (update_product locks the row and applies the change):
    two users editing from the same stale copy are serialised; the second event's `before` is the
    first event's `after`, so the trail shows whose value was replaced by whom."""
    first_copy = m.Donor.objects.get(pk=donor.pk)
    second_copy = m.Donor.objects.get(pk=donor.pk)
    services.update_donor(actor=people.operator, donor=first_copy, consent_on=dt.date(2024, 1, 8), reason="A")
    services.update_donor(actor=people.qa, donor=second_copy, consent_on=dt.date(2024, 1, 7), reason="B")
    first, second = events("donor", donor.pk, "donor.update")
    assert json.loads(first.after)["consent_on"] == "2024-01-08"
    assert json.loads(second.before) == json.loads(first.after)
    assert json.loads(second.after)["consent_on"] == "2024-01-07"
    assert (first.actor_name, first.reason, second.actor_name, second.reason) == ("op1", "A", "qa1", "B")


# --- cell banks -----------------------------------------------------------------------------


def test_cell_bank_correction_is_audited(people, mcb):
    services.update_cell_bank(
        actor=people.operator, bank=mcb, vials=48, location="LN2 tank 2, rack B", reason="two vials broke"
    )
    mcb.refresh_from_db()
    assert (mcb.vials, mcb.location) == (48, "LN2 tank 2, rack B")
    (ev,) = events("cell_bank", mcb.pk, "cell_bank.update")
    before, after = json.loads(ev.before), json.loads(ev.after)
    assert (before["vials"], before["location"]) == (0, "")
    assert (after["vials"], after["location"], after["code"]) == (48, "LN2 tank 2, rack B", "MCB-1")
    assert ev.reason == "two vials broke"


def test_cell_bank_bad_input_names_the_field_and_writes_nothing(people, mcb):
    n_events = AuditEvent.objects.count()
    for changes, field in (
        ({"vials": -1}, "vials"),
        ({"passage": None}, "passage"),
        ({"kind": "XYZ"}, "kind"),
        ({"kind": "WCB"}, "parent"),  # a working bank needs a parent bank
        ({"code": "MCB-9"}, "cell_bank"),  # the code is the bank's identity
    ):
        with pytest.raises(InputError) as e:
            services.update_cell_bank(actor=people.operator, bank=mcb, reason="r", **changes)
        assert e.value.where == field, changes
    mcb.refresh_from_db()
    assert (mcb.code, mcb.kind, mcb.vials, mcb.passage) == ("MCB-1", "MCB", 0, 3)
    assert AuditEvent.objects.count() == n_events


def test_wcb_passage_stays_at_or_above_its_parent(people, mcb):
    wcb = services.create_cell_bank(actor=people.operator, code="WCB-1", kind="WCB", parent=mcb, passage=5)
    with pytest.raises(InputError) as e:
        services.update_cell_bank(actor=people.operator, bank=wcb, passage=2, reason="typo")
    assert e.value.where == "passage" and "(3)" in e.value.message


def test_bank_of_a_donor_found_ineligible_can_still_be_rejected(people, donor, mcb):
    services.set_donor_eligibility(
        actor=people.qa, donor=donor, eligibility="ineligible", notes="HBV positive"
    )
    services.update_cell_bank(actor=people.qa, bank=mcb, status="rejected", reason="donor ineligible")
    mcb.refresh_from_db()
    assert mcb.status == "rejected"
    # but it can neither become available nor be re-linked to that donor elsewhere
    with pytest.raises(RuleViolation, match="ineligible"):
        services.update_cell_bank(actor=people.qa, bank=mcb, status="available", reason="mistake")
    other = services.create_donor(actor=people.operator, code="D-2", consent_on=dt.date(2024, 1, 1))
    bank2 = services.create_cell_bank(actor=people.operator, code="MCB-2", kind="MCB", donor=other, passage=2)
    with pytest.raises(RuleViolation, match="ineligible"):
        services.update_cell_bank(actor=people.operator, bank=bank2, donor=donor, reason="wrong donor")
    bank2.refresh_from_db()
    assert bank2.donor == other


def test_lineage_is_fixed_once_lots_were_made_below_the_bank(people, mcb):
    wcb = services.create_cell_bank(actor=people.operator, code="WCB-1", kind="WCB", parent=mcb, passage=5)
    other = services.create_donor(actor=people.operator, code="D-2", consent_on=dt.date(2024, 1, 1))
    # no lot yet: a wrong donor may be corrected
    services.update_cell_bank(actor=people.operator, bank=mcb, donor=other, reason="wrong donor picked")
    mcb.refresh_from_db()
    assert mcb.donor == other
    factories.lot("UCEV-T-1", bank=wcb)
    with pytest.raises(RuleViolation, match="MCB-1"):
        services.update_cell_bank(
            actor=people.operator, bank=mcb, donor=m.Donor.objects.get(code="D-1"), reason="back"
        )
    mcb.refresh_from_db()
    assert mcb.donor == other
    # descriptive fields stay correctable
    services.update_cell_bank(actor=people.operator, bank=mcb, location="Tank 3", reason="moved")
    mcb.refresh_from_db()
    assert mcb.location == "Tank 3"


# --- materials ------------------------------------------------------------------------------


def test_material_correction_is_audited(people, medium):
    services.update_material(
        actor=people.analyst,
        material=medium,
        name="Xeno-free MSC medium",
        catalogue_number="XF-101",
        used_in_culture=True,
        reason="typo in the name and catalogue number",
    )
    medium.refresh_from_db()
    assert (medium.name, medium.catalogue_number) == ("Xeno-free MSC medium", "XF-101")
    (ev,) = events("material", medium.pk, "material.update")
    before, after = json.loads(ev.before), json.loads(ev.after)
    assert (before["name"], before["catalogue_number"]) == ("Xeno-free MSC mediun", "XF-100")
    assert (after["name"], after["catalogue_number"]) == ("Xeno-free MSC medium", "XF-101")
    assert ev.reason == "typo in the name and catalogue number"


def test_material_bad_input_names_the_field_and_writes_nothing(people, medium):
    services.create_material(
        actor=people.operator, name="HPL", supplier="Acme Bio", catalogue_number="HPL-1", kind="supplement"
    )
    n_events = AuditEvent.objects.count()
    for changes, reason, field in (
        ({"name": "  "}, "r", "name"),
        ({"kind": "magic"}, "r", "kind"),
        ({"supplier": ""}, "r", "supplier"),
        ({"catalogue_number": "HPL-1"}, "r", "catalogue_number"),  # another material's identity
        ({"name": "Medium"}, " ", "reason"),
        ({"lot_number": "x"}, "r", "material"),
    ):
        with pytest.raises(InputError) as e:
            services.update_material(actor=people.operator, material=medium, reason=reason, **changes)
        assert e.value.where == field, changes
    medium.refresh_from_db()
    assert (medium.name, medium.supplier, medium.catalogue_number, medium.kind) == (
        "Xeno-free MSC mediun",
        "Acme Bio",
        "XF-100",
        "basal_medium",
    )
    assert AuditEvent.objects.count() == n_events


def test_received_material_keeps_its_identity_kind_and_stage(people, medium):
    lot = receive(people, medium)
    for field, value in (
        ("supplier", "Other Bio"),
        ("catalogue_number", "XF-999"),
        ("kind", "serum"),
        ("used_in_culture", False),
    ):
        with pytest.raises(InputError) as e:
            services.update_material(actor=people.operator, material=medium, reason="r", **{field: value})
        assert e.value.where == field and "lots of this material were received" in e.value.message
    # the lot's audit trail still cites an existing material
    (received,) = events("material_lot", lot.pk, "material_lot.receive")
    assert json.loads(received.after)["material"] == "Acme Bio XF-100"
    assert m.Material.objects.filter(supplier="Acme Bio", catalogue_number="XF-100").exists()
    # the name is a label: a typo may be corrected, with the old name in the trail
    services.update_material(
        actor=people.operator,
        material=medium,
        name="Xeno-free MSC medium",
        supplier="Acme Bio",
        catalogue_number="XF-100",
        kind="basal_medium",
        used_in_culture=True,
        reason="typo",
    )
    (ev,) = events("material", medium.pk, "material.update")
    assert json.loads(ev.before)["name"] == "Xeno-free MSC mediun"
    assert json.loads(ev.after) == {**json.loads(ev.before), "name": "Xeno-free MSC medium"}


def test_material_roles(people, medium):
    with pytest.raises(PermissionDenied):
        services.update_material(actor=people.auditor, material=medium, name="X", reason="r")
    with pytest.raises(PermissionDenied):
        services.update_material(actor=people.physician, material=medium, name="X", reason="r")
    medium.refresh_from_db()
    assert medium.name == "Xeno-free MSC mediun"
