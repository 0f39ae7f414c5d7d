"""Checks of dossier input that do not need the database: specification attributes, process parameters.

Each check raises InputError whose `where` is the field name, so a form can show the message
next to the field and the API can name it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from evqms.core import units
from evqms.core.inputs import required_text
from evqms.dossier.models import SpecAttribute
from evqms.errors import InputError
from evqms.i18n import _

_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
QUANT_FIELDS = ("lower", "upper", "alert_lower", "alert_upper")


def decimal_or_none(value, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InputError(_("{value} is not a number").format(value=value), where=field) from None
    if not number.is_finite():
        raise InputError(_("{value} is not a number").format(value=value), where=field)
    return number


def check_unit(text: str, field: str = "unit") -> str:
    """A unit pint can read (empty allowed: a dimensionless number)."""
    text = (text or "").strip()
    if text:
        units.parse_unit(text, field=field)
    return text


def _text_list(value, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = [v.strip() for v in re.split(r"[\n,]", value)]
    elif isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        raise InputError(_("a list of values is expected"), where=field)
    items = [v for v in items if v]
    if len(set(items)) != len(items):
        raise InputError(_("a value is listed twice"), where=field)
    return items


def clean_attribute(data: dict) -> dict:
    """Validate and normalise one specification attribute; returns the model fields. The checks run
    in the order of the form, so the first refusal is the one nearest the top."""
    out = _attribute_identity(data)
    bounds = {f: decimal_or_none(data.get(f), f) for f in QUANT_FIELDS}
    places = _decimal_places(data.get("decimal_places"))
    choices = _text_list(data.get("choices"), "choices")
    acceptable = _text_list(data.get("acceptable"), "acceptable")
    unit = (data.get("unit") or "").strip()
    if out["kind"] == "qualitative":
        _check_qualitative(bounds, unit, places, choices, acceptable)
        out.update(
            unit="",
            decimal_places=None,
            choices=choices,
            acceptable=acceptable,
            **dict.fromkeys(QUANT_FIELDS),
        )
        return out
    if choices or acceptable:
        raise InputError(
            _("a quantitative attribute has no list of values"), where="choices" if choices else "acceptable"
        )
    out["unit"] = check_unit(unit, "unit")
    _check_limits(bounds, lower_inclusive=out["lower_inclusive"], upper_inclusive=out["upper_inclusive"])
    out.update(decimal_places=places, choices=[], acceptable=[], **bounds)
    return out


def _attribute_identity(data: dict) -> dict:
    """Code, kind, stage, names and flags: what every attribute has, whatever its kind."""
    kinds = {k for k, _label in SpecAttribute.KINDS}
    stages = {k for k, _label in SpecAttribute.STAGES}
    code = required_text(data.get("code"), "code")
    if not _CODE.match(code) or len(code) > 60:
        raise InputError(_("use letters, digits, - and _ only (at most 60)"), where="code")
    kind = data.get("kind") or "quantitative"
    if kind not in kinds:
        raise InputError(_("unknown kind {kind}").format(kind=kind), where="kind")
    stage = data.get("stage") or "release"
    if stage not in stages:
        raise InputError(_("unknown stage {stage}").format(stage=stage), where="stage")
    out = {
        "code": code,
        "name": required_text(data.get("name"), "name"),
        "method": required_text(data.get("method"), "method"),
        "method_sop": document_code(data.get("method_sop"), "method_sop"),
        "kind": kind,
        "stage": stage,
        "is_cqa": bool(data.get("is_cqa", False)),
        "guidance_items": _text_list(data.get("guidance_items"), "guidance_items"),
        "source": (data.get("source") or "").strip()[:300],
        "lower_inclusive": bool(data.get("lower_inclusive", True)),
        "upper_inclusive": bool(data.get("upper_inclusive", True)),
    }
    if data.get("order") is not None:
        out["order"] = int(data["order"])
    return out


def _decimal_places(places) -> int | None:
    if places is None or places == "":
        return None
    try:
        places = int(places)
    except (TypeError, ValueError):
        raise InputError(_("a whole number from 0 to 10 is expected"), where="decimal_places") from None
    if not 0 <= places <= 10:
        raise InputError(_("a whole number from 0 to 10 is expected"), where="decimal_places")
    return places


def _check_qualitative(bounds: dict, unit: str, places, choices: list[str], acceptable: list[str]) -> None:
    """A qualitative attribute has possible values, some of them acceptable, and nothing numeric."""
    for f in QUANT_FIELDS:
        if bounds[f] is not None:
            raise InputError(_("a qualitative attribute has no numeric limits"), where=f)
    if unit:
        raise InputError(_("a qualitative attribute has no unit"), where="unit")
    if places is not None:
        raise InputError(_("a qualitative attribute has no decimal places"), where="decimal_places")
    if len(choices) < 2:
        raise InputError(_("list at least two possible values"), where="choices")
    if not acceptable:
        raise InputError(_("list the acceptable values"), where="acceptable")
    outside = [a for a in acceptable if a not in choices]
    if outside:
        raise InputError(
            _("acceptable values must be among the possible values: {values}").format(
                values=", ".join(outside)
            ),
            where="acceptable",
        )
    if set(acceptable) == set(choices):
        raise InputError(_("at least one possible value must be unacceptable"), where="acceptable")


def _check_limits(bounds: dict, *, lower_inclusive: bool, upper_inclusive: bool) -> None:
    """The acceptance range leaves some value passing, and the alert limits lie inside it."""
    lower, upper = bounds["lower"], bounds["upper"]
    alert_lower, alert_upper = bounds["alert_lower"], bounds["alert_upper"]
    if lower is not None and upper is not None:
        if lower > upper:
            raise InputError(
                _("the lower limit {lower} is above the upper limit {upper}").format(
                    lower=lower, upper=upper
                ),
                where="lower",
            )
        if lower == upper and not (lower_inclusive and upper_inclusive):
            raise InputError(_("equal limits must both be inclusive, or no value could pass"), where="upper")
    _check_alert(alert_lower, "alert_lower", lower, upper)
    _check_alert(alert_upper, "alert_upper", lower, upper)
    if alert_lower is not None and alert_upper is not None and alert_lower > alert_upper:
        raise InputError(_("the lower alert limit is above the upper alert limit"), where="alert_lower")


def _check_alert(alert: Decimal | None, field: str, lower: Decimal | None, upper: Decimal | None) -> None:
    if alert is None:
        return
    if (lower is not None and alert < lower) or (upper is not None and alert > upper):
        raise InputError(
            _("the alert limit {alert} lies outside the acceptance range").format(alert=alert), where=field
        )


def document_code(value, field: str) -> str:
    """A controlled document's code as a step or an attribute declares it (empty: none declared)."""
    code = (value or "").strip()
    if len(code) > 60:
        raise InputError(_("at most 60 characters"), where=field)
    return code


def clean_parameter(data: dict) -> dict:
    """Validate one process parameter (name, unit, range, CPP / in-process control flags)."""
    low = decimal_or_none(data.get("low"), "low")
    high = decimal_or_none(data.get("high"), "high")
    if low is not None and high is not None and low > high:
        raise InputError(
            _("the low value {low} is above the high value {high}").format(low=low, high=high), where="low"
        )
    critical = bool(data.get("critical", False))
    if critical and low is None and high is None:
        raise InputError(_("a critical process parameter needs a range"), where="low")
    return {
        "name": required_text(data.get("name"), "name"),
        "unit": check_unit(data.get("unit") or "", "unit"),
        "low": low,
        "high": high,
        "critical": critical,
        "in_process_control": bool(data.get("in_process_control", False)),
    }
