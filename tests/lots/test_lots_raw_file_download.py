"""The instrument file behind a QC result, downloaded from the lot page: login, role and hash checked."""

import hashlib
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from evqms.lots import selectors, services
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db

DATA = "Sample,Concentration (particles/ml)\nUCEV,2.5E+09\n日本語\n".encode()


def _result_with_file(world):
    lot = world.manufacture(world.new_lot("UCEV-T-001"))
    return services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=world.attr("particle_concentration"),
        value=D("2.5e9"),
        unit="particles/mL",
        tested_at=timezone.now(),
        raw_file=("nta run.csv", DATA),
        controls=passing_controls(world.attr("particle_concentration")),
    )


def test_the_lot_page_links_a_download_that_returns_the_original_bytes(client, world):
    result = _result_with_file(world)
    url = reverse("lots:qc-raw", args=[result.lot.number, result.pk])
    listed = [r["raw_file_url"] for r in selectors.lot_detail(result.lot)["results"]]
    assert listed == [url]
    client.force_login(world.qa)
    assert (
        f'href="{url}"' in client.get(reverse("lots:lot-detail", args=[result.lot.number])).content.decode()
    )
    response = client.get(url)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body == DATA
    assert hashlib.sha256(body).hexdigest() == result.raw_file_sha256
    assert 'filename="nta run.csv"' in response["Content-Disposition"]


def test_download_needs_a_login(client, world):
    result = _result_with_file(world)
    response = client.get(reverse("lots:qc-raw", args=[result.lot.number, result.pk]))
    assert response.status_code == 302 and "login/" in response["Location"]


def test_an_altered_file_is_not_served(client, world):
    result = _result_with_file(world)
    with open(result.raw_file.path, "ab") as fh:  # someone edits the stored original
        fh.write(b"UCEV,9.9E+09\n")
    client.force_login(world.qa)
    response = client.get(reverse("lots:qc-raw", args=[result.lot.number, result.pk]))
    assert response.status_code == 409 and "SHA-256" in response.content.decode()


def test_a_missing_file_or_a_result_of_another_lot_is_404(client, world):
    result = _result_with_file(world)
    other = world.new_lot("UCEV-T-002")
    client.force_login(world.qa)
    assert client.get(reverse("lots:qc-raw", args=[other.number, result.pk])).status_code == 404
    result.raw_file.storage.delete(result.raw_file.name)
    assert client.get(reverse("lots:qc-raw", args=[result.lot.number, result.pk])).status_code == 404
