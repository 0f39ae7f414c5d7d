"""canonical_hash streams the canonical JSON into SHA-256: the same hash as hashing the whole text
(every stored snapshot hash and the audit chain depend on it), without ever holding that text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from test_canonical_same_bytes import Inner, Outer, cases, random_tree

from evqms.core import canonical
from evqms.core.canonical import canonical_hash, canonical_json, sha256_hex
from evqms.guidance.dossier import parse_dossier, snapshot_from_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclasses.dataclass
class Lot:
    id: str
    results: list
    notes: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Snap:
    zeta: list
    alpha: Lot | None
    empty_list: list = dataclasses.field(default_factory=list)
    empty_dict: dict = dataclasses.field(default_factory=dict)
    by_key: dict = dataclasses.field(default_factory=dict)


def _snap(n: int) -> Snap:
    lots = [
        Lot(f"L-{i:04d}", [Inner(f"r{i}", Decimal(i).scaleb(-2)), (i, None)], {"日": i, "a": [i]})
        for i in range(n)
    ]
    # 1 and "1" are the same key as text: the later value wins, in the first one's place.
    return Snap(lots, lots[0] if lots else None, by_key={1: "int", "1": "text", "b": {2: [3]}})


def hashed_text(value) -> str:
    return sha256_hex(canonical_json(value))


@pytest.mark.parametrize("name", sorted(cases()))
def test_streamed_hash_is_the_hash_of_the_text(name):
    assert canonical_hash(cases()[name]) == hashed_text(cases()[name])


def test_streamed_hash_of_dataclasses_dicts_and_lists_at_the_top():
    trees = [random_tree(seed) for seed in range(200)]
    for value in [
        _snap(30),
        _snap(0),
        {"z": _snap(3), 5: trees[:20], "5": None},
        (_snap(2), trees),
        Outer("x", Inner("y"), items=trees[:50], extra={"k": trees[50:60]}),
        [],
        {},
        "only text",
    ]:
        assert canonical_hash(value) == hashed_text(value)
    assert canonical_json({1: "int", "1": "text"}) == '{"1":"text"}'


@pytest.mark.parametrize("block", [1, 7, 4096])
def test_any_block_size_gives_the_same_hash(monkeypatch, block):
    monkeypatch.setattr(canonical, "_BLOCK", block)
    value = _snap(50)
    assert canonical_hash(value) == hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def test_the_whole_text_is_never_built(monkeypatch):
    value = _snap(2000)
    total = len(canonical_json(value))
    pieces = []
    real = canonical._dumps

    def dumps(normalised):
        text = real(normalised)
        pieces.append(len(text))
        return text

    monkeypatch.setattr(canonical, "_dumps", dumps)
    monkeypatch.setattr(canonical, "canonical_json", lambda v: pytest.fail("the whole text was built"))
    canonical_hash(value)
    assert max(pieces) < total / 500  # one lot at a time, not 2,000


def test_streamed_hash_of_an_example_dossiers_snapshot():
    path = EXAMPLES / "full-compliance.yaml"
    snap = snapshot_from_data(parse_dossier(path.read_bytes(), str(path)), "full-compliance.yaml")
    assert snap.sha256() == hashed_text(snap)


@pytest.mark.parametrize(
    "value",
    [
        [Inner("x", Decimal("NaN"))],
        Snap([Lot("L", [dt.datetime(2025, 1, 1)])], None),
        {"a": float("inf")},
    ],
)
def test_values_without_a_canonical_form_are_refused_when_streamed(value):
    with pytest.raises(ValueError):
        canonical_hash(value)
