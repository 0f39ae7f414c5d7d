"""The landscape pages on the demo samples: counts, charts' data, provenance, CSV exports, both
languages; and the --db paths of `pubmed counts` and `clinics classify`."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from evqms.landscape import clinic_survey, trials_report
from evqms.landscape import demo as landscape_demo
from evqms.landscape.crawl import DuckDuckGoHtml, read_crawl
from evqms.landscape.models import ClinicResult, ClinicSurveyRun, Ingest, PubmedSeries, TrialOverride

pytestmark = pytest.mark.django_db


def _english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def _charts(html: str) -> dict:
    match = re.search(r'<script id="landscape-charts" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_index_as_of_the_first_snapshot(client, demo):
    _english(client, demo["auditor"])
    html = client.get("/landscape/?as_of=2023-10-30").content.decode()
    assert 'id="trials-total">24<' in html
    assert 'id="trials-therapeutic">14<' in html and 'id="trials-biomarker">7<' in html
    assert 'id="trials-unrelated">3<' in html
    charts = _charts(html)
    phases = charts["trials"]["phases"]
    assert phases["labels"][0] == "Early Phase 1" and phases["labels"][-1] == "Not applicable"
    assert phases["series"]["therapeutic"] == [2, 4, 3, 1, 2, 1, 0, 1]
    assert phases["series"]["biomarker"] == [0, 0, 0, 1, 0, 0, 1, 5]
    years = charts["trials"]["years"]
    assert years["labels"][0] == "2014" and years["labels"][-1] == "2023"
    assert sum(sum(v) for v in years["series"].values()) == 24
    # literature: both series, with their queries and dates
    assert [s["name"] for s in charts["pubmed"]["series"]] == ["seed", "broad"]
    assert charts["pubmed"]["labels"] == list(range(2010, 2024))
    assert charts["pubmed"]["series"][0]["data"][-1] == 910
    assert "&quot;Extracellular Vesicle&quot; &quot;Therapy&quot;" in html and "Retrieved: 2023-10-30" in html
    # the survey was made later: not shown as of this date
    assert "No clinic survey on or before this date." in html
    # provenance of the trial counts
    assert "sample (synthetic demo data)" in html and "exosome OR extracellular vesicle (sample)" in html


def test_index_as_of_the_second_snapshot(client, demo):
    _english(client, demo["operator"])
    html = client.get("/landscape/?as_of=2024-06-01").content.decode()
    assert 'id="trials-total">28<' in html
    assert 'id="trials-therapeutic">16<' in html and 'id="trials-unrelated">4<' in html  # the override
    late = re.search(r'<table id="late-phase">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r"NCT\d{8}(?=</a>)", late) == [
        "NCT99000010",
        "NCT99000011",
        "NCT99000012",
        "NCT99000013",
    ]
    summary = re.search(r'<div class="cards" id="clinic-summary">(.*?)</div>\s*<h3>', html, re.S).group(1)
    assert re.findall(r'class="value">(\d+)<', summary) == ["14", "10", "4", "3"]
    assert "Surveyed: 2023-11-06" in html and "エクソソーム注射" in html
    included = re.search(r'<table id="clinic-included">(.*?)</table>', html, re.S).group(1)
    assert included.count("<tr>") == 5  # header + four pages (the 療法-only page is not confirmed)
    assert "ダーマペン" in included and "ameblo.jp/asahi-hifuka" in included


def test_pages_in_japanese(client, demo):
    client.force_login(demo["qa"])
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    html = client.get("/landscape/?as_of=2024-06-01").content.decode()
    assert "EV の動向" in html and "後期（第 2/3 相以降）の治療試験" in html
    assert "ページにエクソソームを体内に入れると記載" in html  # the Japanese reason kept at the survey
    detail = client.get("/landscape/trials/NCT99000006/?as_of=2024-06-01").content.decode()
    assert "手動分類を記録" in detail and "無関係" in detail


def test_trial_list_detail_and_csv(client, demo):
    _english(client, demo["auditor"])
    html = client.get("/landscape/trials/?as_of=2024-06-01&category=biomarker").content.decode()
    assert len(re.findall(r'href="/landscape/trials/NCT\d{8}/', html)) == 8
    detail = client.get("/landscape/trials/NCT99000010/?as_of=2024-06-01").content.decode()
    assert "Phase 2/3" in detail and detail.count("ctgov-sample") == 0
    versions = re.search(r'<table id="versions">(.*?)</table>', detail, re.S).group(1)
    assert versions.count("<tr") == 3  # header + the two snapshots of this trial
    assert client.get("/landscape/trials/NCT12345678/").status_code == 404
    response = client.get("/landscape/trials.csv?as_of=2023-10-30")
    assert response["Content-Disposition"] == 'attachment; filename="ev-trials-2023-10-30.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {"as_of": "2023-10-30", "category": "therapeutic", "phase": "Total", "count": "14"} in rows
    import datetime as dt

    from evqms.landscape.selectors import trials_report_as_of

    assert response.content.decode() == trials_report.render_csv(trials_report_as_of(dt.date(2023, 10, 30)))


def test_clinic_results_and_csv_export(client, demo, english):
    _english(client, demo["auditor"])
    html = client.get("/landscape/clinics/?as_of=2024-06-01").content.decode()
    assert html.count("<tr>") == 11  # header + ten unique URLs
    only = client.get("/landscape/clinics/?as_of=2024-06-01&decision=excluded").content.decode()
    assert only.count("<tr>") == 4 and "a page listing 5 clinics (a portal or aggregator)" in only
    response = client.get("/landscape/clinics.csv?as_of=2024-06-01")
    assert response["Content-Disposition"] == 'attachment; filename="clinic-survey-2023-11-06.csv"'
    backend = DuckDuckGoHtml()
    expected = clinic_survey.render_csv(
        clinic_survey.survey(
            read_crawl(landscape_demo.SAMPLES / "clinics" / "manifest.jsonl", backend), backend
        )
    )
    assert response.content.decode() == expected
    rows = list(csv.DictReader(io.StringIO(expected)))
    assert [r["decision"] for r in rows].count("included") == 4
    assert client.get("/landscape/clinics.csv?as_of=2023-01-01").status_code == 404


def test_login_and_a_role_are_needed(client, demo, make_user):
    assert client.get("/landscape/").status_code == 302
    client.force_login(make_user("norole"))
    nobody = demo["operator"]
    nobody.groups.clear()
    client.force_login(nobody)
    assert client.get("/landscape/").status_code == 403
    assert client.get("/landscape/clinics.csv").status_code == 403


def test_a_bad_date_is_said_and_today_is_used(client, demo):
    _english(client, demo["qa"])
    html = client.get("/landscape/?as_of=2024-13-01").content.decode()
    assert "Not a date (YYYY-MM-DD): 2024-13-01" in html and 'id="trials-total">28<' in html


def test_demo_is_idempotent_and_keeps_the_originals(demo, settings):
    from pathlib import Path

    counts = (
        Ingest.objects.count(),
        TrialOverride.objects.count(),
        PubmedSeries.objects.count(),
        ClinicResult.objects.count(),
    )
    landscape_demo.load(demo)
    assert counts == (2, 1, 2, 10)
    assert (
        Ingest.objects.count(),
        TrialOverride.objects.count(),
        PubmedSeries.objects.count(),
        ClinicResult.objects.count(),
    ) == counts
    run = ClinicSurveyRun.objects.get()
    import hashlib

    assert hashlib.sha256((Path(settings.MEDIA_ROOT) / run.raw_path).read_bytes()).hexdigest() == run.sha256


def test_pubmed_counts_db_stores_a_dated_series(file_home, capsys):
    from evqms.cli import main
    from evqms.landscape.pubmed import SERIES, CountCache

    cache = CountCache()
    cache.save(
        {
            SERIES["seed"]: {
                str(y): {"count": 10 * y - 20000, "retrieved": "2024-02-01", "url": "u"}
                for y in (2021, 2022, 2023)
            }
        }
    )
    assert (
        main(
            [
                "landscape",
                "pubmed",
                "counts",
                "--series",
                "seed",
                "--from",
                "2021",
                "--to",
                "2023",
                "--offline",
                "--db",
            ]
        )
        == 0
    )
    series = PubmedSeries.objects.get()
    assert (series.name, series.query, str(series.retrieved_on)) == ("seed", SERIES["seed"], "2024-02-01")
    assert list(series.counts.values_list("year", "count")) == [(2021, 210), (2022, 220), (2023, 230)]


def test_clinics_classify_db_stores_the_run(file_home, fixtures_dir, capsys, english):
    from evqms.cli import main

    manifest = fixtures_dir / "landscape" / "clinics" / "manifest.jsonl"
    code = main(["landscape", "clinics", "classify", str(manifest), "--format", "json", "--db"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    run = ClinicSurveyRun.objects.get(pk=report["db_run_id"])
    assert run.summary == report["summary"] and str(run.surveyed_on) == "2023-11-06"
    assert run.results.count() == report["summary"]["unique_urls"]
    assert all(r.reason_ja for r in run.results.all())
