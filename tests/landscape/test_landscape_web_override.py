"""A manual classification: QA reviewers and administrators only, a reason required, written to
the audit trail in the same transaction, in force from its date on."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from evqms import errors
from evqms.audit.models import AuditEvent
from evqms.landscape import selectors, services
from evqms.landscape.models import TrialOverride
from evqms.landscape.store import RawInput
from evqms.landscape.trials import load_studies

pytestmark = pytest.mark.django_db

NCT = "NCT90000001"  # the Phase 3 EXTINGUISH-like trial: therapeutic by the rules


@pytest.fixture
def ingested(ctgov):
    raw = (ctgov / "ev_search_page1.json").read_bytes()
    services.ingest_trials(
        actor=None,
        as_of=dt.date(2023, 10, 30),
        source="files",
        query=None,
        raw_inputs=[RawInput("ev_search_page1.json", raw)],
        trials=load_studies(raw, "ev_search_page1.json").trials,
        problems=[],
    )


def test_override_is_audited_with_its_reason(ingested, make_user, english):
    qa = make_user("qa1", "qa_reviewer")
    override = services.override_trial_category(
        actor=qa,
        nct_id=NCT,
        category="unrelated",
        reason="Vesicles are a device coating here",
        effective_from=dt.date(2024, 1, 1),
    )
    event = AuditEvent.objects.get(action="landscape.trial_override")
    assert (event.actor_id, event.object_type, event.object_id) == (qa.pk, "trial", NCT)
    assert event.reason == "Vesicles are a device coating here"
    assert json.loads(event.before)["category"] == "therapeutic"
    assert json.loads(event.after) == {
        "category": "unrelated",
        "effective_from": "2024-01-01",
        "override_id": override.pk,
    }
    assert override.who == qa.signature_name()
    # in force from its date on, not before
    assert selectors.current_classification(NCT, dt.date(2023, 12, 31))["category"] == "therapeutic"
    now = selectors.current_classification(NCT, dt.date(2024, 1, 1))
    assert now["category"] == "unrelated" and now["rule"] == "override"
    assert "Vesicles are a device coating here" in now["reason"] and "rule said therapeutic" in now["reason"]
    report = selectors.trials_report_as_of(dt.date(2024, 1, 1))
    assert report["counts"]["unrelated"]["Phase 3"] == 1
    assert NCT not in [t["nct_id"] for t in report["late_phase"]]


@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_is_required(ingested, make_user, reason):
    qa = make_user("qa1", "qa_reviewer")
    with pytest.raises(errors.InputError) as info:
        services.override_trial_category(actor=qa, nct_id=NCT, category="biomarker", reason=reason)
    assert info.value.where == "reason"
    assert not TrialOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="landscape.trial_override").exists()


@pytest.mark.parametrize(
    ("nct_id", "category", "where"),
    [("NCT1", "biomarker", "nct_id"), ("NCT99999999", "biomarker", "nct_id"), (NCT, "cure", "category")],
)
def test_bad_input_is_refused(ingested, make_user, nct_id, category, where):
    qa = make_user("qa1", "qa_reviewer")
    with pytest.raises(errors.InputError) as info:
        services.override_trial_category(actor=qa, nct_id=nct_id, category=category, reason="x")
    assert info.value.where == where
    assert not TrialOverride.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("qa_reviewer", True),
        ("administrator", True),
        ("operator", False),
        ("qc_analyst", False),
        ("physician", False),
        ("auditor", False),
    ],
)
def test_role_is_enforced_in_the_service(ingested, make_user, role, allowed):
    user = make_user("u1", role)
    if allowed:
        services.override_trial_category(actor=user, nct_id=NCT, category="biomarker", reason="r")
        assert TrialOverride.objects.count() == 1
    else:
        with pytest.raises(errors.PermissionDenied):
            services.override_trial_category(actor=user, nct_id=NCT, category="biomarker", reason="r")
        assert not TrialOverride.objects.exists()


def test_override_form_in_the_page(ingested, client, make_user, english):
    url = f"/landscape/trials/{NCT}/override/"
    operator = make_user("op", "operator")
    client.force_login(operator)
    page = client.get(f"/landscape/trials/{NCT}/").content.decode()
    assert 'id="override-form"' not in page  # readers see no form
    assert client.post(url, {"category": "biomarker", "reason": "x"}).status_code == 403
    qa = make_user("qa1", "qa_reviewer")
    client.force_login(qa)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'id="override-form"' in client.get(f"/landscape/trials/{NCT}/").content.decode()
    refused = client.post(url, {"category": "biomarker", "reason": "", "effective_from": "2023-11-01"})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert not TrialOverride.objects.exists()
    done = client.post(
        url, {"category": "biomarker", "reason": "EVs only measured", "effective_from": "2023-11-01"}
    )
    assert done.status_code == 302 and done["Location"] == f"/landscape/trials/{NCT}/"
    page = client.get(f"/landscape/trials/{NCT}/?as_of=2023-11-01").content.decode()
    assert "EVs only measured" in page and "The manual classification was recorded" in page
    assert AuditEvent.objects.filter(action="landscape.trial_override", actor=qa).count() == 1
