"""Bounds on everything evqms reads: file sizes, decompressed sizes, text encodings, nesting, CSV fields.

One home for the limits so that every importer (CLI files, web and API uploads, the landscape
loaders) refuses in the same words: an `InputError` naming the file, the limit and the setting
that raises it. Pure Python, no Django: the analytics, guidance and landscape cores use it too.

Settings (environment variables; whole megabytes):
- EVQMS_UPLOAD_LIMIT_MB (default 50): the largest file read or uploaded (documents, QC raw and
  import files, NTA exports, potency plates, dossiers, landscape uploads, CLI input files).
- EVQMS_DECOMPRESSED_LIMIT_MB (default 200): the most a compressed file (a .warc.gz crawl) may
  expand to, counted while it is read, so a small "zip bomb" stops at the limit.
Fixed bounds (not settings; real files are far below them): nesting depth of JSON and YAML
(`MAX_DEPTH`), the longest CSV field (`CSV_FIELD_LIMIT`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evqms.errors import InputError, location
from evqms.i18n import _

MB = 1024 * 1024
MAX_DEPTH = 64  # the deepest real dossier or ClinicalTrials.gov record nests about 10 levels
CSV_FIELD_LIMIT = 1 * MB  # a CSV cell longer than this is not an instrument export
MAX_NUMBER_DIGITS = 400  # longer digit strings are refused before int()/float() see them


@dataclass(frozen=True)
class Limit:
    setting: str
    default_mb: int

    def megabytes(self) -> int:
        return positive_int_env(self.setting, self.default_mb, megabytes=True)

    def bytes(self) -> int:
        return self.megabytes() * MB


UPLOAD = Limit("EVQMS_UPLOAD_LIMIT_MB", 50)
DECOMPRESSED = Limit("EVQMS_DECOMPRESSED_LIMIT_MB", 200)


class LimitSettingError(InputError):
    """A limit setting that is not a positive whole number (said at start-up and on use)."""


def positive_int_env(setting: str, default: int, *, megabytes: bool = False) -> int:
    """The whole number, 1 or more, in the environment variable `setting` (`default` when unset or
    blank); a LimitSettingError naming the variable otherwise. The one reader of numeric settings:
    the limits here and those settings.py reads at start-up."""
    raw = os.environ.get(setting, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        message = (
            _("{setting} must be a whole number of megabytes, 1 or more (not {value!r})")
            if megabytes
            else _("{setting} must be a whole number, 1 or more (not {value!r})")
        )
        raise LimitSettingError(message.format(setting=setting, value=raw))
    return value


def check_settings() -> None:
    """Raise LimitSettingError for a mistyped limit (settings.py calls this at start-up)."""
    for limit in (UPLOAD, DECOMPRESSED):
        limit.megabytes()


def too_large(name: str, limit: Limit = UPLOAD) -> InputError:
    return InputError(
        _("is larger than the limit of {mb} MB ({setting})").format(
            mb=limit.megabytes(), setting=limit.setting
        ),
        where=name,
    )


def check_size(size: int | None, *, name: str, limit: Limit = UPLOAD) -> None:
    """Refuse a file of `size` bytes above the limit (an upload's size is known before it is read)."""
    if size is not None and size > limit.bytes():
        raise too_large(name, limit)


def read_capped(stream, *, name: str, limit: Limit = UPLOAD) -> bytes:
    """Read a whole stream, refusing it as soon as it passes the limit (never more in memory)."""
    cap = limit.bytes()
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(MB, cap + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise too_large(name, limit)
        chunks.append(chunk)


def read_file(path: str | os.PathLike, *, limit: Limit = UPLOAD) -> bytes:
    """Read an input file: 'not found', 'is a folder' and 'too large' are InputErrors naming it."""
    p = Path(path)
    if not p.exists():
        raise InputError(_("file not found"), where=str(path))
    if p.is_dir():
        raise InputError(_("is a folder, not a file"), where=str(path))
    check_size(p.stat().st_size, name=str(path), limit=limit)
    with open(p, "rb") as fh:  # a file growing while read still stops at the limit
        return read_capped(fh, name=str(path), limit=limit)


def read_upload(upload, *, limit: Limit = UPLOAD) -> bytes:
    """The bytes of a Django UploadedFile (or any object with .name, .size and .chunks())."""
    name = getattr(upload, "name", "") or _("uploaded file")
    check_size(getattr(upload, "size", None), name=name, limit=limit)
    chunks, total, cap = [], 0, limit.bytes()
    for chunk in upload.chunks():
        total += len(chunk)
        if total > cap:
            raise too_large(name, limit)
        chunks.append(chunk)
    return b"".join(chunks)


# ---- decompression ---------------------------------------------------------------------------------


def _gzip_chunks(stream, *, name: str, limit: Limit) -> Iterator[bytes]:
    """Decompressed pieces of a gzip stream (several members, as in .warc.gz), at most 1 MB each;
    InputError once more than the limit has come out. Damaged or cut-short data just ends the
    iteration: the format's own reader reports where."""
    cap, total = limit.bytes(), 0
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = stream.read(64 * 1024)
    while data:
        try:
            out = z.decompress(data, MB)  # never more than 1 MB per step, whatever the ratio
        except zlib.error:
            return
        total += len(out)
        if total > cap:
            raise too_large(name, limit)
        if out:
            yield out
        if z.eof:  # next member, if any
            data = z.unused_data or stream.read(64 * 1024)
            z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            data = z.unconsumed_tail or stream.read(64 * 1024)


def check_gzip_expansion(stream, *, name: str, limit: Limit = DECOMPRESSED) -> int:
    """Decompress a gzip stream without keeping it, refusing it when it expands past the limit
    (a 1 MB file can hold gigabytes of zeros). Returns the decompressed size."""
    return sum(len(chunk) for chunk in _gzip_chunks(stream, name=name, limit=limit))


def gunzip(data: bytes, *, name: str, limit: Limit = DECOMPRESSED) -> bytes:
    """Decompress gzip data, stopping (InputError) once the output passes the limit."""
    return b"".join(_gzip_chunks(io.BytesIO(data), name=name, limit=limit))


# ---- text ------------------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when every other byte of an ASCII-heavy text is NUL."""
    sample = raw[:4096]
    if len(sample) < 2 or len(raw) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.2 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.8 * len(even) and odd.count(0) < 0.2 * len(odd):
        return "utf-16-be"
    return None


def decode_text(raw: bytes, *, name: str, fallback: tuple[str, ...] = ()) -> str:
    """Text of a file: UTF-8 (with or without BOM), UTF-16/32 with a BOM, UTF-16 without one
    (recognised by its NUL bytes), else each `fallback` encoding in turn. A NUL byte left in
    the text, or bytes no accepted encoding reads, are refused naming the file."""
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), None)
    if encoding:
        raw = raw[len(next(bom for bom, enc in _BOMS if enc == encoding)) :]
    elif b"\x00" in raw[:4096]:
        encoding = _utf16_without_bom(raw)
    try:
        text = raw.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        text = None
        for enc in () if encoding else fallback:
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise InputError(
                _("not readable as {encoding} text (byte {pos}); save the file as UTF-8").format(
                    encoding=(encoding or "UTF-8").upper(), pos=exc.start
                ),
                where=name,
            ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(
            _("contains a NUL byte (a binary file, not text)"), where=location(file=name, line=line)
        )
    return text


# ---- JSON ------------------------------------------------------------------------------------------------


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The offset where JSON/flow-YAML brackets nest deeper than `limit`, else None.
    Brackets inside double-quoted strings do not count. Linear, no recursion."""
    depth = 0
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return i
        elif ch in "]}":
            depth -= 1
    return None


def _refuse_constant(value: str):
    raise ValueError(_("{value} is not a number JSON allows").format(value=value))


def _parse_int(text: str):
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(_("a number with {n} digits").format(n=len(text.lstrip("-"))))
    return int(text)


def _parse_float(text: str):
    if len(text) > MAX_NUMBER_DIGITS:
        raise ValueError(_("a number with {n} digits").format(n=len(text)))
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("{value} is too large a number").format(value=text[:40]))
    return value


# json.loads(text, **JSON_HOOKS): NaN/Infinity, overlong numbers and overflowing floats refused
# (each a ValueError that is not a JSONDecodeError: callers turn it into an InputError).
JSON_HOOKS = {"parse_constant": _refuse_constant, "parse_int": _parse_int, "parse_float": _parse_float}


def check_json_depth(text: str, *, name: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than `max_depth` (json.loads would raise RecursionError)."""
    deep = nesting_depth(text, max_depth)
    if deep is not None:
        raise InputError(
            _("nested more than {n} levels deep").format(n=max_depth),
            where=location(file=name, line=text.count("\n", 0, deep) + 1),
        )


def load_json(raw: bytes | str, *, name: str, max_depth: int = MAX_DEPTH):
    """Parse JSON with bounds: nesting depth, number length, no NaN/Infinity. Any problem is an
    InputError naming the file (and line when known), never a RecursionError or ValueError."""
    text = raw if isinstance(raw, str) else decode_text(raw, name=name)
    check_json_depth(text, name=name, max_depth=max_depth)
    try:
        return json.loads(text, **JSON_HOOKS)
    except json.JSONDecodeError as exc:
        raise InputError(
            _("not valid JSON: {reason}").format(reason=exc.msg), where=location(file=name, line=exc.lineno)
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(_("not valid JSON: {reason}").format(reason=str(exc)[:200]), where=name) from None


# ---- CSV --------------------------------------------------------------------------------------------------


class CsvReader:
    """csv.reader over text with the field size bound (`CSV_FIELD_LIMIT`) and newlines read as
    the csv module wants them (CR, LF or CRLF); a malformed row is an InputError naming the file
    and line, never a csv.Error. `line_num` is the reader's, for messages."""

    def __init__(self, text: str, *, name: str, dialect=csv.excel):
        if csv.field_size_limit() != CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)
        self.name = name
        self._reader = csv.reader(io.StringIO(text, newline=""), dialect)

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self) -> CsvReader:
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = _("a field is longer than {kb} KB").format(kb=CSV_FIELD_LIMIT // 1024)
            raise InputError(
                _("not valid CSV: {reason}").format(reason=reason),
                where=location(file=self.name, line=self._reader.line_num),
            ) from None


def csv_rows(text: str, *, name: str, dialect=csv.excel) -> CsvReader:
    """Rows of CSV text, bounded (see CsvReader)."""
    return CsvReader(text, name=name, dialect=dialect)


def sniff_dialect(text: str, delimiters: str = ",;\t"):
    """csv.Sniffer on the first 4 KB only (a 10 MB first line must not cost a regex over it)."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=delimiters) if text.strip() else csv.excel
    except csv.Error:
        return csv.excel


# ---- integers from a URL or form -----------------------------------------------------------------------

MAX_RECORD_ID = 2**63 - 1  # the largest id PostgreSQL (bigint) and SQLite store


def record_id(text: str | None, *, name: str) -> int | None:
    """An id from a query parameter: None when absent; InputError (400) when it is not a whole
    number from 1 to 2^63-1 (a larger one would make the database driver raise OverflowError)."""
    if text is None or str(text).strip() == "":
        return None
    raw = str(text).strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 1 <= int(raw) <= MAX_RECORD_ID:
        raise InputError(
            _("must be a record id (a whole number from 1 to {max})").format(max=MAX_RECORD_ID), where=name
        )
    return int(raw)


def check_zip_expansion(data: bytes, *, name: str, limit: Limit = DECOMPRESSED) -> None:
    """Refuse a zip (an .xlsx workbook) whose members would expand past the limit, from the
    sizes its directory declares (zipfile also stops a member that expands past its own)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: the format's own reader says what is wrong
    if total > limit.bytes():
        raise too_large(name, limit)
