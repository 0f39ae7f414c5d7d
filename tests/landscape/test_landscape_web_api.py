"""The read-only landscape API gives the pages' figures as of a date."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_api_as_of_dates(client, demo):
    assert client.get("/api/v1/landscape/trials/report/").status_code in (401, 403)
    client.force_login(demo["auditor"])
    report = client.get("/api/v1/landscape/trials/report/?as_of=2023-10-30").json()
    assert report["totals"] == {"therapeutic": 14, "biomarker": 7, "unrelated": 3}
    assert [s["as_of"] for s in report["sources"]] == ["2023-10-30"]
    later = client.get("/api/v1/landscape/trials/report/?as_of=2024-06-01").json()
    assert later["totals"] == {"therapeutic": 16, "biomarker": 8, "unrelated": 4}
    series = client.get("/api/v1/landscape/pubmed/?as_of=2023-10-30").json()
    assert [(s["name"], s["retrieved_on"], s["counts"][-1]) for s in series] == [
        ("seed", "2023-10-30", {"year": 2023, "count": 910}),
        ("broad", "2023-10-30", {"year": 2023, "count": 8845}),
    ]
    assert client.get("/api/v1/landscape/pubmed/?as_of=2023-10-29").json() == []
    assert client.get("/api/v1/landscape/clinics/?as_of=2023-11-05").status_code == 404
    clinics = client.get("/api/v1/landscape/clinics/?as_of=2023-11-06").json()
    assert clinics["summary"] == {
        "analysed": 14,
        "unique_urls": 10,
        "included": 4,  # the demo's みなとクリニック page only offers "エクソソーム療法": not confirmed
        "institutions_included": 3,
        "reviewed": 0,
    }
    assert clinics["surveyed_on"] == "2023-11-06" and len(clinics["sha256"]) == 64
    bad = client.get("/api/v1/landscape/trials/report/?as_of=yesterday")
    assert bad.status_code == 400 and bad.json()["where"] == "as_of"


def test_api_needs_a_role(client, make_user):
    client.force_login(make_user("nobody"))
    user = make_user("norole")
    user.groups.clear()
    client.force_login(user)
    assert client.get("/api/v1/landscape/pubmed/").status_code == 403
