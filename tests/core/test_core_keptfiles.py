"""One way to keep an original: its own name, the sha256 of exactly its bytes, its size."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage

from evqms.core import keptfiles
from evqms.dossier.models import Document
from evqms.errors import InputError


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.MEDIA_ROOT.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


def test_keep_names_hashes_and_sizes_what_it_stores(media):
    data = "粒子 1,2\n".encode()
    kept = keptfiles.keep(Document().file, "C:\\runs\\plate 1 (final).csv", data)
    assert kept.original_name == "plate 1 (final).csv"
    assert kept.sha256 == hashlib.sha256(data).hexdigest() and kept.size == len(data)
    assert "/" not in kept.name.rsplit("/", 1)[-1] and " " not in kept.name
    with default_storage.open(kept.name, "rb") as fh:
        assert fh.read() == data


def test_an_attached_file_is_optional_but_never_empty(media):
    assert keptfiles.keep_attached(Document().file, None, where="report") is None
    with pytest.raises(InputError, match="the file is empty") as exc:
        keptfiles.keep_attached(Document().file, ("report.pdf", b""), where="report")
    assert exc.value.where == "report"
    assert not any(media.rglob("*.pdf"))  # nothing written for the refused one
    kept = keptfiles.keep_attached(Document().file, ("report.pdf", b"%PDF-1.7"), where="report")
    assert kept.original_name == "report.pdf" and kept.sha256 == hashlib.sha256(b"%PDF-1.7").hexdigest()


def test_a_refused_service_leaves_no_kept_file(media):
    @keptfiles.removed_on_error
    def refused():
        kept = keptfiles.keep(Document().file, "a.csv", b"x")
        assert default_storage.exists(kept.name)
        raise InputError("no", where="a.csv")

    with pytest.raises(InputError):
        refused()
    assert not any(media.rglob("a*.csv"))


def test_an_import_is_kept_once_by_its_hash_and_kept_when_refused(media):
    first = keptfiles.keep_import("../results/qc.csv", b"lot,value\n")
    again = keptfiles.keep_import("qc.csv", b"lot,value\n")
    assert first == again and first.name.startswith("imports/") and first.name.endswith("-qc.csv")
    assert first.name.split("/")[1].startswith(hashlib.sha256(b"lot,value\n").hexdigest()[:16])
    other = keptfiles.keep_import("qc.csv", b"lot,value\nL1,2\n")
    assert other.name != first.name
