"""Certificate of analysis (CoA) of a lot, in Japanese or English, as HTML and PDF.

Decision: a CoA can be produced for any lot, but only a released lot whose release signature is
valid and still applies to the current record gets a final certificate. Every other lot's
certificate carries a watermark on every page and a banner saying why ("DRAFT — not released",
"NOT VALID — the record changed after release", "RECALLED"), so it cannot pass for a release
document. `evqms report coa --final-only` refuses (exit 1) instead.

The content comes from `evqms.lots.selectors.lot_detail` (the same story the lot page tells):
each release-stage attribute's current valid result with the limits frozen on it and its
verdict, retests and invalidated results noted, and the release signature's manifestation
(printed name, date and time with the time zone, meaning) with whether it still applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone, translation

from evqms.core.pdf import FONT_FAMILY, html_to_pdf
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots import display, evaluation, selectors
from evqms.reports import formatting as fmt

LANGS = ("ja", "en")
_SYMBOLS = str.maketrans({"≥": "≧", "≤": "≦", "µ": "μ"})
_UNSUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
_POWER = re.compile("10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)")


def pdf_text(text: str) -> str:
    """Plain text (a note) with every character in the embedded font: 10¹⁰ -> 10^10, ≥ -> ≧."""
    return _POWER.sub(lambda m: "10^" + m.group(1).translate(_UNSUPERSCRIPT), text).translate(_SYMBOLS)


WAS_RELEASED = ("released", "expired", "recalled")


@dataclass(frozen=True)
class CoA:
    lot_number: str
    lang: str
    final: bool  # a released lot with a valid release signature that applies to the current record
    watermark: str  # empty when final
    html: str

    def pdf(self) -> bytes:
        return html_to_pdf(self.html)


def css_string(text: str) -> str:
    """Text safe inside a double-quoted CSS string within a <style> element (hex escapes)."""
    return "".join(f"\\{ord(c):X} " if c in "\\\"'<>&\n" else c for c in text)


def find_lot(number: str):
    lot = selectors.get_lot((number or "").strip())
    if lot is None:
        raise InputError(_("no lot {lot}").format(lot=number), where="LOT")
    return lot


def _result_note(r: dict, by_id: dict[int, dict]) -> str:
    notes = []
    if r.get("retest_of"):
        original = by_id.get(r["retest_of"])
        if original:
            status = (
                _("invalidated: {reason}").format(reason=original["invalidation_reason"])
                if original["status"] == "invalidated"
                else _("still valid")
            )
            notes.append(
                _("Retest of result #{id} ({value}, {verdict}; {status}).").format(
                    id=original["id"],
                    value=display.result_text(original),
                    verdict=original["verdict_display"],
                    status=status,
                )
            )
    if r.get("retests"):
        notes.append(_("Retested: {ids}.").format(ids=", ".join(f"#{i}" for i in r["retests"])))
    if r.get("verdict") == "alert":
        notes.append(_("Beyond the alert limit ({alert}).").format(alert=display.alert_text(r["limits"])))
    if not r.get("verified_by"):
        notes.append(_("Not verified by a second person."))
    return pdf_text(" ".join(notes))


def _release_rows(lot, story: dict, by_id: dict[int, dict]) -> list[dict]:
    """One row per release-stage attribute: its current valid result against the limits frozen on
    it, or the specification's limits when it has none."""
    attributes = {a.code: a for a in lot.specification.attributes.all()}
    rows = []
    for current in story["current_results"]:
        if current["stage"] != "release":
            continue
        r = by_id.get(current["result_id"]) if current["result_id"] else None
        attribute = attributes[current["attribute"]]
        rows.append(
            {
                "attribute": current["attribute"],
                "name": current["attribute_name"],
                "method": r["method"] if r else attribute.method,
                "criterion": fmt.pdf_html(
                    display.criterion_text(r["limits"] if r else evaluation.attribute_limits(attribute))
                ),
                "result": fmt.pdf_html(display.result_text(r)) if r else _("no valid result"),
                "verdict": r["verdict"] if r else "",
                "verdict_display": r["verdict_display"] if r else "—",
                "note": _result_note(r, by_id) if r else "",
                "result_id": r["id"] if r else None,
            }
        )
    return rows


def _invalidated_rows(story: dict) -> list[dict]:
    return [
        {
            "id": r["id"],
            "attribute": r["attribute_name"],
            "result": fmt.pdf_html(display.result_text(r)),
            "verdict_display": r["verdict_display"],
            "reason": r["invalidation_reason"],
            "retests": ", ".join(f"#{i}" for i in r["retests"]),
        }
        for r in story["results"]
        if r["status"] == "invalidated" and r["stage"] == "release"
    ]


def _disposition(story: dict) -> dict:
    """The release and rejection signatures, whether the certificate is final, and its watermark
    when it is not."""
    signatures = []
    release = None
    for s in story["signatures"]:
        if s["meaning"] not in ("release", "rejection"):
            continue
        entry = {**s, "signed_shown": display.zoned_time_text(s["signed_at"])}
        signatures.append(entry)
        if s["id"] == story["release_signature_id"]:
            release = entry
    final = bool(story["status"] in WAS_RELEASED and release and release["valid"])
    if story["status"] == "recalled":
        watermark = _("RECALLED")
    elif final:
        watermark = ""
    elif story["status"] in WAS_RELEASED and release:
        watermark = _("NOT VALID — the record changed after release")
    else:
        watermark = _("DRAFT — not released")
    return {"signatures": signatures, "release": release, "final": final, "watermark": watermark}


def _context(lot, lang: str) -> dict:
    story = selectors.lot_detail(lot)
    by_id = {r["id"]: r for r in story["results"]}
    return {
        "lang": lang,
        "story": story,
        "rows": _release_rows(lot, story, by_id),
        "censored": any(r.get("censor") for r in story["results"]),
        "invalidated": _invalidated_rows(story),
        **_disposition(story),
        "font_family": FONT_FAMILY,
        "footer_css": css_string(f"{story['number']} · {_('Certificate of analysis')}"),
        "generated": display.zoned_time_text(timezone.now()),
        "volume": display.format_number(story["volume_ml"]) if story["volume_ml"] is not None else "",
    }


def build_coa(lot, lang: str = "ja") -> CoA:
    if lang not in LANGS:
        raise InputError(_("unknown language {lang}; choose ja or en").format(lang=lang), where="--lang")
    with translation.override(lang):
        context = _context(lot, lang)
        html = render_to_string("reports/coa.html", context)
    return CoA(
        lot_number=lot.number, lang=lang, final=context["final"], watermark=context["watermark"], html=html
    )
