"""A recall contains the stock: the lot's units in stock go on hold in the recall's transaction, every
stock action and administration refuses them naming the recall, shipped units are listed with their
consignee and followed until returned/destroyed/administered, and the recall closes (signed) only
when none is open. QA holds on a product, cell bank or material lot hold exactly the lots the trace
finds downstream, block their release, and are lifted only with a reason and a signature.

The lineage is tests/trace/conftest.py: L1 has A001, A002 (administered) and A003 (retention sample);
here three more units are added: A004 shipped to a clinic, A005 available, A006 reserved.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import translation

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.inventory import services as inventory
from evqms.inventory.models import Aliquot, Shipment
from evqms.lots.models import Lot, LotHold
from evqms.testing import factories as f
from evqms.trace import exports, services
from evqms.trace.models import Hold, Recall, RecallUnit
from evqms.trace.selectors import trace

# 00:30 UTC is 09:30 JST the same day; 23:30 UTC the day before would be 08:30 JST the next day.
SHIPPED_AT = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)


@pytest.fixture
def qa(db):
    return f.user("contain-qa", "qa_reviewer")


@pytest.fixture
def stock(lineage):
    op = lineage.operator
    clinic = inventory.create_consignee(
        actor=op,
        code="KYOTO-CL",
        name="京都ひざクリニック",
        address="京都市中京区烏丸通 1",
        site="整形外科",
        contact_name="佐藤医師",
        contact_phone="075-000-0000",
    )
    units = inventory.create_aliquots(actor=op, lot=lineage.lots["L1"], count=3, volume_ml="1.0")
    assert [u.container_id for u in units] == ["L1-A004", "L1-A005", "L1-A006"]
    shipment = inventory.ship_aliquots(
        actor=op, aliquots=["L1-A004"], consignee="KYOTO-CL", shipped_at=SHIPPED_AT, reference="YMT-1"
    )
    inventory.reserve_aliquot(actor=lineage.physician, aliquot="L1-A006", reason="P-3 next week")
    return {"clinic": clinic, "shipment": shipment, "operator": op}


def _recall(request, qa, lot="L1"):
    return services.recall_lot(
        request=request,
        actor=qa,
        lot=lot,
        reason="Endotoxin OOS in retained sample",
        password=qa.raw_password,
    )


def _status(code):
    a = Aliquot.objects.get(container_id=code)
    return a.status, a.hold_ref


def test_recall_holds_every_remaining_unit_and_lists_the_shipped_one(lineage, stock, qa, rf_request):
    recall = _recall(rf_request, qa)
    assert recall.number == "RC-00001"
    assert _status("L1-A005") == ("on_hold", "RC-00001")
    assert _status("L1-A006") == ("on_hold", "RC-00001")
    assert Aliquot.objects.get(container_id="L1-A006").held_status == "reserved"
    # administered, shipped and the retention sample keep their status
    assert [_status(c)[0] for c in ("L1-A001", "L1-A002", "L1-A003", "L1-A004")] == [
        "administered",
        "administered",
        "retained",
        "shipped",
    ]
    hold = LotHold.objects.get(lot__number="L1")
    assert (hold.source, hold.source_kind, hold.released_at) == ("RC-00001", "recall", None)
    unit = RecallUnit.objects.get(recall=recall)
    assert (unit.aliquot.container_id, unit.shipment, unit.outcome) == ("L1-A004", stock["shipment"], "open")
    assert sorted(
        AuditEvent.objects.filter(action="aliquot.hold").values_list("object_id", flat=True)
    ) == sorted(str(Aliquot.objects.get(container_id=c).pk) for c in ("L1-A005", "L1-A006"))
    created = json.loads(AuditEvent.objects.get(action="recall.create").after)
    assert (created["shipped_units"], created["units_held"]) == (1, 2)
    signed = Signature.objects.get(pk=recall.signature_id)
    assert signed.object_type == "lot"
    # other lots are untouched
    assert _status("L2-A002") == ("available", "")


def test_recall_is_one_transaction(lineage, stock, qa, rf_request, monkeypatch):
    """A failure after the units were put on hold leaves nothing behind: lot, units, holds."""

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(RecallUnit.objects, "create", boom)
    with pytest.raises(RuntimeError):
        _recall(rf_request, qa)
    assert Lot.objects.get(number="L1").status == "released"
    assert _status("L1-A005") == ("available", "")
    assert _status("L1-A006") == ("reserved", "")
    assert not LotHold.objects.exists() and not Recall.objects.exists()
    assert not AuditEvent.objects.filter(action__in=("aliquot.hold", "lot.recall")).exists()


def test_every_action_on_a_held_unit_is_refused_naming_the_recall(lineage, stock, qa, rf_request):
    from evqms.clinical import services as clinical

    _recall(rf_request, qa)
    op, doc = stock["operator"], lineage.physician
    before = AuditEvent.objects.count()
    attempts = {
        "shipped": lambda: inventory.ship_aliquot(actor=op, aliquot="L1-A005", consignee="KYOTO-CL"),
        "reserved": lambda: inventory.reserve_aliquot(actor=doc, aliquot="L1-A005"),
        "returned to use": lambda: inventory.unreserve_aliquot(actor=doc, aliquot="L1-A006"),
        "discarded": lambda: inventory.discard_aliquot(actor=op, aliquot="L1-A005", reason="x"),
        "become a retention sample": lambda: inventory.record_retention_sample(actor=op, aliquot="L1-A005"),
        "administered": lambda: clinical.record_administration(
            actor=doc,
            patient="P-3",
            aliquots=["L1-A006"],
            administered_at=lineage.adm[1].administered_at,
            route="intra_articular",
        ),
    }
    with translation.override("en"):
        for verb, attempt in attempts.items():
            with pytest.raises(RuleViolation) as refused:
                attempt()
            assert "on hold under recall RC-00001" in str(refused.value), verb
            assert verb in str(refused.value)
        with pytest.raises(RuleViolation, match="RC-00001"):
            inventory.create_aliquots(actor=op, lot=Lot.objects.get(number="L1"), count=1, volume_ml="1")
    with translation.override("ja"):
        with pytest.raises(RuleViolation) as refused:
            inventory.ship_aliquot(actor=op, aliquot="L1-A005", consignee="KYOTO-CL")
        assert str(refused.value) == "分注品 L1-A005 は回収 RC-00001により保留中です：出荷できません"
    assert AuditEvent.objects.count() == before
    assert Shipment.objects.count() == 1
    # segregation inside storage stays possible, and the unit stays on hold
    place = inventory.create_location(actor=op, code="QRT", name="Quarantine shelf", kind="site")
    moved = inventory.move_aliquot(actor=op, aliquot="L1-A005", to_location=place, reason="segregate")
    assert (moved.status, moved.hold_ref, moved.location.code) == ("on_hold", "RC-00001", "QRT")


def test_close_is_refused_while_a_shipped_unit_is_open(lineage, stock, qa, rf_request):
    recall = _recall(rf_request, qa)
    with translation.override("en"), pytest.raises(RuleViolation) as refused:
        services.close_recall(
            request=rf_request, actor=qa, recall=recall, reason="done", password=qa.raw_password
        )
    assert str(refused.value) == "recall RC-00001 still has 1 open units: L1-A004"
    with pytest.raises(InputError) as missing:
        services.close_recall_unit(
            actor=stock["operator"], recall=recall, aliquot="L1-A004", outcome="destroyed", note=" "
        )
    assert missing.value.where == "note"
    with pytest.raises(InputError):  # a unit that was never shipped is not part of the follow-up
        services.close_recall_unit(
            actor=stock["operator"], recall=recall, aliquot="L1-A005", outcome="returned", note="x"
        )
    unit = services.close_recall_unit(
        actor=stock["operator"],
        recall=recall,
        aliquot="L1-A004",
        outcome="destroyed",
        note="Destruction certificate DC-7 signed by pharmacist Ito",
    )
    assert (unit.outcome, unit.confirmed_by) == ("destroyed", stock["operator"])
    assert _status("L1-A004")[0] == "discarded"
    event = AuditEvent.objects.get(action="recall.unit_close")
    assert json.loads(event.after)["outcome"] == "destroyed" and event.actor == stock["operator"]
    with pytest.raises(RuleViolation):  # closed once
        services.close_recall_unit(
            actor=stock["operator"], recall=recall, aliquot="L1-A004", outcome="returned", note="x"
        )
    with pytest.raises(SignatureRefused):
        services.close_recall(request=rf_request, actor=qa, recall=recall, reason="done", password="wrong")
    assert Recall.objects.get(pk=recall.pk).status == "open"
    with pytest.raises(PermissionDenied):  # only QA closes
        services.close_recall(
            request=rf_request, actor=stock["operator"], recall=recall, reason="x", password="x"
        )
    closed = services.close_recall(
        request=rf_request,
        actor=qa,
        recall=recall,
        reason="All units accounted for",
        password=qa.raw_password,
    )
    assert (closed.status, closed.closed_by) == ("closed", qa)
    sig = Signature.objects.get(pk=closed.close_signature_id)
    assert (sig.meaning, sig.object_type, sig.object_id) == ("approval", "recall", str(recall.pk))
    # the lot stays recalled and its stock stays on hold after the follow-up ends
    assert _status("L1-A005") == ("on_hold", "RC-00001")


def test_returned_unit_comes_back_on_hold(lineage, stock, qa, rf_request):
    recall = _recall(rf_request, qa)
    services.close_recall_unit(
        actor=qa, recall=recall, aliquot="L1-A004", outcome="returned", note="Returned by courier YMT-9"
    )
    assert _status("L1-A004") == ("on_hold", "RC-00001")
    with pytest.raises(RuleViolation, match="RC-00001"):
        inventory.ship_aliquot(actor=stock["operator"], aliquot="L1-A004", consignee="KYOTO-CL")


def test_csv_and_pdf_list_administrations_and_shipments_with_local_times(lineage, stock, qa, rf_request):
    from pypdf import PdfReader

    recall = _recall(rf_request, qa)
    with translation.override("en"):
        rows = list(csv.DictReader(io.StringIO(exports.recall_csv(recall).decode("utf-8-sig"))))
    shipped = [r for r in rows if r["Type"] == "Shipment"]
    assert len(rows) == 3 and len(shipped) == 1
    row = shipped[0]
    assert row["Reference"] == stock["shipment"].number
    assert row["Date"] == "2026-12-06T08:30:00+09:00"  # 23:30 UTC on the 5th is the 6th in Japan
    assert row["Recipient"] == "京都ひざクリニック" and row["Physician / contact"] == "佐藤医師"
    assert row["Address / site"] == "整形外科, 京都市中京区烏丸通 1"
    assert (row["Aliquots"], row["Unit outcome"]) == ("L1-A004", "Open")
    administered = {r["Recipient"] for r in rows if r["Type"] == "Administration"}
    assert administered == {"P-1", "P-2"}
    assert all(r["Date"].endswith("+09:00") for r in rows)

    services.close_recall_unit(actor=qa, recall=recall, aliquot="L1-A004", outcome="returned", note="YMT-9")
    with translation.override("ja"):
        reader = PdfReader(io.BytesIO(exports.recall_pdf(recall)))
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)  # cells wrap mid-word
    assert "RC-00001" in text and "京都ひざクリニック" in text and "L1-A004" in text
    assert "2026-12-0608:30JST" in text and "返品済み" in text
    assert "P-1" in text and "P-2" in text
    assert "保留中の在庫ユニット" in text and "L1-A005" in text
    fonts = {str(f.get_object().get("/BaseFont")) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("IPAex" in name for name in fonts), fonts


def test_recall_page_shows_units_on_hold_and_the_follow_up(lineage, stock, qa, rf_request, client):
    recall = _recall(rf_request, qa)
    client.force_login(qa)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/trace/recalls/{recall.number}/").content.decode()
    assert "Shipped units: 1 · closed: 0 · still open: 1" in page
    assert "Units in stock on hold: 2" in page and "L1-A005" in page and "L1-A006" in page
    assert "京都ひざクリニック" in page and 'id="close-L1-A004"' in page
    refused = client.post(
        f"/trace/recalls/{recall.number}/",
        {"action": "close-recall", "reason": "done", "password": qa.raw_password},
    )
    assert refused.status_code == 400
    assert "recall RC-00001 still has 1 open units: L1-A004" in refused.content.decode()
    done = client.post(
        f"/trace/recalls/{recall.number}/",
        {
            "action": "close-unit",
            "aliquot": "L1-A004",
            "outcome": "administered",
            "note": "Given to patient K-1",
        },
    )
    assert done.status_code == 302
    closed = client.post(
        f"/trace/recalls/{recall.number}/",
        {"action": "close-recall", "reason": "All accounted for", "password": qa.raw_password},
    )
    assert closed.status_code == 302 and Recall.objects.get(pk=recall.pk).status == "closed"
    aliquot_page = client.get("/inventory/aliquots/L1-A005/").content.decode()
    assert 'id="hold-banner"' in aliquot_page and "recall RC-00001" in aliquot_page
    listing = client.get("/inventory/?lot=L1").content.decode()
    assert 'On hold</span> <span class="hold-ref">RC-00001' in listing
    lot_page = client.get("/lots/L1/").content.decode()
    assert 'id="lot-holds"' in lot_page and "recall RC-00001" in lot_page
    trace_page = client.get("/trace/lot/L1/").content.decode()
    assert "On hold: RC-00001" in trace_page
    api = client.get("/api/v1/inventory/aliquots/L1-A005/").json()
    assert (api["status"], api["hold"]) == ("on_hold", "RC-00001")
    assert client.get("/api/v1/trace/lot/L1/").json()["holds"]["L1"] == ["RC-00001"]
    shipped = client.post("/inventory/aliquots/L1-A005/", {"action": "ship", "consignee": "KYOTO-CL"})
    assert shipped.status_code == 400
    assert (
        "aliquot L1-A005 is on hold under recall RC-00001: it cannot be shipped" in shipped.content.decode()
    )


# --- holds upstream ---------------------------------------------------------------------------


def test_hold_on_a_material_lot_holds_exactly_the_lots_the_trace_finds(lineage, stock, qa, rf_request):
    # HPL-1 went into L1 and L2 (conftest); a quarantined L5 also used it and must not be released.
    from evqms.lots.models import MaterialUsage
    from evqms.lots.services import ReleaseBlocked, release_lot

    l5 = f.lot("L5", status="quarantine", bank=lineage.banks["mcb2"])
    MaterialUsage.objects.create(
        lot=l5,
        material_lot=lineage.materials["hpl"],
        quantity=1,
        unit="L",
        recorded_by=lineage.operator,
        recorded_at=SHIPPED_AT,
    )
    expected = sorted(n.code for n in trace("material_lot", "HPL-1").of("lot"))
    assert expected == ["L1", "L2", "L5"]
    hold = services.place_hold(
        actor=qa, scope="material_lot", code="HPL-1", reason="Supplier notice: HPL-1 sterility"
    )
    assert hold.number == "HD-00001" and hold.lots == expected
    held = sorted(
        LotHold.objects.filter(source="HD-00001", released_at__isnull=True).values_list(
            "lot__number", flat=True
        )
    )
    assert held == expected
    assert _status("L2-A002") == ("on_hold", "HD-00001")
    assert _status("L1-A005") == ("on_hold", "HD-00001")
    assert _status("L3-A002") == ("available", "")  # L3 used FBS-1 and MED-1, not HPL-1
    with translation.override("en"):
        from evqms.lots.selectors import release_gate

        problems = [p for p in release_gate(l5) if p.code == "hold"]
        assert [p.subject for p in problems] == ["HD-00001"]
        assert problems[0].message["en"] == "the lot is on hold under hold HD-00001"
        releaser = f.user("contain-qa2", "qa_reviewer")
        with pytest.raises(ReleaseBlocked, match="HD-00001"):
            release_lot(request=rf_request, actor=releaser, lot=l5, password=releaser.raw_password)
    assert Lot.objects.get(pk=l5.pk).status == "quarantine"


def test_hold_on_a_cell_bank_and_on_a_product(lineage, qa):
    by_bank = services.place_hold(actor=qa, scope="cell_bank", code="WCB-1A", reason="Mycoplasma in WCB-1A")
    assert by_bank.lots == ["L1"]  # WCB-1A -> WCB-1A-X -> L1 (child banks included)
    product = Lot.objects.get(number="L1").product
    by_product = services.place_hold(actor=qa, scope="product", code=product.code, reason="Labelling error")
    assert by_product.lots == sorted(Lot.objects.filter(product=product).values_list("number", flat=True))
    with pytest.raises(InputError) as unknown:
        services.place_hold(actor=qa, scope="cell_bank", code="NOPE", reason="x")
    assert unknown.value.where == "code"
    with pytest.raises(PermissionDenied):
        services.place_hold(actor=lineage.operator, scope="cell_bank", code="MCB-1", reason="x")


def test_lifting_a_hold_needs_a_reason_and_signature_and_restores_units(lineage, stock, qa, rf_request):
    hold = services.place_hold(actor=qa, scope="material_lot", code="HPL-1", reason="Supplier notice")
    assert _status("L1-A006") == ("on_hold", "HD-00001")
    with pytest.raises(InputError):
        services.release_hold(request=rf_request, actor=qa, hold=hold, reason=" ", password=qa.raw_password)
    with pytest.raises(SignatureRefused):
        services.release_hold(request=rf_request, actor=qa, hold=hold, reason="Cleared", password="wrong")
    assert _status("L1-A006") == ("on_hold", "HD-00001")
    # a recall of L2 while the hold stands: lifting the hold must leave L2's units held by the recall
    _recall(rf_request, qa, lot="L2")
    lifted = services.release_hold(
        request=rf_request, actor=qa, hold=hold, reason="Supplier retest negative", password=qa.raw_password
    )
    assert lifted.status == "released"
    assert Signature.objects.get(pk=lifted.release_signature_id).object_type == "hold"
    assert _status("L1-A005") == ("available", "")
    assert _status("L1-A006") == ("reserved", "")  # back to what it was
    assert _status("L2-A002") == ("on_hold", "RC-00001")
    assert not LotHold.objects.filter(source="HD-00001", released_at__isnull=True).exists()
    assert Hold.objects.get(pk=hold.pk).release_reason == "Supplier retest negative"
    with pytest.raises(RuleViolation):
        services.release_hold(
            request=rf_request, actor=qa, hold=hold, reason="again", password=qa.raw_password
        )
