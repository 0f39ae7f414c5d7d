"""Canonical JSON and hashing: the same record always gives the same bytes and the same hash.

Used by the audit trail (before/after, the hash chain), signatures (the hash of exactly what was
signed) and the compliance engine (the evidence snapshot's hash). Rules: keys sorted, no
insignificant white space, UTF-8; Decimal as its string; datetime in UTC ISO-8601 with 'Z';
date as ISO; UUID and Path as strings; sets sorted. Independent of the machine's time zone and
locale. No Django imports: the pure packages use it too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """The names `dataclasses.asdict` would put in its dict, looked up once per class."""
    return tuple(f.name for f in dataclasses.fields(cls))


# Values of these exact types are written as they are, lists and dicts walked: the snapshot of a
# product is mostly these, and a look-up by type is cheaper than the chain of isinstance checks
# below. A subclass (a str enum, an OrderedDict) is not in these sets and takes the full path, so
# the bytes are the same either way.
_AS_IS = frozenset({str, int, bool, type(None)})
_SEQUENCES = frozenset({list, tuple})


@functools.cache
def _plain_dataclass(cls: type) -> bool:
    """A dataclass that is none of the kinds the full path checks first (int, str, Enum ...)."""
    earlier = (bool, int, str, float, Decimal, dt.date, dt.time, uuid.UUID, PurePath, enum.Enum)
    return dataclasses.is_dataclass(cls) and not issubclass(cls, earlier) and not issubclass(cls, type)


def _normalise(value: Any) -> Any:
    cls = type(value)
    if cls in _AS_IS:
        return value
    if _plain_dataclass(cls):
        return {
            name: v if type(v := getattr(value, name)) in _AS_IS else _normalise(v)
            for name in _field_names(cls)
        }
    if cls in _SEQUENCES:
        return [v if type(v) in _AS_IS else _normalise(v) for v in value]
    if cls is dict:
        return {str(k): v if type(v) in _AS_IS else _normalise(v) for k, v in value.items()}
    if cls is Decimal and value.is_finite():
        return str(value)
    if cls is dt.date:
        return value.isoformat()
    return _normalise_any(value)


def _normalise_any(value: Any) -> Any:
    """Every kind of value, checked in this order (a str enum is a str, a bool an int)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("canonical JSON has no NaN or infinity")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("canonical JSON has no NaN or infinity")
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in canonical JSON: give it a time zone")
        utc = value.astimezone(dt.UTC)
        return utc.isoformat(timespec="microseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, PurePath)):
        return str(value)
    if isinstance(value, enum.Enum):
        return _normalise(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # The fields are read and normalised in place: `dataclasses.asdict` would deep-copy the
        # whole record first (a snapshot of 10,000 lots twice over in memory) for the same result.
        return {name: _normalise(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [_normalise(v) for v in value]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False))
    raise TypeError(f"cannot put {type(value).__name__} into canonical JSON")


def canonical_json(value: Any) -> str:
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: Any) -> str:
    """sha256_hex(canonical_json(value)), without ever holding the whole text or its normalised
    copy: the JSON is written piece by piece into the hash (see `_stream`)."""
    sink = _HashSink()
    _stream(value, sink)
    return sink.hexdigest()


# --- streaming the canonical JSON into SHA-256 ----------------------------------------------------
#
# A product's evidence snapshot at 10,000 lots is hundreds of megabytes as normalised Python values
# plus JSON text. `_stream` writes the same bytes as `canonical_json` in pieces: a plain dataclass or
# a plain dict is written key by key (sorted, as `json.dumps(sort_keys=True)` sorts them), each of
# its values streamed in turn; a list or tuple element by element, each element normalised and
# dumped whole by the C encoder (a lot, a QC result: small). Anything else is dumped whole. So at
# most one list element's normalised copy and text are held at a time, and the pieces go into the
# hash in blocks of about 64 KiB.

_BLOCK = 1 << 16


def _dumps(normalised: Any) -> str:
    return json.dumps(normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _HashSink:
    __slots__ = ("_digest", "_parts", "_size")

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _BLOCK:
            self._flush()

    def _flush(self) -> None:
        self._digest.update("".join(self._parts).encode("utf-8"))
        self._parts.clear()
        self._size = 0

    def hexdigest(self) -> str:
        self._flush()
        return self._digest.hexdigest()


def _stream(value: Any, sink: _HashSink) -> None:
    cls = type(value)
    if cls in _AS_IS:
        sink.write(_dumps(value))
    elif _plain_dataclass(cls):
        _stream_members([(name, getattr(value, name)) for name in sorted(_field_names(cls))], sink)
    elif cls is dict:
        # As `_normalise` does: keys as text, a later key equal as text replaces the earlier one.
        members = {str(k): v for k, v in value.items()}
        _stream_members(sorted(members.items(), key=lambda kv: kv[0]), sink)
    elif cls in _SEQUENCES:
        write = sink.write
        write("[")
        first = True
        for v in value:
            if not first:
                write(",")
            first = False
            write(_dumps(v if type(v) in _AS_IS else _normalise(v)))
        write("]")
    else:
        sink.write(_dumps(_normalise(value)))


def _stream_members(members: list[tuple[str, Any]], sink: _HashSink) -> None:
    sink.write("{")
    first = True
    for name, v in members:
        if not first:
            sink.write(",")
        first = False
        sink.write(_dumps(name))
        sink.write(":")
        _stream(v, sink)
    sink.write("}")
