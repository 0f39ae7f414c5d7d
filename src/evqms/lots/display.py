"""How QC results and signed times are written for people on the lot page, the command line, the
API and the certificate of analysis (which turns the text into its PDF's glyphs with
`reports.formatting.pdf_html`); numbers, criteria and alert limits come from `core.display`, the
one rendering the dossier's specification pages use too.

Pure text (only the signature time reads the facility's zone from Django).
"""

from __future__ import annotations

import datetime as dt

from evqms.core.display import alert_text, criterion_text, format_number, result_value_text

__all__ = [
    "alert_text",
    "criterion_text",
    "entered_text",
    "format_number",
    "result_text",
    "result_value_text",
    "zoned_time_text",
]


def result_text(result: dict) -> str:
    """The reported result of a lot_detail() result entry: rounded value in the spec unit ('< 0.05
    ng/dose' when censored), or the text."""
    if result.get("text_value"):
        return result["text_value"]
    limits = result.get("limits") or {}
    value = result.get("reported_value")
    if value is None:
        value = result.get("value_in_spec_unit")
    return result_value_text(
        value,
        limits.get("unit") or result.get("unit") or "",
        censor=result.get("censor") or "",
        places=limits.get("decimal_places"),
    )


def entered_text(result: dict) -> str:
    """The value as entered, when its unit differs from the specification's (else empty)."""
    if result.get("text_value") or result.get("value") is None:
        return ""
    limits = result.get("limits") or {}
    if (result.get("unit") or "") == (limits.get("unit") or ""):
        return ""
    return result_value_text(result["value"], result.get("unit") or "", censor=result.get("censor") or "")


def zoned_time_text(value: dt.datetime | None) -> str:
    """A moment (a signature, a report made) in the facility's zone to the second, the zone named:
    '2024-06-01 14:05:09 JST (UTC+09:00, Asia/Tokyo)'."""
    # Imported here: the rest of this module is pure text, and evaluation imports it.
    from django.utils import timezone

    from evqms.core import timefmt

    local = timefmt.to_local(value)
    if local is None:
        return ""
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset}, {timezone.get_current_timezone_name()})"
