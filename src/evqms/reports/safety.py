"""The serious-adverse-event report of an adverse event and its safety report: a PDF in Japanese or
English, and a structured export whose fields carry their ICH E2B(R3) element codes.

Both read the same facts (`case_facts`): the product, lot(s), dose and route of the administration,
the event (term, CTCAE grade, seriousness criteria, causality, expectedness, outcome), its follow-ups,
the reporter and the report's due date and submission. The export is pseudonymised: of the patient
it carries the clinic's code, the E2B age group and sex only (never the birth year, the keyed hash
of the clinic identifier, or any name). Which E2B element each field fills, and the codes used, is
documented in docs/safety-report-e2b.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone, translation

from evqms.accounts import roles
from evqms.clinical.models import (
    CAUSALITY,
    SERIOUSNESS_CRITERIA,
    AdverseEvent,
    SafetyReport,
)
from evqms.clinical.selectors import get_adverse_event
from evqms.core.pdf import FONT_FAMILY, html_to_pdf
from evqms.core.timefmt import to_local
from evqms.errors import InputError
from evqms.guidance import vocabulary
from evqms.i18n import _
from evqms.lots import display
from evqms.reports import formatting as fmt
from evqms.reports.coa import css_string

LANGS = ("ja", "en")
# evqms serves clinics in Japan: the country of the event and of the reporter (E.i.9, C.2.r.3).
COUNTRY = "JP"
SENDER_PREFIX = f"{COUNTRY}-EVQMS"

# ICH E2B(R3) D.2.3 age groups by whole years at onset (ICH E11 ranges). Under 2 years the group
# (neonate or infant) needs the birth date, which evqms does not hold: no group is given.
AGE_GROUPS = [(2, 11, "3"), (12, 17, "4"), (18, 64, "5"), (65, 200, "6")]
# E2B(R3) D.5 (ISO 5218): 1 male, 2 female; anything else is not a code E2B has.
SEX_CODES = {"male": "1", "female": "2"}
# E2B(R3) E.i.7 outcome of the reaction at the last observation.
OUTCOME_CODES = {
    "recovered": "1",
    "recovering": "2",
    "not_recovered": "3",
    "sequelae": "4",
    "fatal": "5",
    "unknown": "0",
}
# E2B(R3) E.i.3.2a-f: each seriousness criterion at event level.
CRITERION_ELEMENTS = {
    "death": "E.i.3.2a",
    "life_threatening": "E.i.3.2b",
    "hospitalisation": "E.i.3.2c",
    "disability": "E.i.3.2d",
    "congenital_anomaly": "E.i.3.2e",
    "other_important": "E.i.3.2f",
}
# The outcomes that end the event: its end date (E.i.5) is the outcome date.
ENDED = ("recovered", "sequelae", "fatal")


def find_event(number: str) -> AdverseEvent:
    ae = get_adverse_event((number or "").strip())
    if ae is None:
        raise InputError(_("no adverse event {number}").format(number=number), where="adverse_event")
    return ae


def event_reports(ae: AdverseEvent) -> list[SafetyReport]:
    """The event's safety reports, oldest first (the initial report, then its follow-ups)."""
    return list(ae.safety_reports.order_by("created_at", "id"))


def pick_report(ae: AdverseEvent, number: str | None = None) -> SafetyReport:
    """The report `number` of the event, or its latest; InputError when it has none."""
    reports = event_reports(ae)
    if number:
        for report in reports:
            if report.number == number:
                return report
        raise InputError(
            _("adverse event {event} has no safety report {number}").format(event=ae.number, number=number),
            where="report",
        )
    if not reports:
        raise InputError(
            _("adverse event {event} has no safety report (it is not serious)").format(event=ae.number),
            where="report",
        )
    return reports[-1]


def age_group(birth_year: int | None, onset: dt.datetime) -> str | None:
    """The E2B age group code at onset, or None. From a birth year the age is one of two whole
    numbers (before or after the birthday); a group is given only when both fall in it."""
    if birth_year is None:
        return None
    year = to_local(onset).year
    groups = set()
    for age in (year - birth_year - 1, year - birth_year):
        groups.add(next((code for low, high, code in AGE_GROUPS if low <= age <= high), None))
    return groups.pop() if len(groups) == 1 else None


def age_group_labels() -> dict[str, str]:
    return {"3": _("Child"), "4": _("Adolescent"), "5": _("Adult"), "6": _("Elderly")}


def _products(ae: AdverseEvent) -> list[dict]:
    """The administered product(s), each with its lots (cell bank, material lots) and containers."""
    used = ae.administration.used.select_related("aliquot__lot__product", "aliquot__lot__cell_bank").order_by(
        "aliquot__lot__number", "aliquot__container_id"
    )
    products: dict[int, dict] = {}
    for row in used:
        lot = row.aliquot.lot
        entry = products.setdefault(
            lot.product_id, {"code": lot.product.code, "name": lot.product.name, "lots": {}}
        )
        lot_entry = entry["lots"].setdefault(
            lot.number,
            {
                "number": lot.number,
                "cell_bank": lot.cell_bank.code if lot.cell_bank_id else "",
                "expiry": lot.expiry,
                "containers": [],
            },
        )
        lot_entry["containers"].append(row.aliquot.container_id)
    return [{**p, "lots": list(p["lots"].values())} for p in products.values()]


def _route_label(code: str) -> dict:
    """{"en": ..., "ja": ...} of a route code; {} for a code the vocabulary no longer has."""
    term = vocabulary.term("route", code)
    return dict(term.label) if term else {}


def _person(user) -> str:
    return user.signature_name() if user is not None else ""


def case_facts(ae: AdverseEvent, report: SafetyReport) -> dict:
    """What the document and the export say, as plain values (codes and instants, no wording)."""
    adm = ae.administration
    follow_ups = list(ae.follow_ups.select_related("recorded_by").order_by("learned_on", "id"))
    signature = report.signature
    return {
        "event": ae,
        "report": report,
        "patient": {
            "code": ae.patient.code,
            "age_group": age_group(ae.patient.birth_year, ae.onset),
            "sex": ae.patient.sex,
        },
        "administration": adm,
        "route_label": _route_label(adm.route),
        "products": _products(ae),
        "criteria": [c for c, _label in SERIOUSNESS_CRITERIA if c in (ae.seriousness_criteria or [])],
        "follow_ups": follow_ups,
        "latest_information": max(
            [d for d in [ae.learned_on, *(f.learned_on for f in follow_ups)] if d is not None], default=None
        ),
        "reporter": ae.reported_by,
        "signature": signature,
        "initial": next((r for r in event_reports(ae) if r.kind == "initial"), report),
    }


# --- the PDF -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyReportDocument:
    event_number: str
    report_number: str
    lang: str
    html: str

    def pdf(self) -> bytes:
        return html_to_pdf(self.html)

    @property
    def filename(self) -> str:
        return f"{self.report_number}-{self.event_number}-{self.lang}.pdf"


def _dose_rows(adm) -> list[tuple[str, str]]:
    rows = []
    if adm.dose_particles is not None:
        per_kg = (
            " " + _("({value} particles/kg)").format(value=display.format_number(adm.dose_particles_per_kg))
            if adm.dose_particles_per_kg is not None
            else ""
        )
        rows.append((_("Dose (particles)"), display.format_number(adm.dose_particles) + per_kg))
    if adm.dose_protein_ug is not None:
        per_kg = (
            " " + _("({value} μg/kg)").format(value=display.format_number(adm.dose_protein_ug_per_kg))
            if adm.dose_protein_ug_per_kg is not None
            else ""
        )
        rows.append((_("Dose (protein μg)"), display.format_number(adm.dose_protein_ug) + per_kg))
    if adm.body_weight_kg is not None:
        rows.append((_("Body weight (kg)"), display.format_number(adm.body_weight_kg)))
    return rows


def _submission(report: SafetyReport) -> dict:
    if report.submitted_on is None:
        today = timezone.localdate()
        left = (report.due_on - today).days
        state = (
            _("Not submitted: due in {n} days").format(n=left)
            if left >= 0
            else _("Not submitted: overdue by {n} days").format(n=-left)
        )
        return {"submitted": False, "state": state}
    return {
        "submitted": True,
        "state": _("Submitted late") if report.late else _("Submitted on time"),
        "signed_shown": display.zoned_time_text(report.signature.signed_at) if report.signature_id else "",
    }


def _context(ae: AdverseEvent, report: SafetyReport, lang: str) -> dict:
    facts = case_facts(ae, report)
    criteria = dict(SERIOUSNESS_CRITERIA)
    adm = facts["administration"]
    return {
        **facts,
        "lang": lang,
        "font_family": FONT_FAMILY,
        "age_group_label": age_group_labels().get(facts["patient"]["age_group"] or "", _("not given")),
        "sex_label": ae.patient.get_sex_display() or _("not recorded"),
        "route_text": facts["route_label"].get(lang) or adm.get_route_display(),
        "criteria_rows": [
            {"code": c, "label": label, "met": c in facts["criteria"]} for c, label in criteria.items()
        ],
        "dose_rows": [(label, fmt.pdf_html(value)) for label, value in _dose_rows(adm)],
        "onset_shown": display.zoned_time_text(ae.onset),
        "administered_shown": display.zoned_time_text(adm.administered_at),
        "reported_shown": display.zoned_time_text(ae.reported_at),
        "generated": display.zoned_time_text(timezone.now()),
        "follow_up_rows": [
            {
                "learned_on": f.learned_on,
                "information": f.information,
                "outcome": f.get_outcome_display() if f.outcome else "",
                "recorded": f"{_person(f.recorded_by)} · {display.zoned_time_text(f.recorded_at)}",
            }
            for f in facts["follow_ups"]
        ],
        **_submission(report),
        "footer_css": css_string(f"{report.number} · {ae.number} · {_('Serious adverse event report')}"),
    }


def build_document(ae: AdverseEvent, report: SafetyReport, lang: str = "ja") -> SafetyReportDocument:
    if lang not in LANGS:
        raise InputError(_("unknown language {lang}; choose ja or en").format(lang=lang), where="lang")
    if report.adverse_event_id != ae.pk:
        raise InputError(
            _("safety report {number} is not of adverse event {event}").format(
                number=report.number, event=ae.number
            ),
            where="report",
        )
    with translation.override(lang):
        html = render_to_string("reports/safety_report.html", _context(ae, report, lang))
    return SafetyReportDocument(event_number=ae.number, report_number=report.number, lang=lang, html=html)


# --- the E2B(R3) export ----------------------------------------------------------------------------

# The English name of each element the export may carry (ICH E2B(R3) Implementation Guide).
ELEMENT_NAMES = {
    "C.1.1": "Sender's (case) safety report unique identifier",
    "C.1.2": "Date of creation",
    "C.1.3": "Type of report",
    "C.1.4": "Date report was first received from source",
    "C.1.5": "Date of most recent information for this report",
    "C.1.7": "Does this case fulfil the local criteria for an expedited report?",
    "C.1.8.1": "Worldwide unique case identification number",
    "C.1.8.2": "First sender of this case",
    "C.2.r.3": "Reporter's country code",
    "C.2.r.4": "Qualification",
    "C.3.1": "Sender type",
    "D.1": "Patient (name or initials)",
    "D.2.3": "Patient age group (as per reporter)",
    "D.5": "Sex",
    "E.i.1.1a": "Reaction / event as reported by the primary source in native language",
    "E.i.3.2a": "Results in death",
    "E.i.3.2b": "Life threatening",
    "E.i.3.2c": "Caused / prolonged hospitalisation",
    "E.i.3.2d": "Disabling / incapacitating",
    "E.i.3.2e": "Congenital anomaly / birth defect",
    "E.i.3.2f": "Other medically important condition",
    "E.i.4": "Date of start of reaction / event",
    "E.i.5": "Date of end of reaction / event",
    "E.i.7": "Outcome of reaction / event at the time of last observation",
    "E.i.9": "Identification of the country where the reaction / event occurred",
    "G.k.1": "Characterisation of drug role",
    "G.k.2.2": "Medicinal product name as reported by the primary source",
    "G.k.4.r.1a": "Dose (number)",
    "G.k.4.r.1b": "Dose (unit)",
    "G.k.4.r.4": "Date and time of start of drug",
    "G.k.4.r.5": "Date and time of last administration",
    "G.k.4.r.7": "Batch / lot number",
    "G.k.4.r.8": "Dosage text",
    "G.k.4.r.10.1": "Route of administration (free text)",
    "G.k.9.i.1": "Reaction(s) / event(s) assessed",
    "G.k.9.i.2.r.1": "Source of assessment",
    "G.k.9.i.2.r.2": "Method of assessment",
    "G.k.9.i.2.r.3": "Result of assessment",
    "H.1": "Case narrative including clinical course, therapeutic measures, outcome and additional "
    "relevant information",
}
NO_INFORMATION = {"nullFlavor": "NI"}
UNKNOWN = {"nullFlavor": "UNK"}
ASSESSMENT_METHOD = "Global introspection"


def e2b_date(day: dt.date | None):
    """An E2B date, CCYYMMDD."""
    return day.strftime("%Y%m%d") if day else UNKNOWN


def e2b_time(moment: dt.datetime | None):
    """An E2B date and time in the facility's zone with its offset, CCYYMMDDhhmmss+ZZzz."""
    local = to_local(moment)
    return local.strftime("%Y%m%d%H%M%S%z") if local else UNKNOWN


def case_id(report: SafetyReport) -> str:
    return f"{SENDER_PREFIX}-{report.number}"


def _narrative(facts: dict) -> str:
    """H.1 in English labels (the export's language): the record's own texts, dated."""
    ae = facts["event"]
    parts = [f"Event {ae.number}: {ae.description}"]
    if ae.ctcae_term:
        parts.append(f"CTCAE term: {ae.ctcae_term}, grade {ae.ctcae_grade}.")
    if ae.seriousness:
        parts.append(f"Seriousness detail: {ae.seriousness}")
    if ae.investigation:
        parts.append(f"Investigation: {ae.investigation}")
    for f in facts["follow_ups"]:
        parts.append(f"Follow-up learnt on {f.learned_on.isoformat()}: {f.information}")
    return "\n".join(parts)


def _drugs(facts: dict) -> list[dict]:
    ae, adm = facts["event"], facts["administration"]
    causality = {code: str(label) for code, label in CAUSALITY}
    route = facts["route_label"].get("en") or adm.route
    out = []
    for product in facts["products"]:
        dosage = {
            "G.k.4.r.4": e2b_time(adm.administered_at),
            "G.k.4.r.5": e2b_time(adm.administered_at),  # one administration: it is also the last
            "G.k.4.r.7": ", ".join(lot["number"] for lot in product["lots"]),
            "G.k.4.r.10.1": route,
        }
        if adm.dose_particles is not None:
            dosage["G.k.4.r.1a"] = str(adm.dose_particles)
            dosage["G.k.4.r.1b"] = "{particles}"  # UCUM annotation: a count of EV particles
        if adm.dose_protein_ug is not None:
            dosage["G.k.4.r.8"] = f"{adm.dose_protein_ug} ug protein"
        out.append(
            {
                "G.k.1": "1",  # suspect
                "G.k.2.2": f"{product['name']} ({product['code']})",
                "G.k.4.r": [dosage],
                "G.k.9.i": [
                    {
                        "G.k.9.i.1": 1,  # the one reaction, E.i index 1
                        "G.k.9.i.2.r": [
                            {
                                "G.k.9.i.2.r.1": "Primary source reporter",
                                "G.k.9.i.2.r.2": ASSESSMENT_METHOD,
                                "G.k.9.i.2.r.3": causality.get(ae.causality, ae.causality),
                            }
                        ],
                    }
                ],
            }
        )
    return out


def e2b_case(ae: AdverseEvent, report: SafetyReport, *, created: dt.datetime | None = None) -> dict:
    """The event as an ICSR: each field under its E2B(R3) element code, the codes E2B defines, and
    what E2B has no element for (CTCAE grade and term, expectedness, the clinic's clock) under
    "evqms". English, whatever the reader's language: the element names and the codes are E2B's."""
    with translation.override("en"):
        facts = case_facts(ae, report)
        reporter = facts["reporter"]
        qualification = "1" if reporter is not None and roles.PHYSICIAN in reporter.role_set() else "3"
        reaction = {
            "E.i.1.1a": ae.description,
            **{
                element: (True if code in facts["criteria"] else NO_INFORMATION)
                for code, element in CRITERION_ELEMENTS.items()
            },
            "E.i.4": e2b_time(ae.onset),
            "E.i.7": OUTCOME_CODES.get(ae.outcome, "0"),
            "E.i.9": COUNTRY,
        }
        if ae.outcome in ENDED and ae.outcome_on:
            reaction["E.i.5"] = e2b_date(ae.outcome_on)
        elements = {
            "C.1.1": case_id(report),
            "C.1.2": e2b_time(created or timezone.now()),
            "C.1.3": "1",  # spontaneous report: clinical practice, not a study
            "C.1.4": e2b_date(ae.learned_on),
            "C.1.5": e2b_date(facts["latest_information"]),
            "C.1.7": report.kind in ("initial", "follow_up"),
            "C.1.8.1": case_id(facts["initial"]),  # every report of the case keeps the first one's id
            "C.1.8.2": "2",  # other (not a regulator)
            "C.2.r": [{"C.2.r.3": COUNTRY, "C.2.r.4": qualification}],
            "C.3.1": "3",  # health professional
            "D.1": ae.patient.code,  # the clinic's pseudonym, never a name or initials
            "D.2.3": facts["patient"]["age_group"] or UNKNOWN,
            "D.5": SEX_CODES.get(ae.patient.sex, UNKNOWN),
            "E.i": [reaction],
            "G.k": _drugs(facts),
            "H.1": _narrative(facts),
        }
        return {
            "format": "evqms ICSR",
            "standard": "ICH E2B(R3)",
            "elements": elements,
            "element_names": {k: v for k, v in ELEMENT_NAMES.items() if _mentions(elements, k)},
            "evqms": {
                "adverse_event": ae.number,
                "administration": ae.administration.number,
                "ctcae_term": ae.ctcae_term,
                "ctcae_grade": ae.ctcae_grade,
                "seriousness_criteria": facts["criteria"],
                "seriousness_detail": ae.seriousness,
                "expectedness": ae.expectedness,
                "causality": ae.causality,
                "outcome": ae.outcome,
                "lots": [lot["number"] for p in facts["products"] for lot in p["lots"]],
                "report": {
                    "number": report.number,
                    "kind": report.kind,
                    "clock_start": report.clock_start.isoformat(),
                    "due_on": report.due_on.isoformat(),
                    "submitted_on": report.submitted_on.isoformat() if report.submitted_on else None,
                    "submitted_to": report.submitted_to,
                    "authority_reference": report.authority_reference,
                    "late": report.late,
                    "late_reason": report.late_reason,
                },
            },
        }


def _mentions(elements, code: str) -> bool:
    """Whether `code` is a key anywhere in the nested elements."""
    if isinstance(elements, dict):
        return code in elements or any(_mentions(v, code) for v in elements.values())
    if isinstance(elements, list):
        return any(_mentions(v, code) for v in elements)
    return False
