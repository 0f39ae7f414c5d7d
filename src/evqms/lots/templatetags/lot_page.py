"""{% qc_result_row r lot %}: a row of the lot page's QC table, from its opening tag to the cell
before its actions (number and retests, result, limits, verdict, status, analyst, verifier or the
verify button, raw file), written here instead of in template tags.

A lot has 50 results or more, and these cells were most of the page's template time: a dozen
tags and lookups per cell, each resolved through the context. The text is exactly what the
template wrote (tests/lots/test_lots_page_rows.py renders both and compares them): values are
escaped and localised as `{{ }}` does, `{% translate %}` of a literal is not escaped,
`{% blocktranslate %}` escapes only its values, and the CSRF field is Django's own tag's.
"""

from __future__ import annotations

from django import template
from django.template.base import render_value_in_context
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()

CELL_BREAK = "\n        "  # the indentation the template gave each cell


@register.simple_tag(takes_context=True)
def qc_result_row(context, r: dict, lot) -> SafeString:
    """Long because it writes the row's cells in the order the template did, one after another
    (tests/lots/test_lots_page_rows.py holds it to the template's text)."""

    def v(value) -> str:
        if type(value) is str:  # what {{ }} does to a plain string, without its other checks
            return escape(value)
        return render_value_in_context(value, context)

    opening = f'<tr class="result {v(r["status"])}{" oos" if r["oos"] else ""}" id="result-{v(r["id"])}">'

    number = f"<td>#{v(r['id'])}"
    if r["retest_of"]:
        number += (
            f'<div class="small">{gettext("retest of")} <a href="#result-{v(r["retest_of"])}">'
            f"#{v(r['retest_of'])}</a></div>"
        )
    number += "\n          "
    if r["retests"]:
        links = "".join(f'<a href="#result-{v(x)}">#{v(x)}</a> ' for x in r["retests"])
        number += f'<div class="small">{gettext("retested in")} {links}</div>'
    number += "</td>"

    shown = f'<td class="value">{v(r["shown"])}'
    if r["entered"]:
        shown += f'<div class="muted small">{gettext("entered")}: {v(r["entered"])}</div>'
    shown += f'<div class="muted small">{v(r["method"])}'
    if r.get("instrument"):
        shown += f' · <span class="instrument">{v(r["instrument"])}</span>'
    shown += "</div>"
    if r.get("controls"):
        shown += f'<div class="small run-controls">{v(r["controls"])}</div>'
    shown += "</td>"

    limits = f"<td>{v(r['criterion_shown'])}"
    if r["alert_shown"]:
        limits += f'<div class="muted small">{gettext("alert")}: {v(r["alert_shown"])}</div>'
    spec_version = (r["limits"] or {}).get("spec_version")
    if spec_version:
        note = gettext("from specification v%(v)s") % {"v": v(spec_version)}
        limits += f'<div class="muted small">{note}</div>'
    limits += "</td>"

    verdict = f'<td><span class="badge {v(r["verdict"])}">{v(r["verdict_display"])}</span>'
    if r["oos"]:
        verdict += ' <span class="badge oos">OOS</span>'
        if r["oos_deviation"]:
            verdict += f'<div class="small">{v(r["oos_deviation"])}</div>'
    verdict += "</td>"

    if r["status"] == "valid":
        status = f"<td>{gettext('valid')}"
        if r["current"]:
            status += f' <span class="badge ok">{gettext("current")}</span>'
        status += "</td>"
    else:
        label = gettext("invalid run") if r["status"] == "invalid_run" else gettext("invalidated")
        status = (
            f'<td><span class="badge bad">{label}</span>'
            f'<div class="small">{v(r["invalidation_reason"])}</div></td>'
        )

    analyst = (
        f'<td>{v(r["analyst"]["printed_name"])}<div class="muted small">{v(r["tested_shown"])}</div></td>'
    )

    verifier = "<td>"
    if r["verified_by"]:
        verifier += (
            f'{v(r["verified_by"]["printed_name"])}<div class="muted small">{v(r["verified_shown"])}</div>'
            "\n            "
        )
    elif r["can_verify"]:
        action = escape(reverse("lots:qc-verify", args=[lot.number, r["id"]]))
        verifier += (
            f'<form method="post" action="{action}">{CsrfTokenNode().render(context)}'
            f'<button type="submit" class="secondary small-btn verify">{gettext("Verify")}</button></form>'
            "\n            "
        )
    elif r["status"] == "valid":
        verifier += f'<span class="muted">{gettext("not verified")}</span>'
    verifier += "</td>"

    raw = "<td>"
    if r["raw_file_sha256"]:
        if r["raw_file_url"]:
            raw += f'<a href="{v(r["raw_file_url"])}" hx-boost="false">{v(r["raw_file_name"])}</a>'
        else:
            raw += v(r["raw_file_name"])
        raw += f'<div class="hash small">{v(r["raw_file_sha256"])}</div>'
    else:
        raw += "—"
    raw += "</td>"

    cells = (number, shown, limits, verdict, status, analyst, verifier, raw)
    # Every value above went through v() (escaped as {{ }} escapes); the rest is this module's markup.
    return mark_safe(opening + CELL_BREAK + CELL_BREAK.join(cells))
