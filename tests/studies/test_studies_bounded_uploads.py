"""Uploads are bounded and leave nothing behind: every upload field refuses a file above
EVQMS_UPLOAD_LIMIT_MB naming the file and the setting; a refused NTA upload (409) leaves no file
under MEDIA_ROOT; an integer filter out of range answers 400, not an OverflowError 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from evqms.i18n import use_language
from evqms.studies.models import NTAImport

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
LIMIT = "is larger than the limit of 1 MB (EVQMS_UPLOAD_LIMIT_MB)"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    return settings.MEDIA_ROOT


@pytest.fixture
def one_mb(monkeypatch):
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "1")


def _api(user):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user=user)
    return c


def _export(nta_synth):
    videos = [nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110, gsd=1.4, total=3e10)] * 2
    return nta_synth.nanosight_csv(videos, dilution=100.0)


def _files(media) -> list[str]:
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


def test_refused_nta_upload_leaves_no_file(world, nta_synth, media):
    """The second export of the same lot is refused (409: its results are recorded already);
    before, its file stayed under MEDIA_ROOT/nta with no row referring to it."""
    data = _export(nta_synth)
    url = "/api/v1/studies/nta/"
    first = _api(world.analyst).post(
        url, {"lot": world.lot.number, "file": SimpleUploadedFile("a.csv", data)}
    )
    assert first.status_code == 201, first.content
    kept = _files(media)
    assert len(kept) == 1 and kept[0].startswith("nta/")
    again = _api(world.analyst).post(
        url, {"lot": world.lot.number, "file": SimpleUploadedFile("b.csv", data)}
    )
    assert again.status_code == 409, again.content
    assert NTAImport.objects.count() == 1
    assert _files(media) == kept  # nothing of b.csv


def test_api_nta_upload_above_the_limit_is_400(world, media, one_mb):
    big = SimpleUploadedFile("huge.csv", b"x" * (MB + 1))
    r = _api(world.analyst).post("/api/v1/studies/nta/", {"lot": world.lot.number, "file": big})
    assert r.status_code == 400
    assert r.json() == {"error": f"huge.csv: {LIMIT}", "where": "file"}
    assert _files(media) == []


def _forms(world):
    from evqms.dossier.forms import DocumentForm
    from evqms.lots.forms import QCResultForm
    from evqms.studies.forms import NTAUploadForm, PotencyRunForm

    attribute = world.spec.attributes.get(code="endotoxin")
    return {
        "document": (DocumentForm, {"code": "SOP-1", "title": "t", "kind": "sop"}, "file", {}),
        "qc-raw-file": (QCResultForm, {}, f"a{attribute.pk}-raw_file", {"attribute": attribute}),
        "nta": (NTAUploadForm, {}, "file", {}),
        "potency-plate": (PotencyRunForm, {}, "file", {}),
    }


@pytest.mark.parametrize("which", ["document", "qc-raw-file", "nta", "potency-plate"])
def test_every_upload_form_refuses_a_file_above_the_limit(world, one_mb, which):
    form_class, data, field, kwargs = _forms(world)[which]
    name = field.split("-")[-1] if "-" in field else field
    with use_language("en"):
        form = form_class(data, {field: SimpleUploadedFile("big.bin", b"x" * (MB + 1))}, **kwargs)
        form.is_valid()
        errors = form.errors.get(name) or form.errors.get(field) or []
    assert f"big.bin: {LIMIT}" in errors, form.errors


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808", "0", "-3", "abc", "1.5"])
def test_integer_filter_out_of_range_is_400(world, value):
    r = _api(world.analyst).get(f"/api/v1/studies/potency-runs/?assay={value}")
    assert r.status_code == 400
    assert r.json() == {
        "error": "must be a record id (a whole number from 1 to 9223372036854775807)",
        "where": "assay",
    }


def test_integer_filter_in_range_still_filters(world):
    r = _api(world.analyst).get("/api/v1/studies/potency-runs/?assay=9223372036854775807")
    assert r.status_code == 200 and r.json() == []


def test_an_overflow_anywhere_in_the_api_is_400():
    """The one place for every API view: a number past what the database stores is the client's."""
    from evqms.core.api import exception_handler

    with use_language("en"):
        response = exception_handler(OverflowError("Python int too large to convert to SQLite INTEGER"), {})
    assert response.status_code == 400
    assert response.data == {
        "error": "a number in the request is out of range (largest id: 9223372036854775807)"
    }
