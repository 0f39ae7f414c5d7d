"""evqms.core.units: parsing, exact Decimal conversions, refusals that name the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evqms.core import units
from evqms.errors import InputError

D = Decimal


@pytest.mark.parametrize(
    "value, src, dst, expected",
    [
        ("1.5e11", "particles/mL", "particles/uL", "150000000"),
        ("150000000", "particles/µL", "particles/mL", "150000000000"),
        ("2.5e12", "particles/mL", "1e9 particles/mL", "2500"),
        ("3.2", "×10^9 particles/mL", "particles/mL", "3200000000"),
        ("250", "ug/mL", "mg/mL", "0.25"),
        ("0.25", "mg/mL", "µg/mL", "250"),
        ("0.25", "mg/mL", "μg/mL", "250"),  # Greek mu
        ("0.123", "EU/mL", "EU/L", "123"),
        ("5", "EU/kg", "EU/g", "0.005"),
        ("10", "CFU/mL", "CFU/L", "10000"),
        ("100", "copies/mL", "copies/uL", "0.1"),
        ("3e10", "particles/ug", "particles/mg", "30000000000000"),
        ("1.2", "bar", "kPa", "120"),
        ("72", "h", "min", "4320"),
        ("37", "°C", "K", "310.15"),
        ("120", "nm", "um", "0.12"),
        ("95", "%", "dimensionless", "0.95"),
        ("1.05", "mL", "uL", "1050"),
    ],
)
def test_conversions_are_exact(value, src, dst, expected):
    result = units.convert(D(value), src, dst)
    assert isinstance(result, Decimal)
    assert result == D(expected)


def test_precision_is_kept():
    # 28 significant digits survive a scale conversion (a float would keep about 16)
    value = D("1.234567890123456789012345678")
    assert units.convert(value, "mg/mL", "ug/mL") == D("1234.567890123456789012345678")


@pytest.mark.parametrize(
    "src, dst",
    [("particles/mL", "EU/mL"), ("mL", "nm"), ("ug/mL", "particles/mL"), ("CFU/mL", "copies/mL"), ("h", "%")],
)
def test_incompatible_units_are_refused_naming_the_field(src, dst):
    with pytest.raises(InputError) as e:
        units.convert(D("1"), src, dst, field='results.csv, line 4, column "unit"')
    assert e.value.where == 'results.csv, line 4, column "unit"'
    assert src in e.value.message and dst in e.value.message


@pytest.mark.parametrize("text", ["furlongs per wombat", "", "  ", "1e9", "particles//mL", "5", "-3 mL"])
def test_unknown_units_are_refused(text):
    with pytest.raises(InputError) as e:
        units.parse_unit(text, field="unit")
    assert e.value.where == "unit"
    assert not units.is_valid_unit(text)


def test_parse_unit_keeps_the_scale_factor():
    q = units.parse_unit("1e9 particles/mL")
    assert q.magnitude == D("1e9")
    assert str(q.units) == "particle / milliliter"
    assert units.parse_unit("µg/mL").units == units.parse_unit("ug/mL").units
    assert units.compatible("particles/mL", "particles/uL")
    assert not units.compatible("particles/mL", "EU/mL")


def test_unit_label():
    assert units.unit_label("ug/mL") == "µg/mL"
    assert units.unit_label("degC") == "°C"
    assert units.unit_label("particles/uL") == "particles/µL"


decimals = st.decimals(
    min_value=D("1e-6"), max_value=D("1e15"), places=6, allow_nan=False, allow_infinity=False
)
PAIRS = [
    ("particles/mL", "particles/uL"),
    ("ug/mL", "mg/mL"),
    ("EU/mL", "EU/L"),
    ("particles/mL", "1e9 particles/mL"),
    ("h", "min"),
    ("bar", "kPa"),
    ("mL", "uL"),
    ("nm", "um"),
]


@given(value=decimals, pair=st.sampled_from(PAIRS))
def test_round_trip_is_exact(value, pair):
    src, dst = pair
    there = units.convert(value, src, dst)
    assert units.convert(there, dst, src) == value


@given(value=decimals, pair=st.sampled_from(PAIRS))
def test_conversion_is_linear(value, pair):
    src, dst = pair
    assert units.convert(value * 2, src, dst) == units.convert(value, src, dst) * 2


def test_pint_is_imported_only_when_a_unit_is_parsed():
    """Reading evidence whose units are the specification's own parses no unit: pint (a tenth of a
    second) is not imported by the evidence model, and is imported by the first parse."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import evqms.guidance.evidence, evqms.guidance.quantities\n"
        "from decimal import Decimal\n"
        "from evqms.core import units\n"
        "print('pint' in sys.modules)\n"
        "units.convert(Decimal('1'), 'ng/mL', 'ng/mL')\n"
        "print('pint' in sys.modules)\n"
        "print(units.convert(Decimal('300'), 'ng/mL', 'ug/mL'))\n"
        "print('pint' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "0.3", "True"]
