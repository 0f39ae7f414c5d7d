"""The lot page (the batch record): what `lot_detail` tells, shown in the page language, with the
forms the signed-in person may use on it now.

A refused action renders this page again with the person's form bound (`bound`: key -> form), so
the service's message stands next to what they typed.
"""

from __future__ import annotations

from django.shortcuts import render

from evqms.core.timefmt import display_local
from evqms.core.views import page_language
from evqms.equipment import selectors as equipment
from evqms.lots import display, evaluation, forms, selectors, services

# A lot not yet released, rejected or expired: it can still get an expiry, a deviation or a rejection.
DISPOSABLE = ("in_process", "qc", "quarantine")

PERMISSIONS = (
    "record_manufacturing",
    "submit_to_qc",
    "record_qc_result",
    "verify_qc_result",
    "invalidate_qc_result",
    "complete_qc",
    "open_deviation",
    "close_deviation",
    "release_lot",
    "reject_lot",
    "set_expiry",
)


def _permissions(user) -> dict:
    return {n: user.has_perm(f"lots.{n}") for n in PERMISSIONS}


def _decorate_result(r: dict) -> dict:
    r["shown"] = display.result_text(r)
    r["entered"] = display.entered_text(r)
    r["criterion_shown"] = display.criterion_text(r["limits"])
    r["alert_shown"] = display.alert_text(r["limits"])
    r["tested_shown"] = display_local(r["tested_at"])
    r["verified_shown"] = display_local(r["verified_at"])
    return r


def _result_actions(r: dict, lot, can: dict, user, bound: dict, refusals: dict) -> None:
    """The verify button (the service's own rule decides) and the invalidation form of one result.
    `refusals`: the rule's answers so far on this page, by what it depends on besides the lot and
    the person (a table of 50 results asks it a handful of distinct questions)."""
    asked = (r["analyst"]["username"], r["status"], bool(r["verified_by"]))
    if asked not in refusals:
        analyst, status, verified = asked
        refusals[asked] = services.verification_refusal(
            user, lot=lot, analyst=analyst, status=status, verified=verified
        )
    r["can_verify"] = refusals[asked] is None
    open_valid = lot.status in services.QC_OPEN_STATUSES and r["status"] == "valid"
    r["invalidate_form"] = (
        bound.get(("invalidate", r["id"])) or forms.ReasonForm(prefix=f"inv{r['id']}")
        if open_valid and can["invalidate_qc_result"]
        else None
    )
    r["retest_form"] = None


def _qc_rows(lot, attributes, story: dict, can: dict, user, bound: dict) -> list[dict]:
    by_attribute: dict[str, list[dict]] = {}
    for r in story["results"]:
        by_attribute.setdefault(r["attribute"], []).append(_decorate_result(r))
    may_record = lot.status in services.QC_OPEN_STATUSES and can["record_qc_result"]
    refusals: dict = {}
    rows = []
    for attribute in attributes:  # in specification order, as current_results reads them
        results = by_attribute.get(attribute.code, [])
        for r in results:
            _result_actions(r, lot, can, user, bound, refusals)
        if results and may_record:
            last = results[-1]
            last["retest_form"] = bound.get(("retest", last["id"])) or forms.QCResultForm(
                attribute=attribute, prefix=f"r{last['id']}"
            )
        entry_form = None
        if not results and may_record:
            entry_form = bound.get(("qc", attribute.pk)) or forms.QCResultForm(attribute=attribute)
        rows.append(
            {
                "attribute": attribute,
                "criterion": display.criterion_text(evaluation.attribute_limits(attribute)),
                "results": results,
                "entry_form": entry_form,
            }
        )
    return rows


def _step_rows(lot, story: dict, can: dict, bound: dict) -> list[dict]:
    recorded: dict[int, list[dict]] = {}
    for s in story["steps"]:
        for v in s["values"]:
            v["value_shown"] = display.format_number(v["value"])
            v["range_shown"] = "–".join(
                display.format_number(x) if x is not None else "" for x in (v["low"], v["high"])
            )
        s["started_shown"] = display_local(s["started_at"])
        s["finished_shown"] = display_local(s["finished_at"])
        recorded.setdefault(s["order"], []).append(s)
    may_record = lot.status == "in_process" and can["record_manufacturing"]
    steps = lot.process.steps.order_by("order")
    if may_record:  # the step forms list the parameters; the page shows them nowhere else
        steps = steps.prefetch_related("parameters")
    rows = []
    for step in steps:
        form = None
        if may_record and step.order not in recorded:
            form = bound.get(("step", step.pk)) or forms.StepRecordForm(step=step)
        rows.append({"step": step, "records": recorded.get(step.order, []), "form": form})
    return rows


def _signature_rows(story: dict) -> list[dict]:
    for s in story["signatures"]:
        s["signed_shown"] = display.zoned_time_text(s["signed_at"])
    return story["signatures"]


def _release_gate(story: dict, lang: str) -> dict:
    """What blocks release, in the page language; the checklist shows its own refusals (with the
    source of the shelf life), the list above it the rest."""
    gate = [{**p, "text": p["message"].get(lang) or p["message"].get("en")} for p in story["release_gate"]]
    checklist = [
        {**c, "text": c["message"].get(lang) or c["message"].get("en")} for c in story["release_checklist"]
    ]
    listed = {c["code"] for c in checklist}
    return {"gate": gate, "gate_other": [p for p in gate if p["code"] not in listed], "checklist": checklist}


def _show_record(story: dict, can: dict, bound: dict) -> None:
    """Times and quantities as shown (a deviation is investigated and closed on its own page)."""
    for d in story["deviations"]:
        d["opened_shown"] = display_local(d["opened_at"])
        d["closed_shown"] = display_local(d["closed_at"])
    story["volume_shown"] = (
        display.format_number(story["volume_ml"]) if story["volume_ml"] is not None else "—"
    )
    for m in story["materials"]:
        m["quantity_shown"] = display.format_number(m["quantity"])


def _lot_forms(lot, can: dict, bound: dict) -> dict:
    """The forms and buttons of the lot as a whole, offered by its status and the person's roles."""
    status = lot.status
    return {
        "expiry_form": (
            bound.get(("expiry",)) or forms.ExpiryForm(initial={"expiry": lot.expiry})
            if can["set_expiry"] and status in DISPOSABLE
            else None
        ),
        "material_form": (
            bound.get(("material",)) or forms.MaterialUsageForm()
            if status == "in_process" and can["record_manufacturing"]
            else None
        ),
        "deviation_form": (
            bound.get(("deviation",)) or forms.DeviationForm()
            if can["open_deviation"] and status in DISPOSABLE
            else None
        ),
        "release_form": bound.get(("release",)) or forms.SignForm(prefix="release"),
        "reject_form": bound.get(("reject",)) or forms.SignForm(prefix="reject"),
        "show_release": can["release_lot"] and status == "quarantine",
        "show_reject": can["reject_lot"] and status in DISPOSABLE,
        "can_submit": can["submit_to_qc"] and status == "in_process",
        "can_complete": can["complete_qc"] and status == "qc",
        "qc_open": status in services.QC_OPEN_STATUSES,
    }


def render_lot(request, lot, *, bound: dict | None = None, dialog: str = "", status: int = 200):
    bound = bound or {}
    user = request.user
    can = _permissions(user)
    read = selectors.lot_detail_read(lot)  # the lot as stored now, not as a refused action left it
    lot, story = read.lot, read.story
    _show_record(story, can, bound)
    qc_rows = _qc_rows(lot, read.attributes, story, can, user, bound)
    context = {
        "lot": lot,
        "story": story,
        "holds": read.holds,
        "can": can,
        **_release_gate(story, page_language(request)),
        **_lot_forms(lot, can, bound),
        "qc_rows": qc_rows,
        # The grid and the verification of several results, offered from the rows already read.
        "qc_missing": sum(1 for row in qc_rows if not any(r["status"] == "valid" for r in row["results"])),
        "qc_to_verify": sum(1 for row in qc_rows for r in row["results"] if r.get("can_verify")),
        "step_rows": _step_rows(lot, story, can, bound),
        "signatures": _signature_rows(story),
        "dialog": dialog,
        # Read only when the page offers a step or QC form (the querysets are lazy).
        "room_options": equipment.rooms(active_only=True),
        "instrument_options": equipment.usable_instruments(),
    }
    return render(request, "lots/lot_detail.html", context, status=status)
