"""evqms.core.limits: the one home of input bounds (sizes, decompression, encodings, nesting, CSV,
record ids) and the YAML loader that refuses aliases. Pure: no database."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from evqms.core import limits
from evqms.errors import InputError
from evqms.guidance.yamlio import load_yaml
from evqms.i18n import use_language

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def _bomb(mib: int) -> bytes:
    """`mib` MiB of zeros, gzipped: about 1 KB per MiB."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        for _ in range(mib):
            gz.write(b"\0" * MB)
    return out.getvalue()


# ---- sizes ---------------------------------------------------------------------------------------


def test_upload_limit_default_setting_and_message(monkeypatch, tmp_path):
    monkeypatch.delenv("EVQMS_UPLOAD_LIMIT_MB", raising=False)
    assert limits.UPLOAD.bytes() == 50 * MB
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "2")
    path = tmp_path / "plate.csv"
    path.write_bytes(b"x" * (2 * MB + 1))
    with pytest.raises(InputError) as err:
        limits.read_file(path)
    assert str(err.value) == f"{path}: is larger than the limit of 2 MB (EVQMS_UPLOAD_LIMIT_MB)"
    path.write_bytes(b"x" * (2 * MB))  # exactly the limit is accepted
    assert len(limits.read_file(path)) == 2 * MB


@pytest.mark.parametrize("value", ["0", "-5", "ten", "1.5"])
def test_a_mistyped_limit_is_refused_naming_the_setting(monkeypatch, value):
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", value)
    with pytest.raises(limits.LimitSettingError, match="EVQMS_UPLOAD_LIMIT_MB must be a whole number"):
        limits.check_settings()


def test_read_upload_counts_while_reading_even_if_the_size_lies(monkeypatch):
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "1")

    class Upload:
        name = "liar.csv"
        size = 10  # a client can claim any size

        def chunks(self):
            for _ in range(3):
                yield b"x" * (MB // 2)

    with pytest.raises(InputError, match=r"liar\.csv: is larger than the limit of 1 MB"):
        limits.read_upload(Upload())


def test_cli_read_bytes_uses_the_limit(monkeypatch, tmp_path):
    from evqms.cliutil import read_bytes

    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "1")
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MB + 1))
    with pytest.raises(InputError, match="EVQMS_UPLOAD_LIMIT_MB"):
        read_bytes(path)
    with pytest.raises(InputError, match="file not found"):
        read_bytes(tmp_path / "nope.yaml")


# ---- decompression --------------------------------------------------------------------------------


def test_gzip_bomb_stops_at_the_decompressed_limit(monkeypatch):
    monkeypatch.setenv("EVQMS_DECOMPRESSED_LIMIT_MB", "8")
    bomb = _bomb(64)
    assert len(bomb) < 100_000  # 64 MiB in under 100 KB
    with pytest.raises(InputError) as err:
        limits.check_gzip_expansion(io.BytesIO(bomb), name="crawl.warc.gz")
    assert str(err.value) == "crawl.warc.gz: is larger than the limit of 8 MB (EVQMS_DECOMPRESSED_LIMIT_MB)"


def test_gzip_members_are_all_counted_and_read():
    two = gzip.compress(b"WARC/1.0 first") + gzip.compress(b" and second")
    assert limits.gunzip(two, name="x.gz") == b"WARC/1.0 first and second"
    assert limits.check_gzip_expansion(io.BytesIO(two), name="x.gz") == 25


def test_zip_bomb_workbook_refused(monkeypatch):
    monkeypatch.setenv("EVQMS_DECOMPRESSED_LIMIT_MB", "4")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (5 * MB))
    with pytest.raises(InputError, match="larger than the limit of 4 MB"):
        limits.check_zip_expansion(out.getvalue(), name="results.xlsx")


# ---- text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "lot,dose\nA,1µg\n".encode("utf-16"),  # with BOM
        "lot,dose\nA,1µg\n".encode("utf-16-le"),
        "lot,dose\nA,1µg\n".encode("utf-16-be"),
        b"\xef\xbb\xbf" + "lot,dose\nA,1µg\n".encode(),
    ],
    ids=["utf16-bom", "utf16le", "utf16be", "utf8-bom"],
)
def test_utf16_and_bom_are_decoded(raw):
    assert limits.decode_text(raw, name="p.csv") == "lot,dose\nA,1µg\n"


def test_nul_byte_refused_with_its_line():
    with pytest.raises(InputError) as err:
        limits.decode_text(b"a,b\n1,2\n3\x00,4\n", name="p.csv")
    assert str(err.value) == "p.csv, line 3: contains a NUL byte (a binary file, not text)"


def test_not_utf8_refused_or_read_by_the_fallback():
    with pytest.raises(InputError, match=r"p\.csv: not readable as UTF-8 text \(byte 3\)"):
        limits.decode_text(b"caf\xe9", name="p.csv")
    assert limits.decode_text(b"caf\xe9", name="p.csv", fallback=("latin-1",)) == "café"


# ---- JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),
        (b'{"a":' * 65 + b"1" + b"}" * 65, "nested more than 64 levels deep"),
        (b'{"x": NaN}', "NaN is not a number JSON allows"),
        (b'{"x": -Infinity}', "-Infinity is not a number JSON allows"),
        (b'{"x": ' + b"9" * 100_000 + b"}", "a number with 100000 digits"),
        (b'{"x": 1e999}', "1e999 is too large a number"),
    ],
    ids=["deep-array", "deep-object", "nan", "infinity", "100k-digits", "overflow"],
)
def test_json_bounds(raw, reason):
    with pytest.raises(InputError) as err:
        limits.load_json(raw, name="d.json")
    assert reason in str(err.value) and str(err.value).startswith("d.json")


def test_json_within_bounds_and_brackets_in_strings():
    nested = b'{"a":' * 63 + b'"[[[["' + b"}" * 63
    data = limits.load_json(nested, name="d.json")
    for _ in range(63):
        data = data["a"]
    assert data == "[[[["


# ---- YAML -------------------------------------------------------------------------------------------


BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def test_yaml_aliases_refused():
    with pytest.raises(InputError) as err:
        load_yaml(BILLION_LAUGHS, "laughs.yaml")
    assert (
        str(err.value)
        == "laughs.yaml, line 2: YAML aliases (*a) are not accepted: write the value out in full"
    )


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 50_000 + "]" * 50_000, "".join("  " * i + "k:\n" for i in range(3000))],
    ids=["flow", "block"],
)
def test_yaml_depth_refused(text):
    with pytest.raises(InputError, match=r"deep\.yaml, line \d+: nested more than 64 levels deep"):
        load_yaml(text, "deep.yaml")


def test_yaml_long_number_refused():
    with pytest.raises(InputError, match=r"n\.yaml, line 2: a number with 100000 digits"):
        load_yaml("a: 1\nb: " + "9" * 100_000 + "\n", "n.yaml")


def test_yaml_anchor_without_alias_and_ordinary_values_still_load():
    data = load_yaml("product: &p\n  id: X\nlots: [1, 2]\nnote: 'a *star* and &amp'\n", "ok.yaml")
    assert data == {"product": {"id": "X"}, "lots": [1, 2], "note": "a *star* and &amp"}


# ---- CSV and ids -------------------------------------------------------------------------------------


def test_csv_field_bound_and_newlines():
    with pytest.raises(InputError) as err:
        list(limits.csv_rows('a,b\n1,2\n"' + "9" * (2 * MB) + '",1\n', name="f.csv"))
    assert str(err.value) == "f.csv, line 3: not valid CSV: a field is longer than 1024 KB"
    assert list(limits.csv_rows("a,b\r1,2\r\n3,4\n", name="f.csv")) == [["a", "b"], ["1", "2"], ["3", "4"]]


@pytest.mark.parametrize(
    "text", ["99999999999999999999", "9223372036854775808", "0", "-1", "1e3", "１２", "x"]
)
def test_record_id_out_of_range_or_not_a_number(text):
    with pytest.raises(
        InputError, match=r"^assay: must be a record id \(a whole number from 1 to 9223372036854775807\)$"
    ):
        limits.record_id(text, name="assay")


def test_record_id_in_range():
    assert limits.record_id("9223372036854775807", name="id") == 2**63 - 1
    assert limits.record_id(" 12 ", name="id") == 12
    assert limits.record_id("", name="id") is None and limits.record_id(None, name="id") is None
