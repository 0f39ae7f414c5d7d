"""canonical_json walks a dataclass's fields itself; it must give the bytes the asdict-based
version gave, since stored snapshot hashes and signatures were made with it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from evqms.core import canonical
from evqms.core.canonical import canonical_hash, canonical_json, sha256_hex
from evqms.guidance.dossier import parse_dossier, snapshot_from_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _old_normalise(value: Any) -> Any:
    """The reference: canonical.py's walk before it read dataclass fields itself (asdict first)."""
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
        return _old_normalise(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _old_normalise(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _old_normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_old_normalise(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [_old_normalise(v) for v in value]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False))
    raise TypeError(f"cannot put {type(value).__name__} into canonical JSON")


def _old_canonical_json(value: Any) -> str:
    return json.dumps(_old_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Grade(enum.Enum):
    FREE = "xeno-free"
    SERUM = "serum"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass(frozen=True)
class Tag:
    name: str
    level: Level = Level.LOW


@dataclasses.dataclass
class Result:
    attribute: str
    value: Decimal | None
    tested_on: dt.date | None
    at: dt.datetime | None = None
    ranges: tuple[Decimal, ...] = ()
    tags: frozenset[Tag] = frozenset()


@dataclasses.dataclass
class Lot:
    id: str
    grade: Grade
    results: list[Result] = dataclasses.field(default_factory=list)
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    nested: list[list[Any]] = dataclasses.field(default_factory=list)
    pair: tuple[Result, Result | None] | None = None
    computed: int = dataclasses.field(default=0, init=False)


@dataclasses.dataclass
class Snapshot:
    product: str
    as_of: dt.date
    lots: list[Lot]
    extra: Lot | None = None
    ids: set[uuid.UUID] = dataclasses.field(default_factory=set)
    path: PurePosixPath | None = None


def _snapshot() -> Snapshot:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    r1 = Result(
        "size",
        Decimal("120.50"),
        dt.date(2025, 1, 2),
        dt.datetime(2025, 1, 2, 9, 30, tzinfo=tokyo),
        (Decimal("50"), Decimal("200.0")),
        frozenset({Tag("nta"), Tag("cd63", Level.HIGH)}),
    )
    r2 = Result("cd9", None, None)
    lot = Lot(
        "L-001",
        Grade.FREE,
        [r1, r2],
        {"temp": Decimal("37.0"), "ph": 7.25, "ok": True, "名前": "エクソソーム", "none": None},
        [[1, Decimal("2.00"), [dt.date(2024, 12, 31), None]], [], [Grade.SERUM, (3, "x")]],
        (r2, None),
    )
    lot.computed = 7
    other = Lot("L-002", Grade.SERUM, pair=(r1, r2), params={"n": Level.HIGH, "d": {"t": dt.time(8, 15)}})
    return Snapshot(
        "EV-1",
        dt.date(2025, 7, 1),
        [lot, other],
        extra=Lot("L-003", Grade.FREE),
        ids={uuid.UUID(int=3), uuid.UUID(int=1)},
        path=PurePosixPath("lots/L-001.yaml"),
    )


def test_walk_gives_the_asdict_versions_bytes_and_hash():
    snap = _snapshot()
    old = _old_canonical_json(snap)
    assert canonical_json(snap) == old
    assert canonical_hash(snap) == sha256_hex(old)
    # Inside containers too (a list of snapshots, a dict holding one).
    assert canonical_json([snap, {"s": snap}]) == _old_canonical_json([snap, {"s": snap}])


def test_walk_gives_the_same_bytes_on_an_example_dossiers_snapshot():
    path = EXAMPLES / "full-compliance.yaml"
    snap = snapshot_from_data(parse_dossier(path.read_bytes(), str(path)), "full-compliance.yaml")
    assert canonical_json(snap) == _old_canonical_json(snap)


def test_walk_makes_no_deep_copy(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("asdict deep-copies the snapshot")

    expected = _old_canonical_json(_snapshot())
    monkeypatch.setattr(canonical.dataclasses, "asdict", refuse)
    assert canonical_json(_snapshot()) == expected
