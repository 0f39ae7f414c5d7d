"""Controlled disposal of held stock kept in-house: QA destroys units on hold under a recall or a hold
with a reason and a signature (meaning: approval); each leaves stock as discarded, is audited and is
shown on the recall's or hold's page as destroyed, while the ordinary discard keeps refusing a held
unit. Lineage: tests/trace/conftest.py (L1 ... L4)."""

from __future__ import annotations

import json

import pytest

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.inventory import services as inventory
from evqms.inventory.models import Aliquot, AliquotMove
from evqms.lots.models import LotHold
from evqms.testing import factories as f
from evqms.trace import services
from evqms.trace.models import HeldUnitDestruction


@pytest.fixture
def qa(db):
    return f.user("destroy-qa", "qa_reviewer")


@pytest.fixture
def recalled(lineage, qa, rf_request):
    """L1 recalled with two more units in freezer F-1 (L1-A004, L1-A005), now on hold under RC-00001."""
    op = lineage.operator
    site = inventory.create_location(actor=op, code="SITE-1", name="Site", kind="site")
    freezer = inventory.create_location(actor=op, code="F-1", name="Freezer", kind="freezer", parent=site)
    inventory.create_aliquots(
        actor=op, lot=lineage.lots["L1"], count=2, volume_ml="1.0", locations=[freezer, freezer]
    )
    return services.recall_lot(
        request=rf_request, actor=qa, lot="L1", reason="Endotoxin OOS", password=qa.raw_password
    )


def _destroy(request, actor, source, units, password=None, reason="Autoclaved, certificate DC-7"):
    return services.destroy_held_units(
        request=request,
        actor=actor,
        source=source,
        aliquots=units,
        reason=reason,
        password=actor.raw_password if password is None else password,
    )


def test_qa_destroys_a_held_unit_of_a_recall_signed_and_audited(recalled, qa, rf_request):
    assert Aliquot.objects.get(container_id="L1-A004").status == "on_hold"
    done = _destroy(rf_request, qa, "RC-00001", ["L1-A004"])
    assert [d.aliquot.container_id for d in done] == ["L1-A004"]
    unit = Aliquot.objects.get(container_id="L1-A004")
    assert (unit.status, unit.location_id, unit.hold_ref) == ("discarded", None, "")
    assert "RC-00001" in unit.reason and "DC-7" in unit.reason
    move = AliquotMove.objects.filter(aliquot=unit).latest("id")
    assert (move.from_location.code, move.to_location) == ("F-1", None)
    row = HeldUnitDestruction.objects.get()
    assert (row.recall, row.hold, row.location, row.destroyed_by) == (recalled, None, "F-1", qa)
    signature = Signature.objects.get(pk=row.signature_id)
    assert (signature.meaning, signature.object_type, signature.object_id) == (
        "approval",
        "recall",
        str(recalled.pk),
    )
    assert json.loads(signature.record)["units"] == [{"aliquot": "L1-A004", "lot": "L1", "location": "F-1"}]
    assert AuditEvent.objects.filter(action="aliquot.destroy_held", object_id=str(unit.pk)).count() == 1
    event = AuditEvent.objects.get(action="recall.destroy_units")
    assert json.loads(event.after)["signature_id"] == signature.pk
    # the other unit stays on hold, and so does the lot
    assert Aliquot.objects.get(container_id="L1-A005").status == "on_hold"
    assert LotHold.objects.get(source="RC-00001").released_at is None


def test_ordinary_discard_of_a_held_unit_stays_refused(recalled, lineage):
    with pytest.raises(RuleViolation, match="RC-00001"):
        inventory.discard_aliquot(actor=lineage.operator, aliquot="L1-A004", reason="broken")
    assert Aliquot.objects.get(container_id="L1-A004").status == "on_hold"


def test_only_qa_with_the_right_password_destroys(recalled, lineage, qa, rf_request):
    with pytest.raises(PermissionDenied):
        _destroy(rf_request, f.user("destroy-op", "operator"), "RC-00001", ["L1-A004"])
    with pytest.raises(SignatureRefused):
        _destroy(rf_request, qa, "RC-00001", ["L1-A004"], password="wrong")
    assert Aliquot.objects.get(container_id="L1-A004").status == "on_hold"
    assert not HeldUnitDestruction.objects.exists()


def test_refusals_destroy_nothing(recalled, lineage, qa, rf_request):
    with pytest.raises(InputError) as exc:
        _destroy(rf_request, qa, "RC-00001", ["L1-A004"], reason=" ")
    assert exc.value.where == "reason"
    with pytest.raises(InputError) as exc:
        _destroy(rf_request, qa, "RC-00001", [])
    assert exc.value.where == "aliquots"
    with pytest.raises(InputError) as exc:
        _destroy(rf_request, qa, "RC-99999", ["L1-A004"])
    assert exc.value.where == "source"
    with pytest.raises(InputError, match="NOPE-1"):
        _destroy(rf_request, qa, "RC-00001", ["L1-A004", "NOPE-1"])
    # a unit of another lot, and a unit of the recalled lot that is not in stock (administered)
    for other in ("L2-A002", "L1-A001"):
        with pytest.raises(RuleViolation, match=f"{other} is not a unit in stock on hold under RC-00001"):
            _destroy(rf_request, qa, "RC-00001", ["L1-A004", other])
    assert Aliquot.objects.get(container_id="L1-A004").status == "on_hold"
    assert not HeldUnitDestruction.objects.exists()
    assert not AuditEvent.objects.filter(action="aliquot.destroy_held").exists()
    # destroyed once: a second time is refused
    _destroy(rf_request, qa, "RC-00001", ["L1-A004"])
    with pytest.raises(RuleViolation, match="L1-A004"):
        _destroy(rf_request, qa, "RC-00001", ["L1-A004"])


def test_units_held_by_a_qa_hold_are_destroyed_through_the_hold(lineage, qa, rf_request):
    # FBS-1 went into L3 only: its two units are held by the hold
    hold = services.place_hold(actor=qa, scope="material_lot", code="FBS-1", reason="TSE certificate missing")
    held = sorted(Aliquot.objects.filter(status="on_hold").values_list("container_id", flat=True))
    assert held == ["L3-A002"]  # L3-A001 was administered (ADM-3)
    done = _destroy(rf_request, qa, hold.number, ["L3-A002"])
    assert done[0].hold == hold and done[0].recall is None
    assert Aliquot.objects.get(container_id="L3-A002").status == "discarded"
    assert AuditEvent.objects.filter(action="hold.destroy_units").count() == 1
    services.release_hold(
        request=rf_request, actor=qa, hold=hold, reason="certificate found", password=qa.raw_password
    )
    with pytest.raises(RuleViolation, match="already lifted"):
        _destroy(rf_request, qa, hold.number, ["L3-A002"])


def _login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_recall_page_destroys_held_units_and_shows_them(recalled, lineage, qa, client):
    _login(client, qa)
    url = f"/trace/recalls/{recalled.number}/"
    page = client.get(url).content.decode()
    assert 'id="destroy-held-form"' in page and 'value="L1-A004"' in page
    wrong = client.post(
        url, {"action": "destroy-held", "aliquots": ["L1-A004"], "reason": "Autoclaved", "password": "x"}
    )
    assert wrong.status_code == 400 and "password is wrong" in wrong.content.decode()
    done = client.post(
        url,
        {
            "action": "destroy-held",
            "aliquots": ["L1-A004"],
            "reason": "Autoclaved",
            "password": qa.raw_password,
        },
    )
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert 'id="destroyed-units"' in page and "Autoclaved" in page and "Destroyed in-house (1)" in page
    # a QC analyst reads the recall and its held stock but has no destroy form, and may not post it
    client.logout()
    _login(client, f.user("destroy-qc", "qc_analyst"))
    page = client.get(url)
    assert page.status_code == 200 and 'id="destroy-held-form"' not in page.content.decode()
    refused = client.post(
        url, {"action": "destroy-held", "aliquots": ["L1-A005"], "reason": "x", "password": "x"}
    )
    assert refused.status_code == 403
    assert Aliquot.objects.get(container_id="L1-A005").status == "on_hold"


def test_hold_page_destroys_held_units(lineage, qa, client):
    hold = services.place_hold(actor=qa, scope="material_lot", code="FBS-1", reason="TSE certificate missing")
    _login(client, qa)
    url = f"/trace/holds/{hold.number}/"
    page = client.get(url).content.decode()
    assert 'id="destroy-held-form"' in page and 'value="L3-A002"' in page
    empty = client.post(url, {"action": "destroy-held", "reason": "x", "password": qa.raw_password})
    assert empty.status_code == 400 and Aliquot.objects.get(container_id="L3-A002").status == "on_hold"
    done = client.post(
        url,
        {
            "action": "destroy-held",
            "aliquots": ["L3-A002"],
            "reason": "Incinerated",
            "password": qa.raw_password,
        },
    )
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert 'id="destroyed-units"' in page and "Incinerated" in page
    assert Aliquot.objects.get(container_id="L3-A002").status == "discarded"


def test_recall_exports_list_units_destroyed_in_house(recalled, qa, rf_request):
    import csv
    import io

    from pypdf import PdfReader

    from evqms.i18n import use_language
    from evqms.trace.exports import recall_csv, recall_pdf

    _destroy(rf_request, qa, "RC-00001", ["L1-A004"])
    with use_language("en"):
        rows = list(csv.reader(io.StringIO(recall_csv(recalled).decode("utf-8-sig"))))
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(recall_pdf(recalled))).pages)
    destroyed = [r for r in rows if r[2] == "Destroyed in-house"]
    assert len(destroyed) == 1
    row = destroyed[0]
    assert (row[0], row[1], row[3], row[6], row[10]) == ("RC-00001", "L1", "L1-A004", "F-1", "Destroyed")
    assert row[12].endswith("+09:00") and row[13] == "Autoclaved, certificate DC-7"
    assert "Destroyed in-house" in text and "L1-A004" in text and "DC-7" in text
