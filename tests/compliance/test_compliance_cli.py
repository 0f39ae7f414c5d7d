"""`evqms assess --product CODE`: exit codes, stored results, bad input stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evqms.cli import main
from evqms.compliance.models import Assessment

pytestmark = pytest.mark.django_db
RULESET = Path(__file__).resolve().parents[1] / "fixtures" / "compliance" / "register-only.yaml"


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")


def test_assess_product_json_stores_the_assessment(world, capsys):
    world.released_lot()
    code = main(["assess", "--product", "ucmsc-sev-oa", "--format", "json"])
    assert code == 1  # gaps remain (no register, no attestation, no potency assay ...)
    data = json.loads(capsys.readouterr().out)
    assert data["ruleset"]["id"] == "jsrm-2024"
    statuses = {i["id"]: i["status"] for i in data["items"]}
    assert statuses["JSRM-1-R1"] == "not_met" and statuses["JSRM-3-R1"] == "met"
    (stored,) = Assessment.objects.all()
    assert stored.ruleset_id == "jsrm-2024" and stored.ruleset_version == "1.0"
    assert stored.snapshot_sha256 == data["snapshot_sha256"]
    assert stored.assessed_by is None  # the command line acts as the system
    assert stored.findings["items"] == data["items"]
    from evqms.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="assessment.run", object_id=str(stored.pk)).count() == 1


def test_exit_zero_when_every_item_is_met(world, capsys):
    world.register()
    code = main(["assess", "--product", "ucmsc-sev-oa", "--ruleset", str(RULESET), "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["score"] == 100.0
    stored = Assessment.objects.get()
    assert (stored.ruleset_id, stored.ruleset_version) == ("clinic-risk-sop", "2")


def test_unknown_ruleset_exit_2_and_nothing_stored(world, capsys):
    code = main(["assess", "--product", "ucmsc-sev-oa", "--ruleset", "jsrm-2099"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("evqms: error:") and "jsrm-2099" in err
    assert Assessment.objects.count() == 0


def test_second_ruleset_bad_stores_neither(world, capsys):
    code = main(["assess", "--product", "ucmsc-sev-oa", "--ruleset", "jsrm-2024", "--ruleset", "nope"])
    assert code == 2
    assert Assessment.objects.count() == 0


def test_contradictory_data_exit_2_and_nothing_stored(world, capsys):
    import datetime as dt

    from django.utils import timezone

    from evqms.lots.models import QCResult

    lot = world.released_lot()
    QCResult.objects.filter(lot=lot).update(tested_at=timezone.now() + dt.timedelta(days=5))
    code = main(["assess", "--product", "ucmsc-sev-oa", "--format", "json"])
    assert code == 2
    err = capsys.readouterr().err
    assert "lot UCEV-T-001" in err and "released on" in err
    assert Assessment.objects.count() == 0


def test_unknown_product_names_the_products_in_japanese_too(world, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "ja")
    assert main(["assess", "--product", "UCMSC-SEV-OA"]) == 2
    assert (
        "コード UCMSC-SEV-OA の製品はありません。登録されている製品: ucmsc-sev-oa" in capsys.readouterr().err
    )


def test_unknown_product_and_missing_source(world, capsys):
    assert main(["assess", "--product", "no-such-product"]) == 2
    assert "no product with code no-such-product; the products are: ucmsc-sev-oa" in capsys.readouterr().err
    assert main(["assess", "--product", "UCMSC-SEV-OA"]) == 2  # codes are exact: the right one is named
    assert "no product with code UCMSC-SEV-OA; the products are: ucmsc-sev-oa" in capsys.readouterr().err
    assert main(["assess"]) == 2
    assert "either a dossier file or --product" in capsys.readouterr().err
    assert main(["assess", "examples/minimal.yaml", "--product", "ucmsc-sev-oa"]) == 2
    assert Assessment.objects.count() == 0


def test_no_store_and_history(world, capsys):
    assert main(["assess", "--product", "ucmsc-sev-oa", "--no-store", "--format", "json"]) == 1
    capsys.readouterr()
    assert Assessment.objects.count() == 0
    main(["assess", "--product", "ucmsc-sev-oa", "--format", "json"])
    capsys.readouterr()
    assert main(["compliance", "history", "ucmsc-sev-oa", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["ruleset"] == "jsrm-2024" and rows[0]["assessed_by"] == "system"


def test_file_path_still_works_without_product(capsys):
    assert (
        main(["assess", str(RULESET.parents[3] / "examples" / "full-compliance.yaml"), "--format", "json"])
        == 0
    )
