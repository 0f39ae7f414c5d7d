"""A reviewer's decision on a clinic-survey result (seed section 6): QA reviewers and
administrators only, a reason required, append-only, in the audit trail, and applied to the
counts, the list, the CSV and the API while the rule's own decision and sentence stay."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import DatabaseError, transaction

from evqms import errors
from evqms.audit.models import AuditEvent
from evqms.landscape import selectors, services
from evqms.landscape.models import ClinicResult, ClinicResultOverride

pytestmark = pytest.mark.django_db

MINATO = "https://minato-clinic.example.jp/exosome/"  # the demo page that only offers エクソソーム療法


def _minato():
    return ClinicResult.objects.get(url=MINATO)


def test_the_therapy_only_page_is_not_confirmed_with_its_sentence(demo):
    result = _minato()
    assert result.decision == "not_confirmed" and result.matched == ["療法"]
    assert "療法" in result.sentence


def test_review_applies_everywhere_and_keeps_the_rule(demo, english, client):
    run = _minato().run
    before = selectors.clinic_summary(run)
    override = services.override_clinic_decision(
        actor=demo["qa"],
        result_id=_minato().pk,
        decision="included",
        reason="The clinic's price list names the injection on the same page.",
    )
    after = selectors.clinic_summary(run)
    assert (before["included"], after["included"]) == (4, 5)
    assert (before["institutions_included"], after["institutions_included"]) == (3, 4)
    assert after["reviewed"] == 1 and run.summary["included"] == 4  # the stored rule summary is unchanged
    result = _minato()
    assert result.decision == "not_confirmed"  # the rule's decision stays on the row
    event = AuditEvent.objects.get(action="landscape.clinic_override")
    assert event.actor == demo["qa"] and event.reason.startswith("The clinic's price list")
    assert json.loads(event.before)["decision"] == "not_confirmed"
    assert json.loads(event.after)["decision"] == "included"
    rows = {r["url"]: r for r in csv.DictReader(io.StringIO(client_csv(client, demo)))}
    assert rows[MINATO]["decision"] == "included" and rows[MINATO]["rule_decision"] == "not_confirmed"
    assert rows[MINATO]["review"].endswith("names the injection on the same page.")
    api = client.get("/api/v1/landscape/clinics/?as_of=2024-06-01").json()
    assert api["summary"]["included"] == 5
    with pytest.raises(DatabaseError), transaction.atomic():  # append-only, like trial overrides
        ClinicResultOverride.objects.filter(pk=override.pk).update(reason="changed")


def client_csv(client, demo) -> str:
    client.force_login(demo["auditor"])
    return client.get("/landscape/clinics.csv?as_of=2024-06-01").content.decode()


def test_review_refusals(demo, english):
    pk = _minato().pk
    with pytest.raises(errors.PermissionDenied):
        services.override_clinic_decision(
            actor=demo["operator"], result_id=pk, decision="included", reason="x"
        )
    with pytest.raises(errors.InputError) as missing:
        services.override_clinic_decision(actor=demo["qa"], result_id=pk, decision="included", reason=" ")
    assert missing.value.where == "reason"
    with pytest.raises(errors.InputError) as unknown:
        services.override_clinic_decision(actor=demo["qa"], result_id=pk, decision="maybe", reason="x")
    assert unknown.value.where == "decision"
    assert not ClinicResultOverride.objects.exists()


def test_review_page_and_form(demo, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    pk = _minato().pk
    client.force_login(demo["auditor"])
    page = client.get(f"/landscape/clinics/results/{pk}/").content.decode()
    assert "Deciding sentence" in page and "療法" in page and 'id="review-form"' not in page
    assert (
        client.post(f"/landscape/clinics/results/{pk}/review/", {"decision": "included"}).status_code == 403
    )
    client.force_login(demo["qa"])
    refused = client.post(f"/landscape/clinics/results/{pk}/review/", {"decision": "included", "reason": ""})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    done = client.post(
        f"/landscape/clinics/results/{pk}/review/", {"decision": "excluded", "reason": "Cosmetic only."}
    )
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Cosmetic only." in page and "reviewed" in page
    listing = client.get("/landscape/clinics/?as_of=2024-06-01&decision=excluded").content.decode()
    assert MINATO in listing and "Cosmetic only." in listing
    assert client.get("/landscape/clinics/results/999999/").status_code == 404


def _include_minato(demo):
    services.override_clinic_decision(
        actor=demo["qa"], result_id=_minato().pk, decision="included", reason="Injection on the price list."
    )


def test_review_moves_the_institution_in_the_api_and_the_upload_result(demo, english, client):
    """The API's institution list and the upload result's institution count follow the reviewer's
    decision, as the summary and the pages do (they kept the rule's list: 3 institutions beside 4)."""
    _include_minato(demo)
    client.force_login(demo["qa"])
    api = client.get("/api/v1/landscape/clinics/?as_of=2024-06-01").json()
    hosts = [i["institution"] for i in api["institutions"]]
    assert "minato-clinic.example.jp" in hosts
    assert len(hosts) == api["summary"]["institutions_included"] == 4
    minato = next(i for i in api["institutions"] if i["institution"] == "minato-clinic.example.jp")
    assert minato == {"institution": "minato-clinic.example.jp", "name": "みなとクリニック", "urls": [MINATO]}
    page = client.get(f"/landscape/import/clinics/{_minato().run_id}/").content.decode()
    assert 'id="count-included">5<' in page and 'id="count-institutions">4<' in page


def test_reviewed_page_on_the_landscape_page_shows_the_reviewers_reason(demo, english, client):
    """A page a reviewer included is listed among the confirming pages with the reviewer's reason,
    not only the rule's "does not say how exosomes are put into the body"."""
    _include_minato(demo)
    client.force_login(demo["auditor"])
    page = client.get("/landscape/?as_of=2024-06-01").content.decode()
    table = page.split('id="clinic-included"')[1].split("</table>")[0]
    assert MINATO in table and "Injection on the price list." in table


def test_clinic_figures_cost_one_query_whatever_the_rows(demo, english, client, django_assert_num_queries):
    """The summary figures with reviewers' decisions applied are one aggregate query; the clinic
    pages' query count does not grow with the results or their reviews."""
    run = _minato().run
    with django_assert_num_queries(1):
        selectors.clinic_summary(run)
    client.force_login(demo["auditor"])

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(url)  # warm: session, language
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = ["/landscape/clinics/?as_of=2024-06-01", "/landscape/?as_of=2024-06-01"]
    before = [count(u) for u in urls]
    for r in ClinicResult.objects.filter(run=run)[:6]:
        for decision in ("excluded", "included"):
            services.override_clinic_decision(actor=demo["qa"], result_id=r.pk, decision=decision, reason="x")
    assert [count(u) for u in urls] == before
