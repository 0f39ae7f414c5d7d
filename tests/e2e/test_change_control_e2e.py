"""In a real browser: an operator proposes a process change (the comparability plan asked for when
quality may change), QA approves it with the password, the draft process v2 is linked to it and
approved (refused before the link), the implementation is recorded, and QA closes the change once
its comparability record exists. Japanese first, then English."""

from __future__ import annotations

import pytest

from evqms.testing import factories as f


@pytest.mark.django_db(transaction=True)
def test_a_process_change_from_proposal_to_closure(page, live_server, make_user, login, shot, rf_request):
    from evqms.changes.models import ChangeRequest
    from evqms.compliance.services import approve_comparability
    from evqms.dossier import services as dossier

    operator = make_user("op-cc", "operator")
    qa = make_user("qa-cc", "qa_reviewer")
    product = f.product()
    v1 = dossier.create_process_version(
        actor=operator, product=product, description="FBS, ultracentrifugation"
    )
    dossier.add_process_step(actor=operator, process=v1, kind="culture", name="Culture")
    dossier.approve_process(request=rf_request, actor=qa, process=v1, password=qa.raw_password)
    v2 = dossier.create_process_version(actor=operator, product=product, description="platelet lysate, TFF")

    login(page, operator)
    page.goto(f"{live_server.url}/changes/")
    with page.expect_navigation():
        page.click("#propose-change")
    page.select_option("#id_kind", "process")
    page.fill("#id_title", "無血清培地（ヒト血小板溶解物）への切替")
    page.fill("#id_description", "FBS を hPL に置き換え、超遠心を TFF に置き換える")
    page.fill("#id_product_code", product.code)
    page.fill(
        "#id_impact_assessment",
        "出荷規格は変更なし。3ロットのプロセスバリデーション、SOP改訂、教育訓練が必要",
    )
    page.check("#id_quality_impact")
    with page.expect_navigation():
        page.click("#submit")
    assert "同等性評価計画が必要です" in page.locator("#propose-form").inner_text()
    shot(page, "change-01-plan-required-ja")
    page.fill(
        "#id_comparability_plan", "v2 の3ロットの粒子濃度、粒子径、CD9/CD63/CD81、力価を v1 の出荷実績と比較"
    )
    with page.expect_navigation():
        page.click("#submit")
    cr = ChangeRequest.objects.get()
    assert page.url.endswith(f"/changes/{cr.number}/")
    assert page.locator("#step-approve").count() == 0  # not the operator's to approve
    shot(page, "change-02-proposed-ja")

    page.goto(f"{live_server.url}/dossier/process/{v2.pk}/")
    assert page.locator("#link-change-request").count() == 1
    page.context.clear_cookies()
    login(page, qa)
    page.goto(f"{live_server.url}/changes/{cr.number}/")
    page.fill("#id_approve-password", qa.raw_password)
    page.fill("#id_approve-reason", "影響評価と同等性評価計画を確認")
    with page.expect_navigation():
        page.click("#submit-approve")
    assert "承認済み" in page.locator("#change-status").inner_text()
    shot(page, "change-03-approved-ja")

    # QA may edit processes too: link the change to v2, then approve v2 under it
    page.goto(f"{live_server.url}/dossier/process/{v2.pk}/change-request/")
    page.select_option("#id_change_request", str(cr.pk))
    with page.expect_navigation():
        page.click("#submit")
    assert cr.number in page.locator("#linked-change-request").inner_text()
    shot(page, "change-04-process-linked-ja")
    v2.refresh_from_db()
    assert v2.change_request_id == cr.pk

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.context.clear_cookies()
    login(page, operator)
    page.goto(f"{live_server.url}/changes/{cr.number}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.fill(
        "#id_implement-summary", "Process v2 in use from lot UCEV-25-001; SOP-EV-001 v3; operators trained"
    )
    with page.expect_navigation():
        page.click("#submit-implement")
    assert "Implemented" in page.locator("#change-status").inner_text()

    page.context.clear_cookies()
    login(page, qa)
    page.goto(f"{live_server.url}/changes/{cr.number}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    problems = page.locator("#closure-problems").inner_text()
    assert "process v2 made under this change is still a draft" in problems
    page.fill("#id_close-password", qa.raw_password)
    with page.expect_navigation():
        page.click("#submit-close")
    assert "cannot be closed" in page.locator("#close-form .errorlist").inner_text()
    shot(page, "change-05-close-refused-en")

    v2.refresh_from_db()
    dossier.approve_process(
        request=rf_request,
        actor=make_user("qa-cc2", "qa_reviewer"),
        process=v2,
        password="correct-horse-battery-9",
    )
    approve_comparability(
        request=rf_request, actor=qa, process=v2, summary="comparable", password=qa.raw_password
    )
    page.goto(f"{live_server.url}/changes/{cr.number}/")
    assert page.locator("#closure-problems").count() == 0
    page.fill("#id_close-password", qa.raw_password)
    with page.expect_navigation():
        page.click("#submit-close")
    assert "Closed" in page.locator("#change-status").inner_text()
    assert "Comparability record" in page.locator("#change-versions").inner_text()
    shot(page, "change-06-closed-en")
    assert ChangeRequest.objects.get().status == "closed"
