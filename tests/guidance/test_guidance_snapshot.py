"""The snapshot hash is deterministic: canonical JSON, independent of mapping order and of format."""

from __future__ import annotations

import json
import random

from guidance_helpers import example_data
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.guidance.dossier import parse_dossier, snapshot_from_data

BASE = example_data("full-compliance.yaml")
BASE_HASH = snapshot_from_data(BASE, "x.yaml").sha256()


def reorder(value, rng: random.Random):
    """The same data with every mapping's keys in a random order (lists keep their order)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: reorder(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [reorder(v, rng) for v in value]
    return value


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_hash_stable_under_key_order(seed):
    shuffled = reorder(BASE, random.Random(seed))
    assert snapshot_from_data(shuffled, "y.yaml").sha256() == BASE_HASH


def test_hash_same_for_json_and_yaml():
    as_json = json.dumps(BASE, ensure_ascii=False).encode("utf-8")
    assert snapshot_from_data(parse_dossier(as_json, "d.json"), "d.json").sha256() == BASE_HASH


def test_hash_changes_with_a_fact():
    changed = json.loads(json.dumps(BASE))
    changed["lots"][0]["qc_results"][5]["value"] = 0.11
    assert snapshot_from_data(changed, "z.yaml").sha256() != BASE_HASH


def test_number_spelling_does_not_change_the_hash():
    # 0.1 written as a string or a number is the same Decimal, the same canonical text.
    changed = json.loads(json.dumps(BASE))
    changed["lots"][0]["qc_results"][5]["value"] = "0.1"
    assert snapshot_from_data(changed, "z.yaml").sha256() == BASE_HASH


def test_canonical_json_has_iso_dates_and_decimal_strings():
    text = snapshot_from_data(BASE, "x.yaml").canonical_json()
    assert '"released_on":"2024-04-18"' in text
    assert '"value":"0.1"' in text
    assert '"dose":{"basis":"particles","per_kg":true,"value":"200000000"}' in text


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(
        [
            "2e8 particles/kg",
            "2.0E+8 particles/kg",
            "200000000 particles/kg",
            "2.00e+08 particles / kg",
            {"value": 2e8, "unit": "particles/kg"},
            {"value": "200000000", "unit": "particles/kg"},
        ]
    )
)
def test_number_and_unit_spelling_does_not_change_the_hash(dose):
    changed = json.loads(json.dumps(BASE))
    changed["administrations"][0]["dose"] = dose
    assert snapshot_from_data(changed, "z.yaml").sha256() == BASE_HASH


def test_protein_doses_are_micrograms():
    changed = json.loads(json.dumps(BASE))
    changed["administrations"][0]["dose"] = "0.05 mg protein/kg"
    dose = snapshot_from_data(changed, "z.yaml").administrations[0].dose
    assert (str(dose.value), dose.basis, dose.per_kg) == ("50", "protein_ug", True)
