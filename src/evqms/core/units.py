"""Units of measure for evqms: one shared pint registry that keeps Decimal magnitudes.

Specifications, process parameters and QC results carry their units as text ("particles/mL",
"EU/mL", "µg/mL", "1e9 particles/mL"). This module parses that text and converts values between
compatible units. The registry is built with `non_int_type=Decimal`, so a scale conversion
(particles/mL -> particles/uL, ug/mL -> mg/mL) multiplies by an exact decimal factor: no binary
floating point enters a QC result.

Counted things are their own dimensions, so particles never convert into EU or copies:
particle, EU (endotoxin unit), CFU (colony-forming unit), copies (genome copies), dose.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING

from evqms.errors import InputError
from evqms.i18n import _

if TYPE_CHECKING:
    import pint

# pint itself is imported when a unit is first parsed, not with this module: comparing a result with
# a specification in the same unit text needs no parse, and the import alone is a tenth of a second
# of every command that reads evidence (`evqms assess --product` among them).

_DEFINITIONS = (
    "particle = [particle_count] = _ = particles",
    "endotoxin_unit = [endotoxin] = EU",
    "colony_forming_unit = [colony_count] = CFU = cfu",
    "copy = [copy_count] = _ = copies",
    "vial = [vial_count] = _ = vials",
    "cell = [cell_count] = _ = cells",
    # Per-dose amounts ("ng/dose" of residual DNA) convert within their own kind (pg/dose -> ng/dose).
    "dose = [dose_count] = _ = doses",
)

# Spellings users type that pint does not read as such.
_REPLACEMENTS = (
    ("µ", "u"),  # micro sign U+00B5
    ("μ", "u"),  # Greek mu U+03BC
    ("℃", "degC"),
    ("°C", "degC"),
    ("°", "deg"),
    ("×", "*"),
    ("·", "*"),
)
# "x10^9", "×10^9", "10^9" as a scale factor in front of a unit: "×10^9 particles/mL".
_POWER_OF_TEN = re.compile(r"(?:(?<=\d)\s*[*x]\s*|^\s*[*x]?\s*)10\s*\^\s*([+-]?\d+)")


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    import pint

    # pint's own "particle" is 1/N_A (a molecule count in moles); evqms counts EVs, so it is
    # redefined as a dimension of its own on purpose.
    ureg = pint.UnitRegistry(
        non_int_type=Decimal, autoconvert_offset_to_baseunit=False, on_redefinition="ignore"
    )
    for definition in _DEFINITIONS:
        ureg.define(definition)
    return ureg


@lru_cache(maxsize=4096)  # a few unit texts, asked for every result of a snapshot
def normalise(text: str) -> str:
    """The unit text as pint reads it (µ -> u, °C -> degC, 10^9 -> 1e9)."""
    clean = (text or "").strip()
    for old, new in _REPLACEMENTS:
        clean = clean.replace(old, new)
    clean = _POWER_OF_TEN.sub(lambda m: (" * " if m.start() > 0 else "") + f"1e{m.group(1)} ", clean).strip()
    return clean


def _unknown(text: str, field: str) -> InputError:
    return InputError(_("unknown unit {unit}").format(unit=text or _("(none)")), where=field)


def parse_unit(text: str, *, field: str = "unit") -> pint.Quantity:
    """Parse unit text into a Quantity: magnitude = the scale factor (1 for a plain unit).

    "particles/mL" -> 1 particle/mL; "1e9 particles/mL" -> 1e9 particle/mL; "%" -> 1 percent.
    Raises InputError naming `field` when the text is empty or not a unit.
    """
    clean = normalise(text)
    if not clean:
        raise _unknown(text, field)
    ureg = registry()
    import pint

    try:
        parsed = ureg.parse_expression(clean)
    except (
        pint.errors.PintError,
        AttributeError,
        TypeError,
        ValueError,
        SyntaxError,
        AssertionError,
        InvalidOperation,
        KeyError,
        IndexError,
        ZeroDivisionError,
    ):
        raise _unknown(text, field) from None
    if not isinstance(parsed, ureg.Quantity):  # a bare number ("5") is not a unit
        raise _unknown(text, field)
    magnitude = parsed.magnitude
    if not isinstance(magnitude, Decimal):
        magnitude = Decimal(str(magnitude))
    if not magnitude.is_finite() or magnitude <= 0:
        raise _unknown(text, field)
    if parsed.dimensionless and parsed.units == ureg.dimensionless and magnitude != 1:
        raise _unknown(text, field)  # "1e9" alone: a number, not a unit
    return ureg.Quantity(magnitude, parsed.units)


def is_valid_unit(text: str) -> bool:
    try:
        parse_unit(text)
    except InputError:
        return False
    return True


def compatible(from_unit: str, to_unit: str) -> bool:
    """True when a value in `from_unit` can be expressed in `to_unit` (same dimensions)."""
    try:
        return parse_unit(from_unit).dimensionality == parse_unit(to_unit, field="to_unit").dimensionality
    except InputError:
        return False


def _same(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def convert(value: Decimal, from_unit: str, to_unit: str, *, field: str = "unit") -> Decimal:
    """`value` in `from_unit` expressed in `to_unit`, as a Decimal.

    Scale conversions are exact decimal multiplications; offset units (°C, K) use pint's affine
    conversion on Decimals. Raises InputError naming `field` for an unknown or incompatible unit.
    """
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if _same(from_unit, to_unit) and normalise(from_unit):
        return value
    source = parse_unit(from_unit, field=field)
    target = parse_unit(to_unit, field=field)
    if source.dimensionality != target.dimensionality:
        raise InputError(
            _("unit {given} cannot be converted to {expected}").format(given=from_unit, expected=to_unit),
            where=field,
        )
    ureg = registry()
    import pint

    try:
        if _is_offset(source) or _is_offset(target):
            # Offset units (degC) cannot carry a scale factor; convert the plain quantities.
            converted = ureg.Quantity(value * source.magnitude, source.units).to(target.units).magnitude
            result = Decimal(converted) / target.magnitude
        else:
            # Both sides to base units, multiply first and divide once: exact whenever the
            # result is a terminating decimal (min -> h is value * 60 / 3600, never * 0.01666...).
            src_base = Decimal(ureg.Quantity(Decimal(1), source.units).to_base_units().magnitude)
            dst_base = Decimal(ureg.Quantity(Decimal(1), target.units).to_base_units().magnitude)
            result = (value * source.magnitude * src_base) / (dst_base * target.magnitude)
    except (pint.errors.PintError, InvalidOperation, TypeError, ValueError):
        raise InputError(
            _("unit {given} cannot be converted to {expected}").format(given=from_unit, expected=to_unit),
            where=field,
        ) from None
    return _tidy(result)


def _is_offset(quantity: pint.Quantity) -> bool:
    return not quantity._ok_for_muldiv()


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros that come from the factor (1000 * 0.001 -> 1), keep the value exact."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1)) if abs(value) < Decimal("1e27") else value.normalize()
    return value.normalize()


def unit_label(text: str) -> str:
    """A unit as people write it: ug -> µg, degC -> °C (for pages and reports)."""
    return re.sub(r"\bu(g|L|l|m|mol)\b", r"µ\1", (text or "").replace("degC", "°C"))
