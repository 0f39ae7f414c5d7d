"""Environmental-monitoring methods, the default limits shipped with the app, and the verdict.

Pure Python (no Django): the limits are data (`limits.yaml`, Annex 1 figures with their table and
paragraph, site alert levels), the verdict is arithmetic. Results are judged on exact fractions
(an air sample of 10 cfu in 1000 L is exactly 10 cfu/m³, never 10.000000001), and a limit is
exceeded only by a value above it: at the limit is not an excursion (Annex 1 glossary, "when
exceeded").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import yaml

from evqms.errors import InputError
from evqms.i18n import _

GRADES = ("A", "B", "C", "D")
VIABLE = ("settle_plate", "contact_plate", "active_air")
PARTICLES = ("particles_0_5", "particles_5")
METHODS = VIABLE + PARTICLES
OCCUPANCIES = ("any", "at_rest", "in_operation")
VERDICTS = ("within", "alert", "action", "no_limit")
# Annex 1 9.30 Table 6 note (a): settle plates are changed after at most 4 hours.
MAX_SETTLE_MINUTES = 240
LIMITS_FILE = Path(__file__).with_name("limits.yaml")


def method_label(method: str) -> str:
    return {
        "settle_plate": _("settle plate (90 mm)"),
        "contact_plate": _("contact plate (55 mm)"),
        "active_air": _("active air sample"),
        "particles_0_5": _("total particles ≥ 0.5 µm"),
        "particles_5": _("total particles ≥ 5 µm"),
    }.get(method, method)


def method_unit(method: str) -> str:
    return {
        "settle_plate": "cfu/4 h",
        "contact_plate": "cfu/plate",
        "active_air": "cfu/m³",
        "particles_0_5": "/m³",
        "particles_5": "/m³",
    }.get(method, "")


def occupancy_label(occupancy: str) -> str:
    return {"any": _("any state"), "at_rest": _("at rest"), "in_operation": _("in operation")}.get(
        occupancy, occupancy
    )


def verdict_label(verdict: str) -> str:
    return {
        "within": _("within limits"),
        "alert": _("alert level"),
        "action": _("action level"),
        "no_limit": _("no limit set"),
    }.get(verdict, verdict)


def limit_occupancy(method: str, occupancy: str) -> str:
    """The occupancy a limit is kept under: particles by state (Table 5), viable for any (Table 6)."""
    return occupancy if method in PARTICLES else "any"


@dataclass(frozen=True)
class Limit:
    """The alert and action limits of one grade, method and occupancy, with where each comes from.
    None: no limit (grade A viable has no alert level; grade D in operation is not predetermined)."""

    grade: str
    method: str
    occupancy: str
    alert: Decimal | None
    action: Decimal | None
    alert_source: str  # "annex1", "site"
    action_source: str
    alert_reference: dict  # {en:, ja:}
    action_reference: dict

    def frozen(self) -> dict:
        """The copy a result keeps of the limit it was judged against."""
        return {
            "grade": self.grade,
            "method": self.method,
            "occupancy": self.occupancy,
            "alert": str(self.alert) if self.alert is not None else None,
            "action": str(self.action) if self.action is not None else None,
            "alert_source": self.alert_source,
            "action_source": self.action_source,
            "alert_reference": dict(self.alert_reference),
            "action_reference": dict(self.action_reference),
            "unit": method_unit(self.method),
        }


def _number(value, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(_("not a number: {value}").format(value=value), where=where)
    number = Decimal(str(value))
    if not number.is_finite() or number < 0:
        raise InputError(_("not a number of zero or more: {value}").format(value=value), where=where)
    return number


@cache
def default_limits() -> dict[tuple[str, str, str], Limit]:
    """(grade, method, occupancy) -> the shipped default limit."""
    data = yaml.safe_load(LIMITS_FILE.read_text(encoding="utf-8"))
    refs = data["references"]
    out: dict[tuple[str, str, str], Limit] = {}
    for i, entry in enumerate(data["limits"]):
        method, occupancy = entry["method"], entry["occupancy"]
        if method not in METHODS or occupancy not in OCCUPANCIES:
            raise InputError(f"unknown method or occupancy in entry {i + 1}", where=LIMITS_FILE.name)
        for grade in GRADES:
            where = f"{LIMITS_FILE.name}: limits[{i}].{grade}"
            out[(grade, method, occupancy)] = Limit(
                grade=grade,
                method=method,
                occupancy=occupancy,
                alert=_number(entry["alert"][grade], where),
                action=_number(entry["action"][grade], where),
                alert_source="site",
                action_source="annex1",
                alert_reference=refs[entry["alert_reference"]],
                action_reference=refs[entry["action_reference"]],
            )
    return out


def default_limit(grade: str, method: str, occupancy: str) -> Limit | None:
    return default_limits().get((grade, method, limit_occupancy(method, occupancy)))


def measured_value(
    method: str,
    *,
    count: int | None = None,
    exposure_minutes: int | None = None,
    volume_litres: Decimal | None = None,
    particles_per_m3: int | None = None,
) -> Fraction:
    """The value judged against the limit, exactly: cfu per plate (settle, contact), cfu/m³ (active
    air: count × 1000 / litres sampled), particles/m³ as counted. Refuses what the method lacks."""
    if method not in METHODS:
        raise InputError(_("unknown method {method}").format(method=method), where="method")
    if method in PARTICLES:
        if particles_per_m3 is None or particles_per_m3 < 0:
            raise InputError(_("give the particles per m³ (zero or more)"), where="particles_per_m3")
        return Fraction(int(particles_per_m3))
    if count is None or count < 0:
        raise InputError(_("give the colony count (zero or more)"), where="count")
    if method == "settle_plate":
        if exposure_minutes is None or not 1 <= exposure_minutes <= MAX_SETTLE_MINUTES:
            raise InputError(
                _("a settle plate is exposed for 1 to {most} minutes (Annex 1: at most 4 hours)").format(
                    most=MAX_SETTLE_MINUTES
                ),
                where="exposure_minutes",
            )
        # Table 6 gives cfu per 4 hours for a plate; a plate exposed for less is judged as counted
        # (note (a): individual plates may be exposed for less than 4 hours).
        return Fraction(int(count))
    if method == "active_air":
        if volume_litres is None or Decimal(volume_litres) <= 0:
            raise InputError(
                _("give the volume of air sampled in litres (more than zero)"), where="volume_litres"
            )
        return Fraction(int(count)) * 1000 / Fraction(Decimal(volume_litres))
    return Fraction(int(count))


def judge(value: Fraction | Decimal | int, alert: Decimal | None, action: Decimal | None) -> str:
    """'action' above the action limit, else 'alert' above the alert limit, else 'within';
    'no_limit' when neither limit is set. At a limit is not above it."""
    exact = Fraction(value) if not isinstance(value, Fraction) else value
    if action is None and alert is None:
        return "no_limit"
    if action is not None and exact > Fraction(action):
        return "action"
    if alert is not None and exact > Fraction(alert):
        return "alert"
    return "within"


def limit_text(value: Decimal | str | None, method: str) -> str:
    """How a limit is written: 'no growth' for a viable limit of 0, '—' when not set."""
    from evqms.core.display import format_number  # pure text helper

    if value is None:
        return _("not set")
    if method in VIABLE and Decimal(str(value)) == 0:
        return _("no growth")
    return f"{format_number(value)} {method_unit(method)}"
