"""`evqms landscape trials ingest` and `landscape clinics classify` on hostile and mutated files:
exit 0, 1 or 2, never a traceback or a hang, one line naming the file on 2; a gzip bomb crawl
stops at EVQMS_DECOMPRESSED_LIMIT_MB."""

from __future__ import annotations

import gzip
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from evqms.i18n import use_language
from evqms.testing.inputfuzz import check_cli, mutated

# Messages are asserted in English (the Japanese catalogue is checked on its own).
pytestmark = pytest.mark.usefixtures("english_messages")

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landscape"
PAGE = (FIX / "ctgov" / "ev_search_page1.json").read_bytes()
WARC_GZ = (FIX / "upload" / "clinics_small.warc.gz").read_bytes()
WARC = b"WARC/1.0\r\n".join(gzip.decompress(WARC_GZ).split(b"WARC/1.0\r\n")[:4])  # three records
MANIFEST = (FIX / "clinics" / "manifest.jsonl").read_bytes()
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    with use_language("en"):
        yield


def _ingest(capsys, monkeypatch, data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.setenv("EVQMS_HOME", str(Path(tmp) / "home"))
        path = Path(tmp) / "studies.json"
        path.write_bytes(data)
        return check_cli(
            ["landscape", "trials", "ingest", str(path), "--as-of", "2023-10-30"], capsys, name=path.name
        )


def _classify(capsys, data: bytes, name: str):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "crawl"
        shutil.copytree(FIX / "clinics", folder)  # a manifest names the saved pages beside it
        path = folder / name
        path.write_bytes(data)
        return check_cli(
            ["landscape", "clinics", "classify", str(path), "--format", "json"], capsys, name=name
        )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),
        (b'{"studies": [{"protocolSection": {"x": NaN}}]}', "NaN is not a number JSON allows"),
        (b'{"studies": [], "totalCount": ' + b"9" * 100_000 + b"}", "a number with 100000 digits"),
    ],
    ids=["deep", "nan", "100k-digits"],
)
def test_hostile_trial_files_refused(capsys, monkeypatch, data, reason):
    code, err = _ingest(capsys, monkeypatch, data)
    assert code == 2 and "studies.json" in err and reason in err


def test_gzip_bomb_crawl_stops_at_the_limit(capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_DECOMPRESSED_LIMIT_MB", "4")
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as gz:
        for _ in range(16):
            gz.write(b"\0" * (1024 * 1024))
    code, err = _classify(capsys, bomb.getvalue(), "bomb.warc.gz")
    assert code == 2
    assert (
        err.strip()
        == "evqms: error: bomb.warc.gz: is larger than the limit of 4 MB (EVQMS_DECOMPRESSED_LIMIT_MB)"
    )


def test_the_real_crawl_is_under_the_limit(capsys):
    code, _ = _classify(capsys, WARC_GZ, "small.warc.gz")
    assert code == 0


@FUZZ
@given(data=mutated(PAGE, "json"))
def test_mutated_trial_page_keeps_the_contract(capsys, monkeypatch, data):
    _ingest(capsys, monkeypatch, data)


@FUZZ
@given(data=mutated(WARC, "csv"))
def test_mutated_warc_keeps_the_contract(capsys, data):
    _classify(capsys, data, "crawl.warc")


@FUZZ
@given(data=mutated(MANIFEST, "json"))
def test_mutated_manifest_keeps_the_contract(capsys, data):
    _classify(capsys, data, "fuzz.jsonl")
