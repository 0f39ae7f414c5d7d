"""The database store answers as the file store does: same reports, same snapshots."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import DatabaseError, transaction

from evqms.cli import main
from evqms.landscape import trials_report
from evqms.landscape.db_store import DbTrialStore
from evqms.landscape.models import Ingest, TrialOverride, TrialRecord
from evqms.landscape.store import RawInput, TrialStore
from evqms.landscape.trials import latest_versions, load_studies

pytestmark = pytest.mark.django_db

D1, D2 = dt.date(2023, 10, 30), dt.date(2024, 3, 15)


def _ingest(store, paths, as_of):
    raws = [RawInput(p.name, p.read_bytes()) for p in paths]
    trials = []
    for raw in raws:
        trials += load_studies(raw.data, raw.name).trials
    return store.add_ingest(
        as_of=as_of, source="files", query=None, raw_inputs=raws, trials=latest_versions(trials), problems=[]
    )


def _fill(store, ctgov):
    _ingest(store, [ctgov / "ev_search_page1.json", ctgov / "ev_search_page2.json"], D1)
    _ingest(store, [ctgov / "ev_single_updated.json"], D2)


def _comparable(report):
    """The report without what differs by store: ingest ids and times."""
    data = json.loads(json.dumps(report))
    for source in data["sources"]:
        source.pop("id")
        source.pop("ingested_at")
    return data


@pytest.mark.parametrize("as_of", [dt.date(2023, 10, 29), D1, dt.date(2024, 1, 1), D2, dt.date(2030, 1, 1)])
def test_db_store_gives_the_file_store_report(tmp_path, ctgov, english, as_of):
    files, db = TrialStore(tmp_path / "trials"), DbTrialStore()
    _fill(files, ctgov)
    _fill(db, ctgov)
    reports = []
    for store in (files, db):
        trials, sources = store.records_as_of(as_of)
        reports.append(
            trials_report.build_report(
                trials, as_of=as_of, sources=sources, overrides=store.overrides_as_of(as_of)
            )
        )
    assert _comparable(reports[1]) == _comparable(reports[0])
    if as_of >= D1:
        assert sum(reports[1]["totals"].values()) == 13


def test_as_of_reads_records_as_they_were(ctgov, english):
    store = DbTrialStore()
    _fill(store, ctgov)
    updated = json.loads((ctgov / "ev_single_updated.json").read_bytes())
    nct = updated["protocolSection"]["identificationModule"]["nctId"]
    old, _sources = store.records_as_of(D1)
    new, sources = store.records_as_of(D2)
    before = next(t for t in old if t["nct_id"] == nct)
    after = next(t for t in new if t["nct_id"] == nct)
    assert before != after
    assert after["version_date"] == updated["derivedSection"]["miscInfoModule"]["versionHolder"]
    assert [s["as_of"] for s in sources] == ["2023-10-30", "2024-03-15"]
    assert store.records_as_of(dt.date(2023, 10, 29)) == ([], [])
    # the record of the first ingest is still there, unchanged
    assert TrialRecord.objects.filter(nct_id=nct).count() == 2


def test_ingest_keeps_the_raw_inputs_with_their_hash(ctgov, settings):
    import hashlib
    from pathlib import Path

    manifest = _ingest(DbTrialStore(), [ctgov / "ev_search_page1.json"], D1)
    ingest = Ingest.objects.get(key=manifest["id"])
    raw = (ctgov / "ev_search_page1.json").read_bytes()
    (first,) = ingest.inputs
    assert first["sha256"] == hashlib.sha256(raw).hexdigest() and first["bytes"] == len(raw)
    assert (Path(settings.MEDIA_ROOT) / ingest.raw_path / first["stored"]).read_bytes() == raw
    assert ingest.record_count == 7 == ingest.records.count()
    from evqms.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="landscape.trials_ingest")
    assert json.loads(event.after)["raw_sha256"] == ingest.raw_sha256


def test_snapshots_and_overrides_are_append_only(ctgov, make_user):
    from evqms.landscape import services

    _ingest(DbTrialStore(), [ctgov / "ev_search_page1.json"], D1)
    qa = make_user("qa1", "qa_reviewer")
    services.override_trial_category(actor=qa, nct_id="NCT90000001", category="biomarker", reason="test")
    from django.db import connection

    for model, column in ((Ingest, "source"), (TrialRecord, "brief_title"), (TrialOverride, "reason")):
        table = model._meta.db_table
        for sql in (f"UPDATE {table} SET {column} = 'changed'", f"DELETE FROM {table}"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute(sql)
        assert model.objects.exists()


def _cli_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_db_flag_stores_and_reports_like_the_file_store(file_home, ctgov, capsys, make_user):
    pages = [str(ctgov / "ev_search_page1.json"), str(ctgov / "ev_search_page2.json")]
    for extra in ([], ["--db"]):
        assert main(["landscape", "trials", "ingest", *pages, "--as-of", "2023-10-30", *extra]) == 0
        assert (
            main(
                [
                    "landscape",
                    "trials",
                    "ingest",
                    str(ctgov / "ev_single_updated.json"),
                    "--as-of",
                    "2024-03-15",
                    *extra,
                ]
            )
            == 0
        )
    assert Ingest.objects.count() == 2
    assert len(TrialStore().ingests()) == 2  # the file store got its own two
    make_user("sato", "qa_reviewer")
    override = [
        "landscape",
        "trials",
        "override",
        "NCT90000002",
        "--category",
        "biomarker",
        "--why",
        "only measured",
    ]
    assert main([*override, "--who", "sato", "--when", "2024-01-01"]) == 0
    assert main([*override, "--who", "sato", "--when", "2024-01-01", "--db"]) == 0
    capsys.readouterr()
    for date in ("2023-10-30", "2024-03-15"):
        files = _cli_json(capsys, "landscape", "trials", "report", "--as-of", date, "--format", "json")
        db = _cli_json(capsys, "landscape", "trials", "report", "--as-of", date, "--format", "json", "--db")
        for report in (files, db):
            for t in report["trials"]:
                if t["override"]:
                    t["override"].pop("recorded_at")
                    t["override"].pop("recorded_by", None)
                    t["override"]["who"] = "-"
                    t["reason"] = t["reason"].replace("Sato", "sato")
        assert _comparable(db) == _comparable(files)
    assert db["totals"] == {"therapeutic": 8, "biomarker": 4, "unrelated": 1}


def test_cli_db_override_needs_a_known_user_with_the_role(file_home, ctgov, capsys, make_user):
    assert main(["landscape", "trials", "ingest", str(ctgov / "ev_search_page1.json"), "--db"]) == 0
    make_user("op", "operator")
    argv = ["landscape", "trials", "override", "NCT90000002", "--category", "biomarker", "--why", "x", "--db"]
    assert main([*argv, "--who", "nobody"]) == 2
    assert "no user nobody" in capsys.readouterr().err
    assert main([*argv, "--who", "op"]) != 0
    assert TrialOverride.objects.count() == 0
