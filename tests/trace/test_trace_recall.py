"""The recall action (signature, status, recipients frozen, exports), the CLI and the pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.utils import translation

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.cli import main
from evqms.errors import PermissionDenied, RuleViolation
from evqms.lots.models import Lot
from evqms.testing import factories as f
from evqms.trace import exports, services
from evqms.trace.models import Recall


@pytest.fixture
def qa(db):
    return f.user("trace-qa", "qa_reviewer")


def test_wrong_password_recalls_nothing(lineage, qa, rf_request):
    with pytest.raises(SignatureRefused):
        services.recall_lot(
            request=rf_request, actor=qa, lot="L1", reason="Sterility failure", password="nope"
        )
    assert Lot.objects.get(number="L1").status == "released"
    assert not Recall.objects.exists() and not AuditEvent.objects.filter(action="lot.recall").exists()


def test_only_qa_recalls(lineage, rf_request):
    with pytest.raises(PermissionDenied):
        services.recall_lot(
            request=rf_request,
            actor=lineage.physician,
            lot="L1",
            reason="x",
            password=lineage.physician.raw_password,
        )


def test_recall_marks_the_lot_finds_every_recipient_and_blocks_use(lineage, qa, rf_request):
    from evqms.clinical import services as clinical

    recall = services.recall_lot(
        request=rf_request,
        actor=qa,
        lot="L1",
        reason="Endotoxin OOS in retained sample",
        password=qa.raw_password,
    )
    assert Lot.objects.get(number="L1").status == "recalled"
    assert {(r["administration"], r["patient"]) for r in recall.recipients} == {
        (lineage.adm[1].number, "P-1"),
        (lineage.adm[2].number, "P-2"),
    }
    assert all(r["physician"] == "Trace-Physician" for r in recall.recipients)
    sig = Signature.objects.get(pk=recall.signature_id)
    assert sig.meaning == "approval" and sig.object_type == "lot"
    event = AuditEvent.objects.get(action="lot.recall")
    assert '"recalled"' in event.after and event.reason == "Endotoxin OOS in retained sample"
    with pytest.raises(RuleViolation, match=f"on hold under recall {recall.number}"):
        clinical.record_administration(
            actor=lineage.physician,
            patient="P-3",
            aliquots=["L1-A003"],
            administered_at=lineage.adm[1].administered_at,
            route="intra_articular",
        )
    with pytest.raises(RuleViolation, match="only a released or expired lot"):
        services.recall_lot(request=rf_request, actor=qa, lot="L1", reason="again", password=qa.raw_password)

    with translation.override("en"):
        rows = list(csv.reader(io.StringIO(exports.recall_csv(recall).decode("utf-8-sig"))))
    assert rows[0][:6] == ["Recall", "Lot", "Type", "Reference", "Date", "Recipient"]
    assert sorted(r[5] for r in rows[1:]) == ["P-1", "P-2"]
    from pypdf import PdfReader

    with translation.override("ja"):
        reader = PdfReader(io.BytesIO(exports.recall_pdf(recall)))
    text = reader.pages[0].extract_text()
    assert "P-1" in text and "P-2" in text and "L1" in text
    fonts = {str(f.get_object().get("/BaseFont")) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("IPAex" in name for name in fonts), fonts


def test_cli_trace_json_and_text(lineage, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")  # restored afterwards: main() writes --lang into the environment
    assert main(["trace", "--material-lot", "HPL-1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [n["code"] for n in data["nodes"]["lot"]] == ["L1", "L2"]
    assert sorted({r["patient"] for r in data["recipients"]}) == ["P-1", "P-2"]
    assert main(["--lang", "en", "trace", "--adverse-event", lineage.ae.number]) == 0
    out = capsys.readouterr().out
    assert "Trace backward" in out and "HPL-1" in out and "D-1" in out
    assert main(["--lang", "en", "trace", "--lot", "NOPE"]) == 2
    assert "NOPE" in capsys.readouterr().err
    # Statuses read as words in the reader's language, not as stored codes.
    assert main(["--lang", "ja", "trace", "--adverse-event", lineage.ae.number]) == 0
    out = capsys.readouterr().out
    assert "[出荷可]" in out and "[released]" not in out


def test_pages(lineage, qa, client):
    client.force_login(qa)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/trace/adverse_event/{lineage.ae.number}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "WCB-1A-X" in body and "HPL-1" in body
    assert client.get("/trace/lot/NOPE/").status_code == 404
    assert client.get("/trace/recall/L2/").status_code == 200
    done = client.post("/trace/recall/L2/", {"reason": "Mycoplasma positive", "password": qa.raw_password})
    assert done.status_code == 302
    recall = Recall.objects.get(lot__number="L2")
    assert client.get(done["Location"]).status_code == 200
    csv_page = client.get(f"/trace/recalls/{recall.number}/recipients.csv")
    assert "P-1" in csv_page.content.decode("utf-8-sig")
    listed = b"".join(client.get("/trace/?sort=-number&format=csv").streaming_content).decode("utf-8-sig")
    assert [line.split(",")[:2] for line in listed.splitlines()[1:]] == [[recall.number, "L2"]]
    for url in (
        "/inventory/",
        "/inventory/retention/",
        "/inventory/locations/",
        "/inventory/aliquots/L1-A001/",
        "/inventory/labels/L1/",
        "/clinical/",
        "/clinical/patients/",
        "/clinical/adverse-events/",
        f"/clinical/adverse-events/{lineage.ae.number}/",
        f"/clinical/administrations/{lineage.adm[1].number}/",
        "/trace/",
        "/api/v1/trace/lot/L1/",
    ):
        assert client.get(url).status_code == 200, url


def test_pages_refuse_roles_without_permission(lineage, client):
    operator = lineage.operator
    client.force_login(operator)
    assert client.get("/clinical/").status_code == 403
    assert client.get("/trace/recall/L1/").status_code == 403
