"""What the evidence from every administration says, per product and per lot.

Reads, for one product (optionally over a period of administrations): the administrations and
patients, the adverse events by seriousness and by CTCAE grade, their rates with exact intervals,
the outcome instruments' change from baseline at each follow-up month with its completeness, and
the lot signal (a lot whose event rate exceeds the rest of the product's, exact test with Holm)
with the flagged lots' retention samples. The statistics are `evqms.analytics.evidence`'s; this
module only gathers the counts.

The reads are a fixed number of grouped queries whatever the number of patients or lots: the
administrations' lots, the events, the evaluations, the visits, the lots and the flagged lots'
retention samples, each in one query.

Counting rules, so every figure can be checked by hand:
- an administration belongs to every lot whose aliquots it used; its events count for each;
- every adverse event counts, whatever its causality (signal detection looks at all of them);
- a follow-up is expected once its visit is done, recorded as missed, or its window has closed;
  a visit whose window is still open or not yet open is pending and not expected yet. Missing
  follow-ups (missed or overdue) stay in the figures' denominators as `expected`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from evqms.analytics import evidence as stats
from evqms.clinical.models import (
    CTCAE_GRADES,
    SERIOUSNESS_CRITERIA,
    AdministeredAliquot,
    AdverseEvent,
    Evaluation,
    FollowUpVisit,
    InstrumentUse,
    instrument_responder_threshold,
)
from evqms.dossier.models import Product
from evqms.errors import InputError
from evqms.i18n import _
from evqms.inventory.models import RetentionSample
from evqms.lots.models import Lot

CONFIDENCE = 0.95
ALPHA = 0.05
PER_ADMINISTRATIONS = 100  # event rates are written per 100 administrations


def find_product(code: str) -> Product:
    product = Product.objects.filter(code__iexact=(code or "").strip()).first()
    if product is None:
        raise InputError(_("no product {code}").format(code=code), where="product")
    return product


@dataclass(frozen=True)
class Period:
    """Administrations from `start` (inclusive) to `end` (exclusive), local dates."""

    start: dt.date
    end: dt.date

    @classmethod
    def year(cls, year) -> Period:
        try:
            year = int(str(year).strip())
        except (TypeError, ValueError):
            raise InputError(_("the year must be a number such as 2025"), where="year") from None
        if not 2000 <= year <= 2100:
            raise InputError(_("the year must lie between 2000 and 2100"), where="year")
        return cls(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(self.end, dt.time.min, tzinfo=zone),
        )


def _rate(events: int, exposures: int, *, model: str) -> dict | None:
    """A rate with its exact interval, or None when nobody was exposed (no evidence, not 0 %)."""
    if not exposures:
        return None
    per = PER_ADMINISTRATIONS if model == "poisson" else 1
    return stats.rate_per(events, exposures, model=model, per=per, confidence=CONFIDENCE).to_dict()


def _criteria(event: dict) -> list:
    criteria = event["seriousness_criteria"]
    return criteria if isinstance(criteria, list) else []


@dataclass
class _Tally:
    """Counts of one product or lot."""

    administrations: set = field(default_factory=set)
    patients: set = field(default_factory=set)
    events: list = field(default_factory=list)

    def summary(self) -> dict:
        events = self.events
        serious = [e for e in events if e["serious"]]
        patients_with = {e["patient_id"] for e in events}
        patients_serious = {e["patient_id"] for e in serious}
        n_adm, n_pat = len(self.administrations), len(self.patients)
        return {
            "administrations": n_adm,
            "patients": n_pat,
            "events": len(events),
            "serious": len(serious),
            "non_serious": len(events) - len(serious),
            "patients_with_event": len(patients_with),
            "patients_with_serious": len(patients_serious),
            "by_grade": [
                {"grade": g, "label": str(label), "count": sum(1 for e in events if e["ctcae_grade"] == g)}
                for g, label in CTCAE_GRADES
            ],
            "by_criterion": [
                {
                    "code": c,
                    "label": str(label),
                    "count": sum(1 for e in serious if c in _criteria(e)),
                }
                for c, label in SERIOUSNESS_CRITERIA
            ],
            # proportion of patients with at least one event (Clopper-Pearson)
            "patient_rate": _rate(len(patients_with), n_pat, model="binomial"),
            "patient_serious_rate": _rate(len(patients_serious), n_pat, model="binomial"),
            # every event per 100 administrations (Garwood)
            "administration_rate": _rate(len(events), n_adm, model="poisson"),
            "administration_serious_rate": _rate(len(serious), n_adm, model="poisson"),
        }


def _exposure(product: Product, period: Period | None) -> list[dict]:
    """One row per (administration, lot) of the product: one query."""
    rows = AdministeredAliquot.objects.filter(aliquot__lot__product=product)
    if period is not None:
        start, end = period.bounds()
        rows = rows.filter(
            administration__administered_at__gte=start, administration__administered_at__lt=end
        )
    return list(rows.values("administration_id", "administration__patient_id", "aliquot__lot_id").distinct())


def _events(adm_ids: set) -> list[dict]:
    if not adm_ids:
        return []
    return list(
        AdverseEvent.objects.filter(administration_id__in=adm_ids)
        .order_by("onset", "id")
        .values(
            "id", "number", "administration_id", "patient_id", "ctcae_grade", "serious",
            "seriousness_criteria", "causality", "outcome",
        )
    )  # fmt: skip


def _lots(product: Product) -> list[dict]:
    return list(
        Lot.objects.filter(product=product)
        .order_by("number")
        .values("id", "number", "status", "manufactured_on", "expiry")
    )


def _retention(lot_ids: list[int]) -> dict[int, list[dict]]:
    if not lot_ids:
        return {}
    samples = defaultdict(list)
    rows = (
        RetentionSample.objects.filter(lot_id__in=lot_ids)
        .order_by("lot_id", "retain_until", "id")
        .values(
            "id", "lot_id", "aliquot__container_id", "quantity", "location__code", "taken_on",
            "retain_until", "status", "reason",
        )
    )  # fmt: skip
    labels = dict(RetentionSample.STATUSES)
    for r in rows:
        samples[r["lot_id"]].append({**r, "status_label": str(labels.get(r["status"], r["status"]))})
    return dict(samples)


# --- outcomes -----------------------------------------------------------------------------------


def _visit_state(visit: dict, today: dt.date) -> str:
    """done / missed / overdue (window closed, nothing recorded) / pending (window open or ahead)."""
    if visit["status"] in ("done", "missed"):
        return visit["status"]
    return "overdue" if today > visit["window_end"] else "pending"


def _outcome(use: InstrumentUse, baselines: dict, visits: list[dict], today: dt.date) -> dict:
    instrument = use.instrument
    direction = instrument.direction
    mid = float(instrument.minimal_important_difference) if instrument.minimal_important_difference else None
    by_month: dict[int, list[dict]] = defaultdict(list)
    for v in visits:
        by_month[v["month"]].append(v)
    # a stored schedule that is not a list of whole months must not break the page
    planned = use.follow_up_months if isinstance(use.follow_up_months, list) else []
    threshold = None if instrument.needs_baseline else instrument_responder_threshold(instrument.definition)
    months = sorted({m for m in planned if isinstance(m, int) and not isinstance(m, bool)} | set(by_month))
    rows = []
    for month in months:
        states = defaultdict(int)
        before, after, ratings = [], [], []
        for v in by_month.get(month, []):
            state = _visit_state(v, today)
            states[state] += 1
            if state != "pending":
                ratings.append(float(v["evaluation__score"]) if state == "done" else None)
            baseline = baselines.get(v["baseline_id"])
            if state == "pending" or baseline is None:
                continue
            before.append(float(baseline))
            after.append(float(v["evaluation__score"]) if state == "done" else None)
        expected = states["done"] + states["missed"] + states["overdue"]
        # an instrument that rates change itself has no baseline: no change from it is computed
        paired = expected and instrument.needs_baseline
        change = stats.paired_change(before, after, CONFIDENCE, direction).to_dict() if paired else None
        responders = (
            stats.mid_responders(
                before, after, mid, direction, expected=expected, confidence=CONFIDENCE
            ).to_dict()
            if paired and mid
            else None
        )
        rows.append(
            {
                "month": month,
                "expected": expected,
                "done": states["done"],
                "missed": states["missed"],
                "overdue": states["overdue"],
                "missing": states["missed"] + states["overdue"],
                "pending": states["pending"],
                "complete": expected > 0 and states["done"] == expected,
                "change": change,
                "responders": responders,
                # an instrument rating the change itself: its ratings and responders, no baseline
                "ratings": stats.rating_responders(
                    ratings, threshold, direction, expected=expected, confidence=CONFIDENCE
                ).to_dict()
                if expected and not instrument.needs_baseline and threshold is not None
                else None,
            }
        )
    return {
        "use_id": use.pk,
        "code": instrument.code,
        "version": instrument.version,
        "name": {"en": instrument.name_en, "ja": instrument.name_ja},
        "unit": instrument.unit,
        "direction": direction,
        "direction_label": str(instrument.get_direction_display()),
        "mid": mid,
        "indication_code": use.indication_code,
        "baselines": len(baselines),
        "needs_baseline": instrument.needs_baseline,
        "threshold": threshold,
        "months": rows,
    }


def _outcomes(product: Product, adm_ids: set, today: dt.date) -> list[dict]:
    """Per instrument use of the product: four queries in all (uses, baselines, visits)."""
    uses = list(
        InstrumentUse.objects.filter(product=product)
        .select_related("instrument")
        .order_by("instrument__code", "indication_code", "id")
    )
    if not uses or not adm_ids:
        return []
    baselines: dict[int, dict[int, object]] = defaultdict(dict)
    for b in Evaluation.objects.filter(
        instrument_use__product=product, kind="baseline", administration_id__in=adm_ids
    ).values("id", "instrument_use_id", "score"):
        baselines[b["instrument_use_id"]][b["id"]] = b["score"]
    visits: dict[int, list[dict]] = defaultdict(list)
    for v in (
        FollowUpVisit.objects.filter(instrument_use__product=product, administration_id__in=adm_ids)
        .order_by("month", "id")
        .values("baseline_id", "instrument_use_id", "month", "status", "window_end", "evaluation__score")
    ):
        visits[v["instrument_use_id"]].append(v)
    return [
        _outcome(use, baselines[use.pk], visits[use.pk], today)
        for use in uses
        if baselines[use.pk] or visits[use.pk] or use.active
    ]


# --- the whole summary --------------------------------------------------------------------------


def product_evidence(product: Product, *, period: Period | None = None, today: dt.date | None = None) -> dict:
    """Everything the evidence page and the yearly report show of `product` (over `period`)."""
    today = today or timezone.localdate()
    exposure = _exposure(product, period)
    lots = _lots(product)
    whole = _Tally()
    per_lot: dict[int, _Tally] = {lot["id"]: _Tally() for lot in lots}
    lots_of_adm: dict[int, set] = defaultdict(set)
    for row in exposure:
        adm, patient, lot_id = (
            row["administration_id"],
            row["administration__patient_id"],
            row["aliquot__lot_id"],
        )
        whole.administrations.add(adm)
        whole.patients.add(patient)
        per_lot[lot_id].administrations.add(adm)
        per_lot[lot_id].patients.add(patient)
        lots_of_adm[adm].add(lot_id)
    events = _events(whole.administrations)
    whole.events = events
    for e in events:
        for lot_id in lots_of_adm[e["administration_id"]]:
            per_lot[lot_id].events.append(e)

    given = [lot for lot in lots if per_lot[lot["id"]].administrations]
    signals = {
        s.lot: s.to_dict()
        for s in stats.lot_signal(
            {lot["number"]: (len(per_lot[lot["id"]].events), len(per_lot[lot["id"]].administrations)) for lot in given},
            alpha=ALPHA,
        )
    } if given else {}  # fmt: skip
    flagged_ids = [lot["id"] for lot in given if signals[lot["number"]]["flagged"]]
    retention = _retention(flagged_ids)
    lot_rows = [
        {
            **lot,
            **per_lot[lot["id"]].summary(),
            "signal": signals.get(lot["number"]),
            "flagged": lot["id"] in flagged_ids,
            "retention_samples": retention.get(lot["id"], []),
        }
        for lot in given
    ]
    return {
        "product": product,
        "period": period,
        "today": today,
        "confidence": CONFIDENCE,
        "alpha": ALPHA,
        "per": PER_ADMINISTRATIONS,
        "summary": whole.summary(),
        "events": events,
        "lots": lot_rows,
        "flagged": [row for row in lot_rows if row["flagged"]],
        "lots_tested": next((s["lots_tested"] for s in signals.values()), 0),
        "outcomes": _outcomes(product, whole.administrations, today),
        "methods": stats.method_labels(),
    }
