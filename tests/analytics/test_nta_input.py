"""NTA: telling the instruments apart by content, unreadable files, printed precision."""

from __future__ import annotations

import importlib.util
import os
import random
from pathlib import Path

import pytest

from evqms.analytics.nta import agrees, decode_export, detect_instrument, parse_nta, printed_unit
from evqms.errors import InputError
from evqms.i18n import use_language


@pytest.fixture(autouse=True, scope="module")
def _english():
    """Messages are asserted in English (inside Django the default language is Japanese)."""
    with use_language("en"):
        yield


def _load_synth():
    path = Path(__file__).resolve().parents[1] / "fixtures" / "nta" / "nta_synth.py"
    spec = importlib.util.spec_from_file_location("nta_synth", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synth = _load_synth()
NS = synth.nanosight_csv([[0.0] * 99 + [1e8, 2e8, 1e8] + [0.0] * 898])
ZV = synth.zetaview_txt([0, 0, 0, 1, 2, 1])


def test_instrument_comes_from_content_not_the_file_name():
    assert parse_nta(NS, "zetaview_export.txt").instrument == "NanoSight"
    assert parse_nta(ZV, "ExperimentSummary.csv").instrument == "ZetaView"
    assert detect_instrument("hello") is None


@pytest.mark.parametrize("data", [b"", b"   \r\n\n", b"\n"])
def test_empty_file(data):
    with pytest.raises(InputError, match="empty.csv: the NTA export is empty"):
        parse_nta(data, "empty.csv")


def test_binary_junk():
    junk = bytes(random.Random(5).randrange(256) for _ in range(5000)) + b"\x00"
    with pytest.raises(InputError, match="junk.bin: binary data"):
        parse_nta(junk, "junk.bin")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(100)
    with pytest.raises(InputError, match="binary data"):
        parse_nta(png, "image.png")


def test_junk_without_nul_bytes_is_not_an_export():
    junk = bytes(random.Random(6).randrange(1, 256) for _ in range(3000))
    with pytest.raises(InputError, match=r"junk.txt, line 1: not an NTA export"):
        parse_nta(junk, "junk.txt")


def test_other_text_is_not_an_export():
    with pytest.raises(InputError, match="not an NTA export"):
        parse_nta(b"Sample,Size\nA,100\n", "plate.csv")


def test_utf8_bom_nanosight():
    assert parse_nta(b"\xef\xbb\xbf" + NS, "bom.csv").instrument == "NanoSight"


def test_decoding_falls_back_to_latin1():
    assert decode_export("µs:\t1".encode("latin-1"), "x") == "µs:\t1"
    assert decode_export("µs:\t1".encode(), "x") == "µs:\t1"
    assert decode_export("µs:\t1".encode("utf-16"), "x") == "µs:\t1"


@pytest.mark.parametrize(
    "text,unit",
    [
        ("6.72e+08", 1e6),
        ("98.7", 0.1),
        ("1430000000", 1e7),
        ("94", 1.0),
        ("0", 1.0),
        ("1.00e+04", 100.0),
        ("127.338710", 1e-6),
        ("-0.0", 0.1),
        ("Not recorded", None),
    ],
)
def test_printed_unit(text, unit):
    assert printed_unit(text) == (pytest.approx(unit) if unit is not None else None)


def test_agreement_within_half_the_printed_digit():
    assert agrees(79.75, "79.8")
    assert agrees(79.84, "79.8")
    assert not agrees(79.86, "79.8")
    assert agrees(1466257192.4, "1470000000")
    assert not agrees(1476000000.0, "1470000000")
    assert agrees(None, "1.0") and agrees(1.0, None)
