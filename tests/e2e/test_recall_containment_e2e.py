"""In a real browser, in Japanese and in English: QA recalls a lot; its units in stock show as on hold
with the recall number; shipping one is refused naming the recall; the shipped unit is closed as
destroyed; closing the recall is refused while a unit is open, then signed once none is."""

from __future__ import annotations

import datetime as dt

import pytest

from evqms.testing import factories as f


def _stock(make_user, suffix: str):
    from evqms.inventory import services as inventory

    operator = make_user(f"op-rc-{suffix}", "operator")
    qa = make_user(f"qa-rc-{suffix}", "qa_reviewer")
    lot = f.lot(f"UCEV-RC-{suffix}", status="released")
    inventory.create_consignee(
        actor=operator,
        code=f"KYOTO-{suffix}",
        name="京都ひざクリニック",
        address="京都市中京区烏丸通 1",
        site="整形外科",
        contact_name="佐藤医師",
    )
    units = inventory.create_aliquots(actor=operator, lot=lot, count=3, volume_ml="1.0")
    inventory.ship_aliquots(
        actor=operator,
        aliquots=[units[0]],
        consignee=f"KYOTO-{suffix}",
        shipped_at=dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC),  # 08:30 JST on the 6th
    )
    return operator, qa, lot, units


def _english(page):
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")


def _walk(page, live_server, login, shot, lang: str, operator, qa, lot, units):
    from evqms.inventory.models import Aliquot
    from evqms.trace.models import Recall

    en = lang == "en"
    login(page, qa)
    if en:
        _english(page)
    page.goto(f"{live_server.url}/trace/recall/{lot.number}/")
    page.fill(
        "#id_reason", "Endotoxin OOS in the retained sample" if en else "参考品のエンドトキシンが規格外"
    )
    page.fill("#id_password", qa.raw_password)
    with page.expect_navigation():
        page.locator("#recall-form button[type=submit]").click()
    recall = Recall.objects.get(lot=lot)
    assert f"/trace/recalls/{recall.number}/" in page.url
    text = page.locator("#effectiveness").inner_text()
    assert ("still open: 1" if en else "未完了：1") in text
    assert units[1].container_id in text and units[2].container_id in text
    assert "2026-12-06 08:30" in page.locator("#recipients").inner_text()
    shot(page, f"recall-{lang}-01-recalled")

    # the units in stock are on hold, with the recall number, in the aliquot list
    page.goto(f"{live_server.url}/inventory/?lot={lot.number}")
    rows = page.locator("table tbody").inner_text()
    assert rows.count(recall.number) == 2 and ("On hold" if en else "保留中") in rows
    shot(page, f"recall-{lang}-02-units-on-hold")

    # shipping one is refused, naming the recall (the operator tries)
    page.context.clear_cookies()
    login(page, operator)
    if en:
        _english(page)
    page.goto(f"{live_server.url}/inventory/aliquots/{units[1].container_id}/")
    assert recall.number in page.locator("#hold-banner").inner_text()
    assert page.locator("#ship-form").count() == 0  # a held unit offers no shipment
    # a stale page (opened before the recall) still posts: the server refuses it
    page.evaluate(
        """(code) => { const f = document.createElement('form'); f.method = 'post'; f.id = 'stale';
        const add = (n, v) => { const i = document.createElement('input'); i.name = n; i.value = v; f.appendChild(i); };
        add('csrfmiddlewaretoken', document.cookie.match(/csrftoken=([^;]+)/)[1]); add('action', 'ship');
        add('consignee', code); document.body.appendChild(f); }""",
        f"KYOTO-{lot.number[-2:]}",
    )
    with page.expect_navigation():
        page.evaluate("document.getElementById('stale').submit()")
    refusal = page.locator("#ship-errors").inner_text()
    assert recall.number in refusal
    assert ("it cannot be shipped" if en else "出荷できません") in refusal
    assert Aliquot.objects.get(pk=units[1].pk).status == "on_hold"
    shot(page, f"recall-{lang}-03-ship-refused")

    # QA: closing is refused while the shipped unit is open; the unit is closed; then the recall
    page.context.clear_cookies()
    login(page, qa)
    if en:
        _english(page)
    page.goto(f"{live_server.url}/trace/recalls/{recall.number}/")
    page.fill("#id_reason", "All units accounted for" if en else "全ユニットの処置を確認")
    page.fill("#id_password", qa.raw_password)
    with page.expect_navigation():
        page.locator("#close-recall-button").click()
    assert units[0].container_id in page.locator("#close-errors").inner_text()
    shot(page, f"recall-{lang}-04-close-refused")

    # the dashboard's card counts the open recall and the unit it still follows
    page.goto(f"{live_server.url}/")
    card = page.locator(".cards .card:has(a[href='/trace/'])")
    assert card.locator(".muted").inner_text() == ("Recalls" if en else "回収")
    assert card.locator(".value").inner_text() == "1"
    assert ("1 shipped units still open" if en else "未完了の出荷ユニット 1") in card.inner_text()
    shot(page, f"recall-{lang}-04b-dashboard")
    page.goto(f"{live_server.url}/trace/recalls/{recall.number}/")

    code = units[0].container_id
    page.select_option(f"#outcome-{code}", "destroyed")
    page.fill(f"#note-{code}", "Destruction certificate DC-7" if en else "廃棄証明書 DC-7（薬剤師 伊藤）")
    with page.expect_navigation():
        page.locator(f"#close-{code} button[type=submit]").click()
    assert page.locator("#all-closed").count() == 1
    page.fill("#id_reason", "All units accounted for" if en else "全ユニットの処置を確認")
    page.fill("#id_password", qa.raw_password)
    with page.expect_navigation():
        page.locator("#close-recall-button").click()
    assert page.locator("#recall-closed").count() == 1
    assert Recall.objects.get(pk=recall.pk).status == "closed"

    # the PDF the QA team sends: both recipients' kinds, local time with zone, the closure
    import io

    from pypdf import PdfReader

    pdf = page.request.get(f"{live_server.url}/trace/recalls/{recall.number}/recipients.pdf")
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"
    shot_path = shot(page, f"recall-{lang}-05-closed")
    shot_path.with_name(f"recall-{lang}-06-export.pdf").write_bytes(pdf.body())
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    flat = "".join(text.split())  # table cells wrap inside words
    assert "京都ひざクリニック" in flat and "2026-12-0608:30JST" in flat and "DC-7" in flat

    # where the recall shows afterwards: the CSV, the API, the lot page, the trace, a held unit's page
    csv_text = page.request.get(f"{live_server.url}/trace/recalls/{recall.number}/recipients.csv").text()
    assert recall.number in csv_text and "京都ひざクリニック" in csv_text and "+09:00" in csv_text
    assert ("Destroyed" if en else "廃棄") in csv_text
    record = page.request.get(f"{live_server.url}/api/v1/trace/recalls/{recall.number}/").json()
    assert (record["status"], record["open_units"], record["shipped_units"]) == ("closed", 0, 1)
    assert [u["aliquot"] for u in record["held_stock"]] == [units[1].container_id, units[2].container_id]
    page.goto(f"{live_server.url}/lots/{lot.number}/")
    assert recall.number in page.locator("#lot-holds").inner_text()  # closing keeps the lot held
    shot(page, f"recall-{lang}-07-lot-page")
    page.goto(f"{live_server.url}/trace/lot/{lot.number}/")
    badges = page.locator(".hold-ref").all_inner_texts()
    assert len(badges) == 3 and all(recall.number in b for b in badges)  # the lot and its 2 held units
    shot(page, f"recall-{lang}-08-trace")
    page.goto(f"{live_server.url}/inventory/aliquots/{units[2].container_id}/")
    assert recall.number in page.locator("#hold-banner").inner_text()
    shot(page, f"recall-{lang}-09-held-unit")


@pytest.mark.django_db(transaction=True)
def test_recall_contains_the_stock_japanese(page, live_server, make_user, login, shot):
    operator, qa, lot, units = _stock(make_user, "JA")
    _walk(page, live_server, login, shot, "ja", operator, qa, lot, units)


@pytest.mark.django_db(transaction=True)
def test_recall_contains_the_stock_english(page, live_server, make_user, login, shot):
    operator, qa, lot, units = _stock(make_user, "EN")
    _walk(page, live_server, login, shot, "en", operator, qa, lot, units)
