"""The release gate: everything that stops a lot's release now, and the release checklist the
guidance adds to QC (an expiry within the approved shelf life, a retention sample)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from evqms.dossier.models import Specification
from evqms.i18n import _, bilingual, use_language
from evqms.lots.holds import active_holds
from evqms.lots.models import Deviation, Lot
from evqms.lots.selectors.microbiology import (
    controls_of,
    invalid_reasons,
    suitability_in_force,
    test_type_of,
)
from evqms.lots.selectors.qc import PASSING, current_results


@dataclass(frozen=True)
class GateProblem:
    code: str  # status, missing_result, unverified, oos, standing_oos, open_deviation, hold, expired, ...
    message: dict = field(hash=False)  # {"en": ..., "ja": ...}
    subject: str = ""  # the attribute code or deviation number concerned

    @property
    def text(self) -> str:
        return bilingual(self.message)

    def to_dict(self) -> dict:
        return {"code": self.code, "subject": self.subject, "message": dict(self.message)}


def _both(template: str, **values) -> dict:
    """The message in English and Japanese (`template` is an msgid of lots.po)."""
    out = {}
    for lang in ("en", "ja"):
        with use_language(lang):
            shown = {k: (v(lang) if callable(v) else v) for k, v in values.items()}
            out[lang] = _(template).format(**shown)
    return out


def release_gate(
    lot: Lot,
    today: dt.date | None = None,
    *,
    current: list[dict] | None = None,
    checklist: list[CheckItem] | None = None,
    open_deviations: list[tuple[str, str]] | None = None,
    holds: list | None = None,
) -> list[GateProblem]:
    """Everything that stops the release of `lot` now; an empty list means it may be released.

    The lot is in quarantine; every release-stage attribute has a latest valid result that is
    verified and passes (pass or alert), and no other valid result of it is out of specification
    (an OOS stands until it is invalidated with a documented reason); no deviation is open; no
    recall or hold keeps it; the expiry date has not passed; the release checklist is clear. A
    caller that already holds `current_results(lot)`, `release_checklist(lot)`, the (number,
    classification) of the open deviations naming the lot (oldest first) or `active_holds(lot)` (the lot page) passes them, so none is
    read twice in one request.
    """
    today = today or timezone.localdate()
    problems = _status_problems(lot)
    for entry in current_results(lot) if current is None else current:
        if entry["attribute"].stage == "release":
            problems += _result_problems(entry)
            problems += _microbiology_problems(lot, entry)
    problems += _open_deviation_problems(lot, open_deviations)
    problems += _hold_problems(lot, holds)
    if lot.expiry is not None and lot.expiry < today:
        expiry = lot.expiry.isoformat()
        problems.append(GateProblem("expired", _both("the lot expired on {date}", date=expiry), expiry))
    checklist = release_checklist(lot) if checklist is None else checklist
    problems += [item.problem for item in checklist if not item.ok]
    return problems


def _status_problems(lot: Lot) -> list[GateProblem]:
    if lot.status == "quarantine":
        return []
    status = lot.status
    message = _both("the lot is {status}, not in quarantine", status=lambda lang: _status_text(status))
    return [GateProblem("status", message, status)]


def _result_problems(entry: dict) -> list[GateProblem]:
    """What the results of one release-stage attribute (a `current_results` entry) leave open."""
    code, result = entry["attribute"].code, entry["result"]
    if result is None:
        return [GateProblem("missing_result", _both("{attribute}: no valid result", attribute=code), code)]
    problems = []
    if result.verdict not in PASSING:
        message = _both("{attribute}: the latest result is out of specification", attribute=code)
        problems.append(GateProblem("oos", message, code))
    if not result.verified_by_id:
        message = _both("{attribute}: the result is not verified by a second person", attribute=code)
        problems.append(GateProblem("unverified", message, code))
    if entry["standing_oos"]:
        message = _both(
            "{attribute}: an earlier out-of-specification result is still valid (invalidate it with a "
            "documented reason, or reject the lot)",
            attribute=code,
        )
        problems.append(GateProblem("standing_oos", message, code))
    return problems


def _microbiology_problems(lot: Lot, entry: dict) -> list[GateProblem]:
    """A sterility, endotoxin or mycoplasma result supports release only from a run whose controls
    passed, by a method with an approved, suitable method suitability record for the product; the
    latest run being invalid is named with its reason (a retest is due)."""
    attribute = entry["attribute"]
    test_type = test_type_of(attribute)
    if test_type is None:
        return []
    code, result = attribute.code, entry["result"]
    if result is None:
        last = entry["history"][-1] if entry["history"] else None
        if last is not None and last.status == "invalid_run":
            message = _both(
                "{attribute}: the run is invalid ({reason}): retest it",
                attribute=code,
                reason=lambda lang: _controls_reason(last),
            )
            return [GateProblem("invalid_run", message, code)]
        return []
    controls = controls_of(result)
    if controls is None or not controls.valid:
        message = _both(
            "{attribute}: the result has no valid positive and negative run controls", attribute=code
        )
        return [GateProblem("no_run_controls", message, code)]
    product = lot.product.code
    suitability = suitability_in_force(lot.product_id, test_type, result.method)
    if suitability is None:
        message = _both(
            "{attribute}: no approved method suitability record for product {product} and method {method}",
            attribute=code,
            product=product,
            method=result.method,
        )
        return [GateProblem("no_method_suitability", message, code)]
    if suitability.outcome != "suitable":
        message = _both(
            "{attribute}: method {method} is not suitable for product {product} ({number})",
            attribute=code,
            product=product,
            method=result.method,
            number=suitability.number,
        )
        return [GateProblem("method_not_suitable", message, code)]
    return []


def _controls_reason(result) -> str:
    """Why a run is invalid, in the current language (its controls as recorded)."""
    controls = controls_of(result)
    if controls is None:
        return result.invalidation_reason
    reasons = invalid_reasons(
        positive=controls.positive_detected,
        recovery=controls.positive_recovery_pct,
        negative=controls.negative_detected,
    )
    return "; ".join(reasons)


def _open_deviation_problems(lot: Lot, open_ones: list[tuple[str, str]] | None = None) -> list[GateProblem]:
    """Every open deviation naming the lot blocks its release; a major or critical one says so."""
    if open_ones is None:
        open_ones = (
            Deviation.objects.filter(affected_lots=lot, status="open")
            .order_by("opened_at", "id")
            .values_list("number", "classification")
        )
    problems = []
    for number, classification in open_ones:
        if classification in ("major", "critical"):
            label = {"major": "Major", "critical": "Critical"}[
                classification
            ]  # msgids of the model's choices
            message = _both(
                "{classification} deviation {number} is open",
                classification=lambda lang, label=label: _(label),
                number=number,
            )
        else:
            message = _both("deviation {number} is open", number=number)
        problems.append(GateProblem("open_deviation", message, number))
    return problems


def _hold_problems(lot: Lot, holds: list | None = None) -> list[GateProblem]:
    """A recall or a QA hold upstream (placed and lifted by trace) keeps the lot."""
    problems = []
    for hold in active_holds(lot) if holds is None else holds:
        template = (
            "the lot is on hold under recall {number}"
            if hold.source_kind == "recall"
            else "the lot is on hold under hold {number}"
        )
        problems.append(GateProblem("hold", _both(template, number=hold.source), hold.source))
    return problems


def _status_text(status: str) -> str:
    names = {
        "in_process": _("in process"),
        "qc": _("in QC"),
        "quarantine": _("in quarantine"),
        "released": _("released"),
        "rejected": _("rejected"),
        "expired": _("expired"),
        "recalled": _("recalled"),
    }
    return names.get(status, status)


# --- what the guidance asks of a released lot: expiry within the approved shelf life, a retention sample


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole calendar months; the 31st of a shorter month falls on its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


@dataclass(frozen=True)
class ShelfLife:
    months: int
    specification_version: int
    basis: str
    own_specification: bool  # approved with the lot's own specification version (else the current one)

    def source(self, lang: str) -> str:
        with use_language(lang):
            where = _("specification v{version}").format(version=self.specification_version)
            if not self.own_specification:
                where = _("{where}, the product's current approved version").format(where=where)
            return f"{where}: {self.basis}" if self.basis else where


def approved_shelf_life(lot: Lot) -> ShelfLife | None:
    """The shelf life approved for the lot's product, and where it was approved.

    First the lot's own specification version (signed with what the lot was tested against; a draft
    approves nothing); failing that the product's current approved specification, so a shelf life
    approved later from stability data (ICH Q1E, the studies area) covers lots not yet released.
    """
    own = lot.specification
    if own.status in ("approved", "superseded") and own.shelf_life_months:
        return ShelfLife(own.shelf_life_months, own.version, own.shelf_life_basis, True)
    return product_shelf_life(lot.product_id)


def product_shelf_life(product_id: int) -> ShelfLife | None:
    """The shelf life the product's current approved specification approves (the stability page
    shows it beside the study's ICH Q1E estimate), or None."""
    current = (
        Specification.objects.filter(
            product_id=product_id, status="approved", shelf_life_months__isnull=False
        )
        .order_by("-version")
        .first()
    )
    if current is None:
        return None
    return ShelfLife(current.shelf_life_months, current.version, current.shelf_life_basis, False)


@dataclass(frozen=True)
class CheckItem:
    code: str
    ok: bool
    message: dict  # {"en": ..., "ja": ...}
    subject: str = ""

    @property
    def problem(self) -> GateProblem:
        return GateProblem(self.code, self.message, self.subject)

    def to_dict(self) -> dict:
        return {"code": self.code, "ok": self.ok, "subject": self.subject, "message": dict(self.message)}


def release_checklist(lot: Lot) -> list[CheckItem]:
    """The release conditions the guidance adds to QC: an expiry date, within manufacture plus the
    approved shelf life (the source named), and a retention sample when the product's policy asks."""
    items = [_expiry_item(lot)]
    if lot.product.retention_sample_required:
        items.append(_retention_item(lot))
    return items


def _expiry_item(lot: Lot) -> CheckItem:
    if lot.expiry is None:
        return CheckItem("no_expiry", False, _both("the lot has no expiry date"))
    shelf = approved_shelf_life(lot)
    if shelf is None:
        return CheckItem(
            "no_shelf_life",
            False,
            _both(
                "no shelf life is approved for product {product}: approve one with a specification version",
                product=lot.product.code,
            ),
            lot.product.code,
        )
    limit = add_months(lot.manufactured_on, shelf.months)
    values = dict(
        expiry=lot.expiry.isoformat(),
        made=lot.manufactured_on.isoformat(),
        months=shelf.months,
        limit=limit.isoformat(),
        source=shelf.source,
    )
    if lot.expiry > limit:
        message = _both(
            "the expiry {expiry} is later than manufacture {made} + the approved shelf life of "
            "{months} months ({limit}; source: {source})",
            **values,
        )
        return CheckItem("expiry_beyond_shelf_life", False, message, limit.isoformat())
    message = _both(
        "expiry {expiry} is within manufacture {made} + the approved shelf life of {months} "
        "months ({limit}; source: {source})",
        **values,
    )
    return CheckItem("expiry_within_shelf_life", True, message, limit.isoformat())


def _retention_item(lot: Lot) -> CheckItem:
    # inventory.RetentionSample points at the lot (related name), so no import of inventory here.
    code = lot.product.code
    if lot.retention_samples.filter(status="in_stock").exists():
        return CheckItem("retention_sample_kept", True, _both("a retention sample of the lot is kept"), code)
    message = _both(
        "product {product} requires a retention sample: none of this lot is in stock", product=code
    )
    return CheckItem("no_retention_sample", False, message, code)
