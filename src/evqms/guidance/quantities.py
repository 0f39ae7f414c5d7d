"""Numbers with their units, as the checks compare them.

Every numeric comparison of the engine goes through the project's one unit registry
(`evqms.core.units`, pint with Decimal magnitudes; pure, no Django): a result of 300 ng/mL is
judged against a limit of 0.5 ug/mL as 0.3 ug/mL, an endotoxin result in EU/L is turned into
EU/mL before it is multiplied by a volume in mL. A number whose unit is missing, unknown or of
another kind is never guessed: it raises `UnitMismatch`, which the checks report as a finding.
"""

from __future__ import annotations

from decimal import Decimal

from evqms.core import units
from evqms.errors import InputError

# The units the checks compute in (the evidence fields say so: labelled_particles_per_ml, volume_ml).
PARTICLES_PER_ML = "particles/mL"
PROTEIN_UG_PER_ML = "ug/mL"
ENDOTOXIN_EU_PER_ML = "EU/mL"
SIZE_NM = "nm"


class UnitMismatch(ValueError):
    """`given` (possibly empty) cannot be expressed in `expected`."""

    def __init__(self, given: str, expected: str):
        self.given = given
        self.expected = expected
        super().__init__(f"{given or '(no unit)'} -> {expected}")


def label(unit: str) -> str:
    """A unit as people write it (ug -> µg), for findings."""
    return units.unit_label(unit)


def convert(value: Decimal, unit: str, target: str) -> Decimal:
    """`value` stated in `unit`, expressed in `target` (exact decimal scale factors)."""
    unit = (unit or "").strip()
    if not unit:
        raise UnitMismatch("", target)
    try:
        return units.convert(value, unit, target)
    except InputError:
        raise UnitMismatch(unit, target) from None


def result_unit(result, attribute) -> str:
    """A result states its own unit, or is in the unit its specification attribute declares."""
    return (result.unit or "").strip() or (attribute.unit or "").strip()


def to_attribute_unit(value: Decimal, unit: str, attribute) -> Decimal:
    """`value` (stated in `unit`) in the attribute's unit, to be judged against its limits.

    An attribute that declares no unit has limits that are plain numbers: the value is taken as it
    is. A value with no unit of its own is in the attribute's unit.
    """
    target = (attribute.unit or "").strip()
    unit = (unit or "").strip()
    if not target or not unit or units.normalise(unit) == units.normalise(target):
        return value
    return convert(value, unit, target)


def result_value(result, attribute, target: str, *, bound_ok: str = "") -> Decimal | None:
    """The result's value expressed in `target`; None when it has no value, or when it is censored
    ("< 0.05", "> 1000": a bound, not a value) unless its sign is `bound_ok` (a check that needs
    only an upper bound of the value takes "<"); UnitMismatch when its unit (or the attribute's) is
    missing, unknown or of another kind."""
    if result.value is None or (getattr(result, "censor", "") and result.censor != bound_ok):
        return None
    return convert(result.value, result_unit(result, attribute), target)
