"""Lot pages through the test client: roles, forms with field errors (both languages), the QC
table, and the release dialog (a wrong password shows an error and releases nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from evqms.lots.models import Deviation, Lot, QCResult

pytestmark = pytest.mark.django_db


def _page(client, lot):
    response = client.get(f"/lots/{lot.number}/")
    assert response.status_code == 200
    return response.content.decode()


def _now_local():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def test_list_filters_by_status_product_and_search(client, world):
    world.new_lot("UCEV-W-001")
    world.in_qc("UCEV-W-002")
    client.force_login(world.auditor)
    body = client.get("/lots/").content.decode()
    assert "UCEV-W-001" in body and "UCEV-W-002" in body
    body = client.get("/lots/?status=qc").content.decode()
    assert "UCEV-W-002" in body and "UCEV-W-001" not in body
    body = client.get("/lots/?q=W-001").content.decode()
    assert "UCEV-W-001" in body and "UCEV-W-002" not in body
    assert "UCEV-W-001" not in client.get("/lots/?product=no-such-product").content.decode()
    # the auditor may read but not create
    assert "/lots/new/" not in body
    assert client.get("/lots/new/").status_code == 403


def test_only_operators_create_lots(client, world):
    for user in (world.analyst, world.qa, world.auditor):
        client.force_login(user)
        assert client.get("/lots/new/").status_code == 403
        assert client.post("/lots/new/", {"number": "X"}).status_code == 403
    client.force_login(world.operator)
    assert client.get("/lots/new/").status_code == 200


def _create_data(world, **kw):
    data = {
        "number": "UCEV-W-010",
        "product": world.product.pk,
        "process": world.process.pk,
        "specification": world.spec.pk,
        "cell_bank": world.bank.pk,
        "manufactured_on": "2024-05-01",
        "expiry": "2025-05-01",
        "volume_ml": "12.5",
        "notes": "",
    }
    data.update(kw)
    return data


def test_create_lot_and_land_on_its_page(client, world):
    client.force_login(world.operator)
    response = client.post("/lots/new/", _create_data(world))
    assert response.status_code == 302 and response["Location"] == "/lots/UCEV-W-010/"
    lot = Lot.objects.get(number="UCEV-W-010")
    assert lot.created_by == world.operator and str(lot.volume_ml) == "12.500"
    body = _page(client, lot)
    assert "UCEV-W-010" in body and "v1" in body and "MCB-001" in body


def test_service_error_lands_on_the_field_it_names_in_both_languages(client, world):
    client.force_login(world.operator)
    # expiry before manufacture: the service says where="expiry"
    bad = _create_data(world, expiry="2024-04-01")
    response = client.post("/lots/new/", bad)
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["expiry"]
    with translation.override("ja"):  # the service's own message, in Japanese when lots.po translates it
        assert form.errors["expiry"] == [gettext("the expiry must be after the manufacturing date")]
    body = response.content.decode()
    assert 'id="id_expiry_errors"' in body
    assert not Lot.objects.filter(number="UCEV-W-010").exists()

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post("/lots/new/", bad)
    assert response.context["form"].errors["expiry"] == ["the expiry must be after the manufacturing date"]
    # a duplicate number is put on the number field; a missing field uses Django's own message
    world.new_lot("UCEV-W-011")
    response = client.post("/lots/new/", _create_data(world, number="UCEV-W-011"))
    assert response.context["form"].errors["number"] == ["lot number UCEV-W-011 already exists"]
    response = client.post("/lots/new/", _create_data(world, manufactured_on=""))
    assert response.context["form"].errors["manufactured_on"] == ["This field is required."]


def test_japanese_field_error_for_a_required_field(client, world):
    client.force_login(world.operator)
    response = client.post("/lots/new/", _create_data(world, manufactured_on=""))
    assert response.context["form"].errors["manufactured_on"] == ["この項目は必須です。"]


def test_step_form_maps_parameter_errors_onto_the_parameter(client, world, english):
    lot = world.new_lot()
    client.force_login(world.operator)
    step = world.process.steps.get(order=1)
    time_param = step.parameters.get(name="Culture time")
    conf = step.parameters.get(name="Confluence at harvest")
    start = (timezone.localtime() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        f"step{step.pk}-started_at": start,
        f"step{step.pk}-finished_at": end,
        f"step{step.pk}-p{time_param.pk}": "60",
        f"step{step.pk}-p{time_param.pk}_unit": "parsecs",
        f"step{step.pk}-p{conf.pk}": "80",
        f"step{step.pk}-p{conf.pk}_unit": "%",
    }
    response = client.post(f"/lots/{lot.number}/steps/{step.pk}/", data)
    assert response.status_code == 400
    errors = response.context["step_rows"][0]["form"].errors
    assert list(errors) == [f"p{time_param.pk}_unit"]
    assert "cannot be converted" in errors[f"p{time_param.pk}_unit"][0]

    # in unit, one value out of range: recorded, flagged and a deviation opened
    data[f"step{step.pk}-p{time_param.pk}_unit"] = "d"  # 4 days = 96 h, above 72 h
    data[f"step{step.pk}-p{time_param.pk}"] = "4"
    response = client.post(f"/lots/{lot.number}/steps/{step.pk}/", data)
    assert response.status_code == 302
    body = _page(client, lot)
    assert "out of range" in body and "96" in body
    assert Deviation.objects.filter(lot=lot, source="parameter", status="open").count() == 1


def test_qc_entry_oos_retest_and_roles(client, world, english):
    lot = world.in_qc()
    endotoxin = world.attr("endotoxin")
    url = f"/lots/{lot.number}/qc/{endotoxin.pk}/"
    entry = {
        f"a{endotoxin.pk}-value": "0.495",
        f"a{endotoxin.pk}-unit": "EU/mL",
        f"a{endotoxin.pk}-method": "LAL kinetic",
        f"a{endotoxin.pk}-tested_at": _now_local(),
        f"a{endotoxin.pk}-positive_recovery": "95",
        f"a{endotoxin.pk}-negative_control": "not detected",
    }
    client.force_login(world.operator)
    assert client.post(url, entry).status_code == 403  # operators do not enter QC results
    client.force_login(world.analyst)
    response = client.post(url, entry)
    assert response.status_code == 302
    result = QCResult.objects.get(lot=lot, attribute=endotoxin)
    assert result.verdict == "fail" and str(result.reported_value.normalize()) == "0.5"
    body = _page(client, lot)
    assert f'id="result-{result.pk}"' in body and "OOS" in body
    assert "&lt; 0.5 EU/mL" in body  # the frozen criterion, exclusive upper limit
    assert "0.50 EU/mL" in body  # reported to the specification's two decimals
    dev = Deviation.objects.get(lot=lot, source="oos")
    assert dev.number in body

    # a second plain entry is refused with a message on the form
    response = client.post(url, entry)
    assert response.status_code == 302 or response.status_code == 400
    assert QCResult.objects.filter(lot=lot, attribute=endotoxin).count() == 1

    # invalidate without a reason: field error; with a reason: invalidated
    inv = f"/lots/{lot.number}/results/{result.pk}/invalidate/"
    response = client.post(inv, {f"inv{result.pk}-reason": "  "})
    assert response.status_code == 400
    assert "a reason is required to invalidate a result" in response.content.decode()
    assert (
        client.post(inv, {f"inv{result.pk}-reason": "pipetting error documented in LAB-12"}).status_code
        == 302
    )

    # the retest is linked to the invalidated result
    retest = {
        f"r{result.pk}-value": "0.12",
        f"r{result.pk}-unit": "EU/mL",
        f"r{result.pk}-method": "LAL kinetic",
        f"r{result.pk}-tested_at": _now_local(),
        f"r{result.pk}-positive_recovery": "95",
        f"r{result.pk}-negative_control": "not detected",
    }
    assert client.post(f"/lots/{lot.number}/results/{result.pk}/retest/", retest).status_code == 302
    new = QCResult.objects.filter(lot=lot, attribute=endotoxin, status="valid").get()
    assert new.retest_of_id == result.pk and new.verdict == "pass"
    body = _page(client, lot)
    assert f'href="#result-{result.pk}"' in body and "pipetting error documented in LAB-12" in body

    # the analyst cannot verify their own result; the button is offered to the second analyst
    verify = f"/lots/{lot.number}/results/{new.pk}/verify/"
    client.post(verify)
    new.refresh_from_db()
    assert new.verified_by is None
    client.force_login(world.analyst2)
    assert f'action="{verify}"' in _page(client, lot)
    client.post(verify)
    new.refresh_from_db()
    assert new.verified_by == world.analyst2


def test_qc_entry_field_errors(client, world, english):
    lot = world.in_qc()
    size = world.attr("modal_size")
    client.force_login(world.analyst)
    url = f"/lots/{lot.number}/qc/{size.pk}/"
    response = client.post(
        url, {f"a{size.pk}-value": "-3", f"a{size.pk}-unit": "nm", f"a{size.pk}-tested_at": _now_local()}
    )
    assert response.status_code == 400
    row = next(r for r in response.context["qc_rows"] if r["attribute"].code == "modal_size")
    assert list(row["entry_form"].errors) == ["value"]
    assert "not physical" in row["entry_form"].errors["value"][0]
    response = client.post(
        url, {f"a{size.pk}-value": "120", f"a{size.pk}-unit": "kg", f"a{size.pk}-tested_at": _now_local()}
    )
    row = next(r for r in response.context["qc_rows"] if r["attribute"].code == "modal_size")
    assert list(row["entry_form"].errors) == ["unit"]
    # htmx: errors come back with 200 so htmx swaps them in
    response = client.post(
        url, {f"a{size.pk}-value": "abc", f"a{size.pk}-tested_at": _now_local()}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "not a number: abc" in response.content.decode()
    assert not QCResult.objects.filter(lot=lot).exists()


def test_raw_file_sha256_is_shown(client, world):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    lot = world.in_qc()
    conc = world.attr("particle_concentration")
    client.force_login(world.analyst)
    raw = b"Sample,Concentration\nUCEV,5.2E10\n"
    upload = SimpleUploadedFile("nta-export.csv", raw, content_type="text/csv")
    response = client.post(
        f"/lots/{lot.number}/qc/{conc.pk}/",
        {
            f"a{conc.pk}-value": "5.2e10",
            f"a{conc.pk}-unit": "particles/mL",
            f"a{conc.pk}-tested_at": _now_local(),
            f"a{conc.pk}-raw_file": upload,
        },
    )
    assert response.status_code == 302
    body = _page(client, lot)
    assert hashlib.sha256(raw).hexdigest() in body and "nta-export.csv" in body
    assert "5.2 × 10¹⁰ particles/mL" in body


def test_release_dialog_wrong_password_shows_error_and_does_not_release(client, world, english):
    lot = world.quarantined_lot()
    client.force_login(world.qa)
    body = _page(client, lot)
    assert 'id="release-dialog"' in body and 'id="gate-clear"' in body
    response = client.post(
        f"/lots/{lot.number}/release/", {"release-password": "not-my-password", "release-reason": "ok"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The password is wrong or the account is locked: not signed." in body
    assert 'data-open-dialog="release-dialog"' in body  # the dialog opens again with the error
    lot.refresh_from_db()
    assert lot.status == "quarantine" and lot.release_signature is None

    response = client.post(
        f"/lots/{lot.number}/release/",
        {"release-password": world.qa.raw_password, "release-reason": "all pass"},
    )
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.status == "released"
    body = _page(client, lot)
    sig = lot.release_signature
    assert f'id="signature-{sig.pk}"' in body and "Qa1" in body and "Release" in body
    assert "JST (UTC+09:00, Asia/Tokyo)" in body
    assert "Applies to the current record" in body


def test_release_is_for_qa_and_not_for_who_tested(client, world):
    lot = world.quarantined_lot()
    client.force_login(world.analyst)
    assert 'id="release-dialog"' not in _page(client, lot)
    assert (
        client.post(
            f"/lots/{lot.number}/release/", {"release-password": world.analyst.raw_password}
        ).status_code
        == 403
    )
    # a QA reviewer who also tested the lot is refused by separation of duties
    from django.contrib.auth.models import Group

    world.analyst.groups.add(Group.objects.get_or_create(name="qa_reviewer")[0])
    client.force_login(world.analyst)
    response = client.post(f"/lots/{lot.number}/release/", {"release-password": world.analyst.raw_password})
    lot.refresh_from_db()
    assert lot.status == "quarantine"
    assert response.status_code == 400
    assert "you tested this lot" in response.content.decode() or "試験" in response.content.decode()


def test_release_gate_lists_what_blocks(client, world, english):
    lot = world.in_qc()
    world.test_all(lot, skip=("sterility",))
    client.force_login(world.qa)
    body = _page(client, lot)
    assert 'data-code="missing_result"' in body and "sterility: no valid result" in body
    assert 'data-code="status"' in body


def test_reject_needs_a_reason_and_the_password(client, world, english):
    lot = world.in_qc()
    client.force_login(world.qa)
    response = client.post(
        f"/lots/{lot.number}/reject/", {"reject-password": world.qa.raw_password, "reject-reason": ""}
    )
    assert response.status_code == 400
    assert "a reason is required to reject a lot" in response.content.decode()
    response = client.post(
        f"/lots/{lot.number}/reject/",
        {"reject-password": world.qa.raw_password, "reject-reason": "confirmed OOS"},
    )
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.status == "rejected"
    assert "Rejection" in _page(client, lot)


def test_deviation_opened_on_the_lot_page_links_to_its_own_page(client, world, english):
    lot = world.in_qc()
    client.force_login(world.analyst)
    response = client.post(f"/lots/{lot.number}/deviations/", {"description": ""})
    assert response.status_code == 400 and "describe the deviation" in response.content.decode()
    client.post(f"/lots/{lot.number}/deviations/", {"description": "freezer alarm during storage"})
    dev = Deviation.objects.get(lot=lot)
    assert dev.number == f"DEV-{lot.number}-01" and list(dev.affected_lots.all()) == [lot]
    client.force_login(world.qa)
    body = _page(client, lot)
    # investigated and closed on the deviation's page (with a signature), no longer on the lot page
    assert f'href="/deviations/{dev.number}/"' in body and "close-deviation" not in body
    assert client.get(f"/deviations/{dev.number}/").status_code == 200


def test_animal_origin_material_is_flagged(client, world, english):
    from evqms.lots import services
    from evqms.testing import factories as f

    fbs = f.material_lot(
        "Fetal bovine serum", "FBS-23-11", animal_species="bovine", kind="serum", is_biological=True
    )
    lot = world.new_lot()
    services.record_material_usage(actor=world.operator, lot=lot, material_lot=fbs, quantity="50", unit="mL")
    client.force_login(world.auditor)
    body = _page(client, lot)
    assert 'id="animal-flag"' in body and "bovine" in body and 'class="animal"' in body


def test_lot_page_in_japanese(client, world):
    lot = world.quarantined_lot()
    client.force_login(world.qa)
    body = _page(client, lot)
    assert "出荷判定" in body and "QC試験結果" in body
    assert "Materials used" not in body


def test_lot_page_reads_results_and_release_checklist_once(client, world):
    """The lot page computes the release gate and the checklist once: the QC results and the
    retention-sample check are each one query (the gate, the checklist, the signed snapshot and the
    QC table share them), however many results the lot has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world.product.retention_sample_required = True
    world.product.save()
    lot = world.quarantined_lot()
    client.force_login(world.qa)
    _page(client, lot)  # per-process caches filled
    with CaptureQueriesContext(connection) as seen:
        _page(client, lot)
    tables = [
        q["sql"].split(" FROM ", 1)[1].split(" ", 1)[0] for q in seen.captured_queries if " FROM " in q["sql"]
    ]
    assert tables.count('"lots_qcresult"') == 1
    assert tables.count('"inventory_retentionsample"') == 1
