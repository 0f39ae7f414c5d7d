"""The QC entry grid and the verification of several results with one signature, through the test
client: rows prefilled, blank rows skipped, each refusal on its row with nothing written, the
selection reviewed and signed once, a refused result named in place."""

from __future__ import annotations

import pytest
from django.utils import timezone

from evqms.audit.models import Signature
from evqms.lots.models import QCResult

pytestmark = pytest.mark.django_db


def _now_local():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _grid(world, lot, rows: dict, common_time=None) -> dict:
    """The grid's POST: rows as code -> {field: value}; the other rows left as the page fills them."""
    data = {"grid-tested_at": common_time if common_time is not None else _now_local()}
    for attribute in world.spec.attributes.all():
        prefix = f"g{attribute.pk}"
        data[f"{prefix}-method"] = attribute.method
        if attribute.kind != "qualitative":
            data[f"{prefix}-unit"] = attribute.unit
        for field, value in rows.get(attribute.code, {}).items():
            data[f"{prefix}-{field}"] = value
    return data


# Endotoxin and sterility rows carry their run's passing controls, as those results require.
ALL_PASSING = {
    "particle_concentration": {"value": "5e10"},
    "modal_size": {"value": "120"},
    "cd63": {"text_value": "positive"},
    "endotoxin": {"value": "0.10", "negative_control": "not detected", "positive_recovery": "95"},
    "sterility": {
        "text_value": "no growth",
        "positive_control": "detected",
        "negative_control": "not detected",
    },
}


def test_grid_lists_each_attribute_without_a_valid_result_prefilled(client, world, english):
    lot = world.in_qc()
    world.test_all(lot, skip=("cd63", "endotoxin", "sterility"), verify=False)
    client.force_login(world.analyst)
    response = client.get(f"/lots/{lot.number}/qc/grid/")
    assert response.status_code == 200
    codes = [row["attribute"].code for row in response.context["rows"]]
    assert codes == ["cd63", "endotoxin", "sterility"]  # the two with a valid result are not offered
    body = response.content.decode()
    endotoxin = world.attr("endotoxin")
    assert f'name="g{endotoxin.pk}-unit" value="EU/mL"' in body  # the specification's unit preselected
    assert f'value="{endotoxin.method}"' in body  # the method prefilled
    sterility = world.attr("sterility")
    assert f'<select name="g{sterility.pk}-text_value"' in body  # a qualitative row offers its choices
    # the lot page links to it, with the count
    assert "Enter the missing results in a grid (3)" in client.get(f"/lots/{lot.number}/").content.decode()


def test_grid_records_every_row_with_the_shared_time_and_skips_blank_rows(client, world, english):
    lot = world.in_qc()
    client.force_login(world.analyst)
    rows = {k: v for k, v in ALL_PASSING.items() if k != "sterility"}  # sterility left blank
    response = client.post(
        f"/lots/{lot.number}/qc/grid/", _grid(world, lot, rows, common_time="2026-01-05T09:30")
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/lots/{lot.number}/#qc")
    results = QCResult.objects.filter(lot=lot)
    assert sorted(r.attribute.code for r in results) == [
        "cd63",
        "endotoxin",
        "modal_size",
        "particle_concentration",
    ]
    # 09:30 in Tokyo (UTC+9) is 00:30 UTC: every row took the grid's moment
    assert {timezone.localtime(r.tested_at).strftime("%Y-%m-%d %H:%M") for r in results} == {
        "2026-01-05 09:30"
    }
    assert all(r.analyst == world.analyst and r.verdict == "pass" for r in results)
    assert "4 QC results recorded." in client.get(f"/lots/{lot.number}/").content.decode()


def test_a_rows_own_time_overrides_the_grids(client, world):
    lot = world.in_qc()
    client.force_login(world.analyst)
    rows = {
        "endotoxin": {**ALL_PASSING["endotoxin"], "value": "0.1", "tested_at": "2026-01-04T08:00"},
        "modal_size": {"value": "120"},
    }
    assert (
        client.post(f"/lots/{lot.number}/qc/grid/", _grid(world, lot, rows, "2026-01-05T09:30")).status_code
        == 302
    )
    shown = {
        r.attribute.code: timezone.localtime(r.tested_at).strftime("%m-%d %H:%M")
        for r in QCResult.objects.filter(lot=lot)
    }
    assert shown == {"endotoxin": "01-04 08:00", "modal_size": "01-05 09:30"}


def test_refused_rows_are_shown_in_place_and_nothing_is_written(client, world, english):
    lot = world.in_qc()
    client.force_login(world.analyst)
    rows = dict(ALL_PASSING)
    rows["modal_size"] = {"value": "abc"}  # the form's own parsing refuses it
    rows["endotoxin"] = {"value": "0.1", "unit": "kg"}  # the QC service refuses the unit
    response = client.post(f"/lots/{lot.number}/qc/grid/", _grid(world, lot, rows))
    assert response.status_code == 400
    by_code = {row["attribute"].code: row["form"] for row in response.context["rows"]}
    assert "not a number: abc" in by_code["modal_size"].errors["value"][0]
    assert list(by_code["endotoxin"].errors) == ["unit"]
    assert not by_code["particle_concentration"].errors
    assert not QCResult.objects.filter(lot=lot).exists()
    # what the person typed stays in the grid
    assert 'value="5e10"' in response.content.decode()


def test_only_the_service_refusal_still_writes_nothing(client, world, english):
    """Every row parses; one is refused by the QC rules at saving: none of the others is written."""
    lot = world.in_qc()
    client.force_login(world.analyst)
    rows = dict(ALL_PASSING)
    rows["modal_size"] = {"value": "-3"}  # not physical: the service says so
    response = client.post(f"/lots/{lot.number}/qc/grid/", _grid(world, lot, rows))
    assert response.status_code == 400
    form = next(row["form"] for row in response.context["rows"] if row["attribute"].code == "modal_size")
    assert "not physical" in form.errors["value"][0]
    assert not QCResult.objects.filter(lot=lot).exists()


def test_an_unknown_instrument_and_a_missing_time_are_named_on_their_row(client, world, english):
    lot = world.in_qc()
    client.force_login(world.analyst)
    rows = {"endotoxin": {"value": "0.1", "instrument": "NO-SUCH-1"}, "modal_size": {"value": "120"}}
    response = client.post(f"/lots/{lot.number}/qc/grid/", _grid(world, lot, rows, common_time=""))
    assert response.status_code == 400
    by_code = {row["attribute"].code: row["form"] for row in response.context["rows"]}
    assert "tested_at" in by_code["modal_size"].errors  # no time of its own nor the grid's
    assert "tested_at" in by_code["endotoxin"].errors
    assert not QCResult.objects.exists()


def test_an_empty_grid_is_refused(client, world, english):
    lot = world.in_qc()
    client.force_login(world.analyst)
    response = client.post(f"/lots/{lot.number}/qc/grid/", _grid(world, lot, {}))
    assert response.status_code == 400 and "every row is empty" in response.content.decode()


def test_grid_roles_and_lot_status(client, world, english):
    lot = world.new_lot()
    client.force_login(world.operator)
    assert client.get(f"/lots/{lot.number}/qc/grid/").status_code == 403
    client.force_login(world.analyst)
    response = client.get(f"/lots/{lot.number}/qc/grid/")
    assert response.status_code == 200 and 'id="grid-refusal"' in response.content.decode()
    assert "cannot record a QC result" in response.content.decode()
    assert client.post(f"/lots/{lot.number}/qc/grid/", _grid(world, lot, ALL_PASSING)).status_code == 200
    assert not QCResult.objects.exists()


def test_grid_in_japanese(client, world):
    lot = world.in_qc()
    client.force_login(world.analyst)
    body = client.get(f"/lots/{lot.number}/qc/grid/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "QC 結果を入力" in body and "Record these results" not in body


def _verify_select(client, lot=None):
    url = "/lots/qc/verify/" + (f"?lot={lot.number}" if lot else "")
    return client.get(url)


def test_verify_all_of_a_lot_with_one_signature(client, world, english):
    lot = world.in_qc()
    world.test_all(lot, verify=False)
    other = world.in_qc("UCEV-T-002")
    world.test_all(other, verify=False)
    ids = list(QCResult.objects.filter(lot=lot).values_list("pk", flat=True))
    client.force_login(world.analyst2)
    assert "Verify with one signature (5)" in client.get(f"/lots/{lot.number}/").content.decode()
    page = _verify_select(client, lot)
    assert {r["id"] for r in page.context["rows"]} == set(ids)
    # "review all": the lot's five, not the other lot's
    review = client.post("/lots/qc/verify/review/", {"lot": lot.number, "all": "1"})
    assert review.status_code == 200
    assert {r["id"] for r in review.context["rows"]} == set(ids)
    body = review.content.decode()
    assert body.count('name="result"') == 5 and "Meaning of the signature: verification" in body
    # wrong password: refused on the field, nothing verified
    signing = {"lot": lot.number, "result": ids, "sign": "1"}
    wrong = client.post("/lots/qc/verify/review/", {**signing, "password": "not-it"})
    assert wrong.status_code == 400 and "The password is wrong" in wrong.content.decode()
    assert not QCResult.objects.filter(verified_by__isnull=False).exists()
    done = client.post("/lots/qc/verify/review/", {**signing, "password": world.analyst2.raw_password})
    assert done.status_code == 302 and done["Location"] == f"/lots/{lot.number}/#qc"
    assert QCResult.objects.filter(lot=lot, verified_by=world.analyst2).count() == 5
    assert Signature.objects.filter(meaning="verification", object_id__in=[str(i) for i in ids]).count() == 5
    assert not QCResult.objects.filter(lot=other, verified_by__isnull=False).exists()
    assert "5 QC results verified and signed." in client.get(f"/lots/{lot.number}/").content.decode()


def test_selected_results_across_lots(client, world, english):
    one, two = world.in_qc("UCEV-T-001"), world.in_qc("UCEV-T-002")
    world.test_all(one, verify=False)
    world.test_all(two, verify=False)
    client.force_login(world.qa)
    page = _verify_select(client)
    assert {r["lot"] for r in page.context["rows"]} == {"UCEV-T-001", "UCEV-T-002"}
    picked = [QCResult.objects.filter(lot=one).first().pk, QCResult.objects.filter(lot=two).first().pk]
    review = client.post("/lots/qc/verify/review/", {"result": picked})
    assert [r["id"] for r in review.context["rows"]] == picked
    done = client.post(
        "/lots/qc/verify/review/", {"result": picked, "sign": "1", "password": world.qa.raw_password}
    )
    assert done.status_code == 302 and done["Location"] == "/lots/qc/verify/"
    assert set(QCResult.objects.filter(verified_by=world.qa).values_list("pk", flat=True)) == set(picked)


def test_own_results_are_not_offered_and_are_named_when_posted(client, world, english):
    lot = world.in_qc()
    world.test_all(lot, verify=False)  # all by qc1
    client.force_login(world.analyst)
    assert _verify_select(client, lot).context["rows"] == []
    own = list(QCResult.objects.filter(lot=lot).values_list("pk", flat=True))
    review = client.post("/lots/qc/verify/review/", {"result": own[:2]})
    body = review.content.decode()
    assert review.context["refused"] == 2 and "own result" in body and 'id="sign-verification"' not in body
    signed = client.post(
        "/lots/qc/verify/review/", {"result": own[:2], "sign": "1", "password": world.analyst.raw_password}
    )
    assert signed.status_code == 400 and "Nothing was verified" in signed.content.decode()
    assert f'<tr id="review-{own[0]}" class="refused">' in signed.content.decode()
    assert not QCResult.objects.filter(verified_by__isnull=False).exists()


def test_nothing_selected_goes_back_with_a_message(client, world, english):
    lot = world.in_qc()
    client.force_login(world.analyst2)
    response = client.post("/lots/qc/verify/review/", {"lot": lot.number})
    assert response.status_code == 302 and response["Location"] == f"/lots/qc/verify/?lot={lot.number}"


def test_verification_pages_need_the_verifier_role(client, world):
    client.force_login(world.operator)
    assert client.get("/lots/qc/verify/").status_code == 403
    assert client.post("/lots/qc/verify/review/", {"all": "1"}).status_code == 403


def test_verification_page_in_japanese(client, world):
    lot = world.in_qc()
    world.test_all(lot, verify=False)
    client.force_login(world.analyst2)
    body = _verify_select(client, lot).content.decode()
    assert "すべて見直す" in body and "Review all" not in body
