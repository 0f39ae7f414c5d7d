"""The compliance pages with a stored assessment of a large product: the dashboard and the product
list read no assessment's snapshot or findings; the product page lists an item's first reasons and
evidence and counts the rest, which the JSON report (a download from the page) lists; each
assessment is stored with its overview, which the page reads instead of its findings and snapshot; an
assessment stored without one is read once."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evqms.compliance import overview, selectors, services
from evqms.compliance.models import Assessment, AssessmentOverview
from evqms.guidance.report import REASONS_SHOWN

pytestmark = pytest.mark.django_db

MANY = REASONS_SHOWN + 7


def _bulky_columns_read(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if '"compliance_assessment"."snapshot"' in q["sql"]
        or '"compliance_assessment"."findings"' in q["sql"]
    ]


def _with_many_reasons(stored: Assessment) -> dict:
    """The stored findings with one item given MANY reasons, evidence references and next steps, as
    a check judged lot by lot gives at a thousand lots."""
    findings = stored.findings
    item = findings["items"][0]
    item["reasons"] = [
        {"en": f"Lot L-{k:04d}: reason {k}", "ja": f"ロット L-{k:04d}: 理由 {k}"} for k in range(MANY)
    ]
    item["evidence"] = [f"lot L-{k:04d}" for k in range(MANY)]
    item["next_steps"] = [{"en": f"Step {k}", "ja": f"手順 {k}"} for k in range(MANY)]
    Assessment.objects.filter(pk=stored.pk).update(findings=findings)
    AssessmentOverview.objects.filter(pk=stored.pk).update(
        shown=overview.shown(findings)
    )  # as run would write
    return item


def test_dashboard_and_product_list_read_no_snapshot_or_findings(world, client):
    world.released_lot()
    services.run_assessment(actor=world.qa, product=world.product)
    client.force_login(world.qa)
    for path in ("/", reverse("compliance:index")):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(path)
        assert page.status_code == 200
        assert _bulky_columns_read(queries.captured_queries) == [], path
    index = client.get(reverse("compliance:index")).content.decode()
    stored = Assessment.objects.get()
    assert f"{stored.score:.1f}" in index  # the score is still shown, from the row alone


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_product_page_lists_the_first_reasons_and_counts_the_rest(world, client, lang):
    world.released_lot()
    services.run_assessment(actor=world.qa, product=world.product)
    item = _with_many_reasons(Assessment.objects.get())
    client.force_login(world.qa)
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    html = client.get(reverse("compliance:product", args=["ucmsc-sev-oa"])).content.decode()
    last_shown, first_hidden = REASONS_SHOWN - 1, REASONS_SHOWN
    if lang == "en":
        assert f"Lot L-{last_shown:04d}: reason {last_shown}<" in html
        assert f"Lot L-{first_hidden:04d}: reason" not in html
        assert html.count("not listed here: 7 more (the JSON report lists them all)") == 3
    else:
        assert f"ロット L-{last_shown:04d}: 理由 {last_shown}<" in html
        assert f"ロット L-{first_hidden:04d}" not in html
        assert html.count("ここに記載していないもの: ほか 7 件（JSON 形式のレポートに全件あります）") == 3
    assert reverse("lots:lot-detail", args=[f"L-{last_shown:04d}"]) in html
    assert reverse("lots:lot-detail", args=[f"L-{first_hidden:04d}"]) not in html
    # the JSON report, linked from the page, lists every reason in both languages
    link = reverse("compliance:report", args=["ucmsc-sev-oa", "json"])
    assert f'href="{link}?ruleset=jsrm-2024"' in html
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(
        'attachment; filename="compliance-ucmsc-sev-oa-jsrm-2024-'
    )
    report = json.loads(b"".join(response.streaming_content))
    listed = next(i for i in report["items"] if i["id"] == item["id"])
    assert [r["en"] for r in listed["reasons"]] == [r["en"] for r in item["reasons"]]
    assert listed["reasons"][MANY - 1]["ja"] == f"ロット L-{MANY - 1:04d}: 理由 {MANY - 1}"


def _assessed_twice(world, client) -> str:
    """Two stored assessments, the second with new evidence; the QA reviewer signed in, in English.
    The page's reads are kept per process, and another test's world may have read the same ids."""
    selectors._shown.cache_clear()
    selectors._changes.cache_clear()
    world.released_lot()
    services.run_assessment(actor=world.qa, product=world.product)
    world.register()  # new evidence: the second snapshot differs
    services.run_assessment(actor=world.qa, product=world.product)
    client.force_login(world.qa)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return reverse("compliance:product", args=["ucmsc-sev-oa"])


def _shows_the_change(html: str) -> None:
    assert 'id="item-JSRM-1-R1"' in html  # the items
    assert "risk_register" in html and "added" in html  # the evidence record added since


def test_the_page_reads_no_snapshot_or_findings_even_at_the_first_view(world, client):
    """Each assessment is stored with its overview (what the page shows, and a fingerprint of each
    evidence record): the 200 MB of a 10,000-lot product are not read by any view."""
    path = _assessed_twice(world, client)
    assert AssessmentOverview.objects.count() == 2
    with CaptureQueriesContext(connection) as first:
        html = client.get(path).content.decode()
    _shows_the_change(html)
    assert _bulky_columns_read(first.captured_queries) == []


def test_an_assessment_stored_without_an_overview_is_shown_from_its_findings_read_once(world, client):
    """Assessments stored before overviews were written: the first view reads their findings and
    snapshots and shows the same; the next view reads neither."""
    path = _assessed_twice(world, client)
    with_overviews = client.get(path).content.decode()
    AssessmentOverview.objects.all().delete()
    selectors._shown.cache_clear()
    selectors._changes.cache_clear()
    with CaptureQueriesContext(connection) as first:
        html = client.get(path).content.decode()
    _shows_the_change(html)
    assert html.count("added") == with_overviews.count("added")
    assert any('"compliance_assessment"."snapshot"' in q["sql"] for q in first.captured_queries)
    assert any('"compliance_assessment"."findings"' in q["sql"] for q in first.captured_queries)
    with CaptureQueriesContext(connection) as again:
        _shows_the_change(client.get(path).content.decode())
    assert _bulky_columns_read(again.captured_queries) == []


def test_latest_assessment_is_found_and_scored_from_the_index_alone(world):
    """SQLite keeps the snapshot and findings in overflow pages and walks them to reach a column
    stored after them: the latest assessment and its score must come from the covering index."""
    from evqms.compliance.selectors import BULKY, DEFAULT_RULESET

    if connection.vendor != "sqlite":
        pytest.skip("the row layout that makes this matter is SQLite's")
    services.run_assessment(actor=world.qa, product=world.product)
    query = (
        Assessment.objects.filter(product=world.product, ruleset_id=DEFAULT_RULESET)
        .defer(*BULKY)
        .order_by("-assessed_at", "-id")[:1]
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "USING COVERING INDEX assessment_latest_idx" in plan, plan


def test_changed_records_are_listed_up_to_the_page_length_and_counted():
    import datetime as dt

    from evqms.compliance.selectors import diff

    findings = {"items": [{"id": "X-1", "status": "met"}], "summary": {}, "ruleset": {}}
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    before = Assessment(assessed_at=at, snapshot_sha256="a" * 64, findings=findings, snapshot={"lots": []})
    lots = [{"id": f"L-{k:04d}"} for k in range(MANY)]
    after = Assessment(assessed_at=at, snapshot_sha256="b" * 64, findings=findings, snapshot={"lots": lots})
    change = diff(before, after)
    assert change["records_total"] == MANY
    assert change["records"] == [
        {"section": "lots", "record": f"L-{k:04d}", "change": "added"} for k in range(REASONS_SHOWN)
    ]


def test_rule_sets_assessed_are_read_without_ordering_by_time(world):
    """Ordering by time would make SQLite read every stored assessment's time, kept after its
    snapshot and findings."""
    from evqms.compliance.selectors import ruleset_ids_assessed

    services.run_assessment(actor=world.qa, product=world.product)
    with CaptureQueriesContext(connection) as queries:
        assert ruleset_ids_assessed(world.product) == ["jsrm-2024"]
    assert len(queries.captured_queries) == 1
    assert "ORDER BY" not in queries.captured_queries[0]["sql"]
