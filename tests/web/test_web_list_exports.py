"""Every list page built on evqms.core.listing, on the demo data: the CSV and the Excel export both
answer with their content type and exactly the rows the page's filter selects (counted here from
the models, not through the list's code), all of them rather than one page; a sorted export comes
out in that order; a role without the patient-code permission gets no patient column; and the
number of queries of an export does not grow with its rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from evqms.capa.models import Capa
from evqms.changes.models import ChangeRequest
from evqms.clinical.models import Administration, AdverseEvent, FollowUpVisit, Patient, SafetyReport
from evqms.dossier.models import Product
from evqms.environment.models import Sample, SamplingPoint
from evqms.equipment.models import Instrument, Room
from evqms.inventory.models import Aliquot, Consignee, RetentionSample, Shipment, StorageLocation
from evqms.landscape.models import ClinicResult
from evqms.landscape.selectors import clinic_run_as_of, trials_report_as_of
from evqms.lots.models import Deviation, Lot
from evqms.studies.models import PotencyRun
from evqms.training.models import MediaFill
from evqms.training.selectors import matrix
from evqms.web.demo import load_demo

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (list URL with a filter, how many rows that filter selects, read from the models[, the demo user
# who reads it when QA may not])
LIST_PAGES = [
    ("/lots/?status=released", lambda: Lot.objects.filter(status="released").count()),
    ("/lots/", lambda: Lot.objects.count()),
    ("/inventory/?status=available", lambda: Aliquot.objects.filter(status="available").count()),
    ("/inventory/shipments/", lambda: Shipment.objects.count()),
    ("/inventory/consignees/", lambda: Consignee.objects.count()),
    ("/deviations/?status=open", lambda: Deviation.objects.filter(status="open").count()),
    ("/capa/?show=closed", lambda: Capa.objects.filter(status="closed").count()),
    ("/changes/", lambda: ChangeRequest.objects.count()),
    ("/clinical/", lambda: Administration.objects.count()),
    ("/clinical/patients/", lambda: Patient.objects.count()),
    ("/clinical/adverse-events/", lambda: AdverseEvent.objects.count()),
    ("/dossier/", lambda: Product.objects.count()),
    ("/accounts/users/", lambda: get_user_model().objects.count(), "admin"),
    ("/equipment/", lambda: Instrument.objects.count()),
    ("/equipment/rooms/", lambda: Room.objects.count()),
    ("/training/", lambda: len(matrix().rows)),
    ("/training/media-fills/", lambda: MediaFill.objects.count()),
    ("/environment/", lambda: SamplingPoint.objects.count()),
    (  # the schedule's period: 2000-01-01 and the 13 days after it, as the start parameter says
        "/environment/schedule/?start=2000-01-01",
        lambda: Sample.objects.filter(due_on__range=(dt.date(2000, 1, 1), dt.date(2000, 1, 14))).count(),
    ),
    (  # by default the past week and the next
        "/environment/schedule/",
        lambda: Sample.objects.filter(
            due_on__range=(
                timezone.localdate() - dt.timedelta(days=7),
                timezone.localdate() + dt.timedelta(days=6),
            )
        ).count(),
    ),
    ("/inventory/retention/", lambda: RetentionSample.objects.count()),
    ("/inventory/locations/", lambda: StorageLocation.objects.count()),
    (
        "/clinical/visits/",
        lambda: (
            FollowUpVisit.objects.filter(status__in=("scheduled", "missed"))
            .filter(Q(status="missed") | Q(window_start__lte=timezone.localdate()))
            .count()
        ),
    ),
    ("/clinical/safety-reports/", lambda: SafetyReport.objects.count()),
    ("/studies/", lambda: PotencyRun.objects.count()),
    (
        "/landscape/trials/?category=therapeutic",
        lambda: [t["category"] for t in trials_report_as_of(timezone.localdate())["trials"]].count(
            "therapeutic"
        ),
    ),
    (
        "/landscape/clinics/",
        lambda: ClinicResult.objects.filter(run=clinic_run_as_of(timezone.localdate())).count(),
    ),
]


@pytest.fixture
def qa_client():
    logins = {row["username"]: row for row in load_demo()}
    client = Client()
    row = logins["qa"]
    assert client.post("/accounts/login/", {"username": "qa", "password": row["password"]}).status_code == 302
    return client, logins


def _csv_rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_list_pages_on_the_demo(qa_client, django_assert_max_num_queries):
    """One demo load (about a minute) for every check below."""
    _every_list_exports_its_filtered_rows_as_csv_and_xlsx(qa_client)
    _a_sorted_list_exports_in_that_order_with_japanese_headers(qa_client)
    _the_patient_column_follows_the_role_in_page_and_export(qa_client)
    _an_export_reads_in_a_constant_number_of_queries(qa_client, django_assert_max_num_queries)
    _a_tree_exports_in_its_order_and_is_not_sorted(qa_client)


def _every_list_exports_its_filtered_rows_as_csv_and_xlsx(qa_client):
    import openpyxl

    qa, logins = qa_client
    nonempty = 0
    for url, count, *who in LIST_PAGES:
        client = qa
        if who:
            client = Client()
            client.post("/accounts/login/", {"username": who[0], "password": logins[who[0]]["password"]})
        expected = count()
        nonempty += bool(expected)
        page = client.get(url)
        assert page.status_code == 200, url
        assert "format=csv" in page.content.decode() and "aria-sort" not in page.content.decode(), url
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}format=csv")
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/csv; charset=utf-8", url
        rows = _csv_rows(response)
        assert len(rows) - 1 == expected, (url, len(rows) - 1, expected)
        response = client.get(f"{url}{sep}format=xlsx")
        assert response.status_code == 200 and response["Content-Type"] == XLSX, url
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row - 1 == expected, url
    assert nonempty >= 8  # the demo fills most lists, so the counts say something


def _a_sorted_list_exports_in_that_order_with_japanese_headers(qa_client):
    client, _logins = qa_client
    client.cookies["django_language"] = "ja"
    numbers = sorted(Lot.objects.values_list("number", flat=True), reverse=True)
    page = client.get("/lots/?sort=-number", HTTP_ACCEPT_LANGUAGE="ja")
    assert 'aria-sort="descending"' in page.content.decode()
    rows = _csv_rows(client.get("/lots/?sort=-number&format=csv", HTTP_ACCEPT_LANGUAGE="ja"))
    assert rows[0][0] == "ロット番号"
    assert [r[0] for r in rows[1:]] == numbers
    bad = client.get("/lots/?sort=nope")
    assert bad.status_code == 200 and "nope" in bad.content.decode()
    assert client.get("/lots/?sort=nope&format=csv").status_code == 400


def _the_patient_column_follows_the_role_in_page_and_export(qa_client):
    client, logins = qa_client
    others = [name for name in logins if name not in ("qa",)]
    seen = {}
    for name in others:
        c = Client()
        c.post("/accounts/login/", {"username": name, "password": logins[name]["password"]})
        response = c.get("/clinical/adverse-events/?format=csv")
        if response.status_code != 200:
            continue
        user = response.wsgi_request.user
        header = _csv_rows(response)[0]
        seen[name] = len(header) == 7  # the patient column is the seventh (in any language)
        assert seen[name] == user.has_perm("clinical.view_patient_codes"), name
    assert seen  # at least one role reads the adverse events


def _an_export_reads_in_a_constant_number_of_queries(qa_client, django_assert_max_num_queries):
    client, _logins = qa_client
    assert Aliquot.objects.count() > 20
    with django_assert_max_num_queries(12):
        response = client.get("/inventory/?format=csv")
        rows = _csv_rows(response)
    assert len(rows) - 1 == Aliquot.objects.count()
    with django_assert_max_num_queries(14):
        rows = _csv_rows(client.get("/clinical/?format=csv"))  # aliquots per administration: prefetched
    assert len(rows) - 1 == Administration.objects.count()


def _a_tree_exports_in_its_order_and_is_not_sorted(qa_client):
    client, _logins = qa_client
    page = client.get("/inventory/locations/?sort=code")
    assert page.status_code == 200 and 'class="sort"' not in page.content.decode()
    assert client.get("/inventory/locations/?sort=code&format=csv").status_code == 400
    rows = _csv_rows(client.get("/inventory/locations/?format=csv"))[1:]
    seen: set[str] = set()
    for code, inside, *_rest in rows:  # every location comes after the one it is inside
        assert not inside or inside in seen, code
        seen.add(code)
