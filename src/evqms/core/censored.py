"""Censored results: "< 0.05" (below the limit of quantification) and "> 1000" (above the upper
limit of quantification). The laboratory does not know the value, only that it lies below or
above a bound; evqms stores the operator (`censor`) and the bound (the value).

One rule judges them, here, for the lot's QC rules (`lots.evaluation`) and the compliance engine
(`guidance.evidence`) alike: a censored result MEETS a limit only when every value it allows meets
it, FAILS it when no value it allows meets it, and otherwise cannot be judged. A result that cannot
be judged does not demonstrate conformance, so the QC rules record it as a failure (OOS, with its
own reason) rather than as a pass: under GMP a lot is released on results that show it meets its
specification, never on a result that may hide a failure (21 CFR 211.165(d), EU GMP Part I 6.35).
"< 0.5 EU/mL" against "≤ 0.1 EU/mL" is such a result: a more sensitive method must decide.

The bound is judged as the laboratory states it, not rounded to the specification's decimal
places: rounding a bound could turn a true statement into a false one ("< 0.04" to one place is
"< 0.0"), and an unrounded bound never passes what the rounded value of any true measurement
would fail.

Pure Python (no Django).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from evqms.errors import InputError
from evqms.i18n import _

LESS, MORE = "<", ">"
CENSORS = ("", LESS, MORE)
# Outcomes of `meets_lower` / `meets_upper`.
ALL, NONE, SOME = "all", "none", "some"
# Units in which a negative number is physical (potentials, temperatures); everything else a
# QC laboratory reports for EVs (concentrations, sizes, endotoxin, counts, percentages) is >= 0.
SIGNED_UNITS = {"mv", "v", "degc", "°c", "℃", "celsius"}


def signed(unit: str, bounds=()) -> bool:
    """Whether a value in `unit`, judged against `bounds` (the limits, None for an absent one), may
    be negative: so "< 5" allows any value below 5, not only 0 to 5."""
    if (unit or "").strip().lower() in SIGNED_UNITS:
        return True
    return any(b is not None and Decimal(str(b)) < 0 for b in bounds)


def split(value, *, field: str = "value") -> tuple[str, object]:
    """("<" or ">" or "", the rest) of a value as a person or an instrument writes it: "<0.05",
    "< 0.05", "＜０.０５" (full-width, as a Japanese keyboard types it) and ">1000" give the
    operator and the number text; a Decimal, an int or a plain number text comes back with "".
    Refuses an operator without a number (">ULOQ", "<LOQ": the bound must be given as a number),
    "≤"/"≥"/"<=" (a censored result is strictly below or above its bound) and a doubled operator.
    Digit-grouping spaces ("> 1 000") are refused like any number text with a space in it: they
    cannot be told from two numbers."""
    if not isinstance(value, str):
        return "", value
    text = unicodedata.normalize("NFKC", value).strip()
    if text[:1] in ("≤", "≥", "≦", "≧") or text[:2] in ("<=", ">="):
        raise InputError(
            _("{value}: a censored result is written < or > its limit (e.g. <0.05), not ≤ or ≥").format(
                value=value.strip()
            ),
            where=field,
        )
    if text[:1] not in (LESS, MORE):
        return "", text
    censor, rest = text[0], text[1:].strip()
    if not rest:
        raise InputError(
            _("{value}: give the limit as a number after the sign (e.g. {example})").format(
                value=value.strip(), example="<0.05" if censor == LESS else ">1000"
            ),
            where=field,
        )
    if rest[0] in (LESS, MORE, "="):
        raise InputError(
            _("{value}: one sign, then the limit (e.g. <0.05)").format(value=value.strip()), where=field
        )
    if not (rest[0].isdigit() or rest[0] in ".+-"):
        raise InputError(
            _("{value}: give the limit as a number after the sign (e.g. {example})").format(
                value=value.strip(), example="<0.05" if censor == LESS else ">1000"
            ),
            where=field,
        )
    return censor, rest


@dataclass(frozen=True)
class Possible:
    """The values a result allows: from `low` to `high` (None: unbounded), each end closed (the
    end itself possible) or open. A measured value v is [v, v]; "< L" is [0, L), or (-∞, L) where
    a negative value is physical; "> G" is (G, ∞)."""

    low: Decimal | None
    low_closed: bool
    high: Decimal | None
    high_closed: bool


def possible(censor: str, value: Decimal, *, signed: bool = False) -> Possible:
    if censor == LESS:
        return Possible(None if signed else Decimal(0), True, value, False)
    if censor == MORE:
        return Possible(value, False, None, False)
    return Possible(value, True, value, True)


def meets_lower(p: Possible, limit: Decimal, inclusive: bool = True) -> str:
    """Whether ALL, NONE or SOME of the values `p` allows meet "≥ limit" (or "> limit")."""
    if p.low is not None and (p.low > limit or (p.low == limit and (inclusive or not p.low_closed))):
        return ALL
    if p.high is not None and (p.high < limit or (p.high == limit and not (inclusive and p.high_closed))):
        return NONE
    return SOME


def meets_upper(p: Possible, limit: Decimal, inclusive: bool = True) -> str:
    """Whether ALL, NONE or SOME of the values `p` allows meet "≤ limit" (or "< limit")."""
    if p.high is not None and (p.high < limit or (p.high == limit and (inclusive or not p.high_closed))):
        return ALL
    if p.low is not None and (p.low > limit or (p.low == limit and not (inclusive and p.low_closed))):
        return NONE
    return SOME
