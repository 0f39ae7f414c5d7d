"""Reads for lots: lists, the whole story of one lot, current results, the release gate and the
dashboard card."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from evqms.core import identifiers
from evqms.i18n import _, bilingual, use_language
from evqms.lots.evaluation import criterion_text
from evqms.lots.holds import active_holds
from evqms.lots.models import Deviation, Lot, MaterialUsage, ParameterValue, QCResult, StepRecord
from evqms.lots.records import lot_qc_results, lot_release_record

PASSING = ("pass", "alert")


def _open_deviation_count():
    # A correlated sub-query, not Count(): grouping every lot before LIMIT made the page 450 ms
    # at 100,000 lots on PostgreSQL; this is 9 ms (benchmarks/trace_scale.py).
    open_ones = (
        Deviation.objects.filter(lot=OuterRef("pk"), status="open")
        .order_by()
        .values("lot")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(open_ones, output_field=IntegerField()), 0)


def lot_list(status: str | None = None, product=None, search: str | None = None):
    """Lots with product, process, specification and cell bank joined (one query); `product` is a
    Product or its code."""
    qs = Lot.objects.select_related(
        "product", "process", "specification", "cell_bank", "created_by"
    ).annotate(open_deviations=_open_deviation_count())
    # Text from a query string: no NUL (PostgreSQL refuses it), and searched as identifiers are stored (NFKC).
    if status:
        qs = qs.filter(status=status.replace("\x00", ""))
    if product:
        if isinstance(product, str):
            qs = qs.filter(product__code=product.replace("\x00", ""))
        else:
            qs = qs.filter(product=product)
    if search:
        term = identifiers.normalise(search.replace("\x00", ""))
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(product__code__icontains=term)
            | Q(product__name__icontains=term)
            | Q(cell_bank__code__icontains=term)
        )
    return qs.order_by("-manufactured_on", "-id")


def get_lot(number: str) -> Lot | None:
    return (
        Lot.objects.select_related("product", "process", "specification", "cell_bank", "created_by")
        .filter(number=number)
        .first()
    )


def current_results(lot: Lot, results: list[QCResult] | None = None) -> list[dict]:
    """One entry per attribute of the lot's specification, in specification order:
    {"attribute": SpecAttribute, "result": the latest VALID QCResult or None,
     "standing_oos": [valid failing results other than the latest], "history": every result}.
    """
    results = lot_qc_results(lot) if results is None else results
    out = []
    for attribute in lot.specification.attributes.all().order_by("order", "id"):
        mine = [r for r in results if r.attribute_id == attribute.pk]
        valid = [r for r in mine if r.status == "valid"]
        latest = valid[-1] if valid else None
        out.append(
            {
                "attribute": attribute,
                "result": latest,
                "standing_oos": [r for r in valid if r.verdict == "fail" and r is not latest],
                "history": mine,
            }
        )
    return out


# --- release gate -------------------------------------------------------------------------


@dataclass(frozen=True)
class GateProblem:
    code: str  # status, missing_result, unverified, oos, standing_oos, open_deviation, expired
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
) -> list[GateProblem]:
    """Everything that stops the release of `lot` now; an empty list means it may be released.

    The lot is in quarantine; every release-stage attribute has a latest valid result that is
    verified and passes (pass or alert), and no other valid result of it is out of specification
    (an OOS stands until it is invalidated with a documented reason); no deviation is open; the
    expiry date has not passed; the release checklist is clear. A caller that already holds
    `current_results(lot)` or `release_checklist(lot)` (the lot page) passes them, so neither is
    read twice in one request.
    """
    today = today or timezone.localdate()
    problems = []
    if lot.status != "quarantine":
        status = lot.status
        problems.append(
            GateProblem(
                "status",
                _both("the lot is {status}, not in quarantine", status=lambda lang: _status_text(status)),
                status,
            )
        )
    for entry in current_results(lot) if current is None else current:
        attribute, result = entry["attribute"], entry["result"]
        if attribute.stage != "release":
            continue
        code = attribute.code
        if result is None:
            problems.append(
                GateProblem("missing_result", _both("{attribute}: no valid result", attribute=code), code)
            )
            continue
        if result.verdict not in PASSING:
            problems.append(
                GateProblem(
                    "oos",
                    _both("{attribute}: the latest result is out of specification", attribute=code),
                    code,
                )
            )
        if not result.verified_by_id:
            problems.append(
                GateProblem(
                    "unverified",
                    _both("{attribute}: the result is not verified by a second person", attribute=code),
                    code,
                )
            )
        if entry["standing_oos"]:
            problems.append(
                GateProblem(
                    "standing_oos",
                    _both(
                        "{attribute}: an earlier out-of-specification result is still valid (invalidate it with a "
                        "documented reason, or reject the lot)",
                        attribute=code,
                    ),
                    code,
                )
            )
    for number in Deviation.objects.filter(lot=lot, status="open").values_list("number", flat=True):
        problems.append(
            GateProblem("open_deviation", _both("deviation {number} is open", number=number), number)
        )
    for hold in active_holds(lot):  # a recall or a QA hold upstream (placed and lifted by trace)
        template = (
            "the lot is on hold under recall {number}"
            if hold.source_kind == "recall"
            else "the lot is on hold under hold {number}"
        )
        problems.append(GateProblem("hold", _both(template, number=hold.source), hold.source))
    if lot.expiry is not None and lot.expiry < today:
        expiry = lot.expiry.isoformat()
        problems.append(GateProblem("expired", _both("the lot expired on {date}", date=expiry), expiry))
    checklist = release_checklist(lot) if checklist is None else checklist
    problems += [item.problem for item in checklist if not item.ok]
    return problems


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
    from evqms.dossier.models import Specification

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
    items = []
    shelf = approved_shelf_life(lot)
    if lot.expiry is None:
        items.append(CheckItem("no_expiry", False, _both("the lot has no expiry date")))
    elif shelf is None:
        items.append(
            CheckItem(
                "no_shelf_life",
                False,
                _both(
                    "no shelf life is approved for product {product}: approve one with a specification version",
                    product=lot.product.code,
                ),
                lot.product.code,
            )
        )
    else:
        limit = add_months(lot.manufactured_on, shelf.months)
        values = dict(
            expiry=lot.expiry.isoformat(),
            made=lot.manufactured_on.isoformat(),
            months=shelf.months,
            limit=limit.isoformat(),
            source=shelf.source,
        )
        if lot.expiry > limit:
            items.append(
                CheckItem(
                    "expiry_beyond_shelf_life",
                    False,
                    _both(
                        "the expiry {expiry} is later than manufacture {made} + the approved shelf life of "
                        "{months} months ({limit}; source: {source})",
                        **values,
                    ),
                    limit.isoformat(),
                )
            )
        else:
            items.append(
                CheckItem(
                    "expiry_within_shelf_life",
                    True,
                    _both(
                        "expiry {expiry} is within manufacture {made} + the approved shelf life of {months} "
                        "months ({limit}; source: {source})",
                        **values,
                    ),
                    limit.isoformat(),
                )
            )
    if lot.product.retention_sample_required:
        # inventory.RetentionSample points at the lot (related name), so no import of inventory here.
        kept = lot.retention_samples.filter(status="in_stock").exists()
        code = lot.product.code
        if kept:
            items.append(
                CheckItem("retention_sample_kept", True, _both("a retention sample of the lot is kept"), code)
            )
        else:
            items.append(
                CheckItem(
                    "no_retention_sample",
                    False,
                    _both(
                        "product {product} requires a retention sample: none of this lot is in stock",
                        product=code,
                    ),
                    code,
                )
            )
    return items


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


# --- the whole story ----------------------------------------------------------------------


def _user(u) -> dict | None:
    if u is None:
        return None
    return {"username": u.get_username(), "printed_name": u.signature_name()}


def lot_detail(lot: Lot) -> dict:
    """Everything the lot page and `evqms lots show` tell, as plain data (dates and Decimals kept)."""
    from evqms.audit.selectors import signatures_for

    lot = Lot.objects.select_related("product", "process", "specification", "cell_bank", "created_by").get(
        pk=lot.pk
    )
    results = lot_qc_results(lot)
    current = current_results(lot, results)
    current_ids = {e["result"].pk for e in current if e["result"] is not None}
    oos_deviation = {
        d.qc_result_id: d.number for d in Deviation.objects.filter(lot=lot, qc_result__isnull=False)
    }
    release_record = lot_release_record(lot, results)
    usages = MaterialUsage.objects.filter(lot=lot).select_related("material_lot__material", "recorded_by")
    steps = (
        StepRecord.objects.filter(lot=lot)
        .select_related("step", "operator")
        .prefetch_related(
            Prefetch(
                "values",
                queryset=ParameterValue.objects.select_related("parameter", "deviation").order_by("id"),
            )
        )
        .order_by("step__order", "id")
    )
    checklist = release_checklist(lot)
    gate = release_gate(lot, current=current, checklist=checklist)
    return {
        "id": lot.pk,
        "number": lot.number,
        "status": lot.status,
        "status_display": str(lot.get_status_display()),
        "product": {"code": lot.product.code, "name": lot.product.name, "dose_unit": lot.product.dose_unit},
        "process": {"id": lot.process_id, "version": lot.process.version, "status": lot.process.status},
        "specification": {
            "id": lot.specification_id,
            "version": lot.specification.version,
            "status": lot.specification.status,
        },
        "cell_bank": {
            "code": lot.cell_bank.code,
            "kind": lot.cell_bank.kind,
            "passage": lot.cell_bank.passage,
        },
        "manufactured_on": lot.manufactured_on,
        "expiry": lot.expiry,
        "volume_ml": lot.volume_ml,
        "notes": lot.notes,
        "created_by": _user(lot.created_by),
        "created_at": lot.created_at,
        "released_at": lot.released_at,
        "release_signature_id": lot.release_signature_id,
        "animal_components": sorted(
            {u.material_lot.animal_species for u in usages if u.material_lot.animal_species}
        ),
        "materials": [
            {
                "material": u.material_lot.material.name,
                "kind": u.material_lot.material.kind,
                "lot_number": u.material_lot.lot_number,
                "quantity": u.quantity,
                "unit": u.unit,
                "expiry": u.material_lot.expiry,
                "is_biological": u.material_lot.is_biological,
                "animal_species": u.material_lot.animal_species,
                "animal_tissue": u.material_lot.animal_tissue,
                "animal_component_free": u.material_lot.animal_component_free,
                "recorded_by": _user(u.recorded_by),
                "recorded_at": u.recorded_at,
            }
            for u in usages.order_by("id")
        ],
        "steps": [
            {
                "id": s.pk,
                "order": s.step.order,
                "name": s.step.name,
                "kind": s.step.kind,
                "method": s.step.method,
                "operator": _user(s.operator),
                "started_at": s.started_at,
                "finished_at": s.finished_at,
                "notes": s.notes,
                "values": [
                    {
                        "parameter": v.parameter.name,
                        "value": v.value,
                        "unit": v.unit,
                        "low": v.parameter.low,
                        "high": v.parameter.high,
                        "critical": v.parameter.critical,
                        "in_range": v.in_range,
                        "deviation": v.deviation.number if v.deviation_id else None,
                    }
                    for v in s.values.all()
                ],
            }
            for s in steps
        ],
        "results": [
            {
                "id": r.pk,
                "attribute": r.attribute.code,
                "attribute_name": r.attribute.name,
                "kind": r.attribute.kind,
                "stage": r.attribute.stage,
                "is_cqa": r.attribute.is_cqa,
                "value": r.value,
                "unit": r.unit,
                "value_in_spec_unit": r.value_in_spec_unit,
                "reported_value": r.reported_value,
                "text_value": r.text_value,
                "method": r.method,
                "limits": r.limits,
                "criterion": criterion_text(r.limits),
                "verdict": r.verdict,
                "verdict_display": str(r.get_verdict_display()),
                "oos": r.verdict == "fail",
                "oos_deviation": oos_deviation.get(r.pk),
                "status": r.status,
                "current": r.pk in current_ids,
                "invalidation_reason": r.invalidation_reason,
                "retest_of": r.retest_of_id,
                "retests": [x.pk for x in results if x.retest_of_id == r.pk],
                "analyst": _user(r.analyst),
                "tested_at": r.tested_at,
                "recorded_at": r.recorded_at,
                "verified_by": _user(r.verified_by),
                "verified_at": r.verified_at,
                "raw_file_name": r.raw_file_name,
                "raw_file_sha256": r.raw_file_sha256,
                "raw_file_url": reverse("lots:qc-raw", args=[lot.number, r.pk]) if r.raw_file else None,
            }
            for r in results
        ],
        "current_results": [
            {
                "attribute": e["attribute"].code,
                "attribute_name": e["attribute"].name,
                "stage": e["attribute"].stage,
                "result_id": e["result"].pk if e["result"] else None,
                "verdict": e["result"].verdict if e["result"] else None,
                "verified": bool(e["result"] and e["result"].verified_by_id),
                "standing_oos": [r.pk for r in e["standing_oos"]],
            }
            for e in current
        ],
        "deviations": [
            {
                "id": d.pk,
                "number": d.number,
                "source": d.source,
                "source_display": str(d.get_source_display()),
                "description": d.description,
                "status": d.status,
                "opened_by": _user(d.opened_by),
                "opened_at": d.opened_at,
                "closed_by": _user(d.closed_by),
                "closed_at": d.closed_at,
                "resolution": d.resolution,
                "qc_result": d.qc_result_id,
            }
            for d in Deviation.objects.filter(lot=lot)
            .select_related("opened_by", "closed_by")
            .order_by("opened_at")
        ],
        "signatures": [
            {
                "id": s.signature.pk,
                "printed_name": s.signature.printed_name,
                "username": s.signature.signer.get_username(),
                "signed_at": s.signature.signed_at,
                "meaning": s.signature.meaning,
                "meaning_display": str(s.signature.get_meaning_display()),
                "reason": s.signature.reason,
                "record_hash": s.signature.record_hash,
                "invalidated": s.invalidated,
                "applies_to_current": s.applies_to_current,
                "valid": s.valid,
            }
            for s in signatures_for("lot", lot.pk, release_record)
        ],
        "release_gate": [p.to_dict() for p in gate],
        "release_checklist": [c.to_dict() for c in checklist],
        "releasable": not gate,
    }


def dashboard_card(user) -> dict | None:
    if not user.has_perm("lots.view"):
        return None
    from django.urls import NoReverseMatch, reverse

    counts = dict(
        Lot.objects.filter(status__in=("qc", "quarantine")).values_list("status").annotate(n=Count("id"))
    )
    try:
        reverse("lots:lot-list")
        url_name = "lots:lot-list"
    except NoReverseMatch:
        url_name = None
    return {
        "title": _("Lots"),
        "value": counts.get("qc", 0) + counts.get("quarantine", 0),
        "caption": _("in QC: {qc}, awaiting release: {quarantine}").format(
            qc=counts.get("qc", 0), quarantine=counts.get("quarantine", 0)
        ),
        "url_name": url_name,
    }
