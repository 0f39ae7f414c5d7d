"""POST /api/v1/qc-results/verify/: several QC results verified with one signature; 400 for a bad
body or no password, 403 a refused signature (counted toward the lockout), 409 naming each result
this person may not verify (and none verified)."""

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from evqms.audit.models import Signature
from evqms.lots.models import QCResult

pytestmark = pytest.mark.django_db
URL = "/api/v1/qc-results/verify/"


def client_for(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user)
    return c


def test_verify_many_through_the_api(world):
    lot = world.in_qc("UCEV-API-2")
    world.test_all(lot, verify=False)  # by qc1
    ids = sorted(QCResult.objects.filter(lot=lot).values_list("pk", flat=True))
    c = client_for(world.analyst2)
    r = c.post(URL, {"results": ids}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "password"
    r = c.post(URL, {"results": "all", "password": "x"}, format="json")
    assert r.status_code == 400 and r.json()["where"] == "results"
    r = c.post(
        URL, {"results": ids, "password": world.analyst2.raw_password, "meaning": "release"}, format="json"
    )
    assert r.status_code == 400 and r.json()["where"] == "meaning"
    r = c.post(URL, {"results": ids, "password": "not-it"}, format="json")
    assert r.status_code == 403 and AccessAttempt.objects.get(username="qc2").failures_since_start == 1
    r = c.post(URL, {"results": ids, "password": world.analyst2.raw_password}, format="json")
    assert r.status_code == 200, r.content
    assert sorted(x["id"] for x in r.json()) == ids and {x["verified_by"] for x in r.json()} == {"qc2"}
    assert Signature.objects.filter(meaning="verification", signer=world.analyst2).count() == 5


def test_refusals_are_named_and_nothing_is_verified(world):
    lot = world.in_qc("UCEV-API-3")
    world.test_all(lot, verify=False)  # by qc1
    ids = sorted(QCResult.objects.filter(lot=lot).values_list("pk", flat=True))
    r = client_for(world.analyst).post(
        URL, {"results": ids, "password": world.analyst.raw_password}, format="json"
    )
    assert r.status_code == 409
    refused = r.json()["refused"]
    assert [x["id"] for x in refused] == ids and all("own result" in x["reason"] for x in refused)
    assert not QCResult.objects.filter(verified_by__isnull=False).exists()
    r = client_for(world.operator).post(
        URL, {"results": ids, "password": world.operator.raw_password}, format="json"
    )
    assert r.status_code == 403
