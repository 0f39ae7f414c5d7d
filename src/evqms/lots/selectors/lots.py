"""Lots as lists and as their whole story (`lot_detail`: what the lot page, `evqms lots show`, the
API and the certificate of analysis tell), and the dashboard card."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from evqms.audit.selectors import signatures_for
from evqms.core import identifiers
from evqms.core.canonical import canonical_hash
from evqms.dossier.models import SpecAttribute
from evqms.equipment.models import Instrument
from evqms.i18n import _
from evqms.lots.display import criterion_text
from evqms.lots.holds import active_holds
from evqms.lots.models import Deviation, Lot, LotHold, MaterialUsage, ParameterValue, QCResult, StepRecord
from evqms.lots.records import lot_release_record
from evqms.lots.selectors.microbiology import controls_by_result, controls_text
from evqms.lots.selectors.qc import current_results, specification_attributes
from evqms.lots.selectors.release import release_checklist, release_gate

RELATED = ("product", "process", "specification", "cell_bank", "created_by")


def _open_deviation_count():
    # A correlated sub-query, not Count(): grouping every lot before LIMIT made the page 450 ms
    # at 100,000 lots on PostgreSQL; this is 9 ms (benchmarks/trace_scale.py).
    open_ones = (
        Deviation.affected_lots.through.objects.filter(lot=OuterRef("pk"), deviation__status="open")
        .order_by()
        .values("lot")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(open_ones, output_field=IntegerField()), 0)


def lot_list(status: str | None = None, product=None, search: str | None = None):
    """Lots with product, process, specification and cell bank joined (one query); `product` is a
    Product or its code."""
    qs = Lot.objects.select_related(*RELATED).annotate(open_deviations=_open_deviation_count())
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
    return Lot.objects.select_related(*RELATED).filter(number=number).first()


def dashboard_card(user) -> dict | None:
    if not user.has_perm("lots.view"):
        return None
    counts = dict(
        Lot.objects.filter(status__in=("qc", "quarantine")).values_list("status").annotate(n=Count("id"))
    )
    return {
        "title": _("Lots"),
        "value": counts.get("qc", 0) + counts.get("quarantine", 0),
        "caption": _("in QC: {qc}, awaiting release: {quarantine}").format(
            qc=counts.get("qc", 0), quarantine=counts.get("quarantine", 0)
        ),
        "url_name": "lots:lot-list",
    }


# --- the whole story ----------------------------------------------------------------------


def lot_detail(lot: Lot) -> dict:
    """Everything the lot page and `evqms lots show` tell, as plain data (dates and Decimals kept).

    The QC results are read once: the current results, the release gate, the signed record and the
    results table share them."""
    return lot_detail_read(lot).story


@dataclass(frozen=True)
class LotDetail:
    """`lot_detail` with what the lot page reads of the same request besides the story."""

    lot: Lot  # read again, with its product, process, specification, cell bank and creator
    story: dict  # what `lot_detail` returns
    attributes: list[SpecAttribute]  # of the lot's specification, in specification order
    holds: list[LotHold]  # the active holds (the banner and the release gate)


def lot_detail_read(lot: Lot) -> LotDetail:
    """The lot's story and the records the page needs beside it, each read once.

    Deviations and holds are read once for the results table, the deviation list and the release
    gate; what a signature signs (`lot_release_record`: materials, steps and results again, then
    hashed) is read only when the lot has a signature to check it against."""
    lot = Lot.objects.select_related(*RELATED).get(pk=lot.pk)
    attributes = specification_attributes(lot)
    results = _qc_results(lot, attributes)
    current = current_results(lot, results, attributes=attributes)
    usages = list(
        MaterialUsage.objects.filter(lot=lot)
        .select_related("material_lot__material", "recorded_by")
        .order_by("id")
    )
    deviations = list(
        Deviation.objects.filter(affected_lots=lot)
        .select_related("opened_by", "closed_by", "lot")
        .prefetch_related("affected_lots")
        .order_by("opened_at", "id")
    )
    holds = active_holds(lot)
    checklist = release_checklist(lot)
    gate = release_gate(
        lot,
        current=current,
        checklist=checklist,
        open_deviations=[(d.number, d.classification) for d in deviations if d.status == "open"],
        holds=holds,
    )
    story = {
        **_facts(lot),
        "animal_components": sorted(
            {u.material_lot.animal_species for u in usages if u.material_lot.animal_species}
        ),
        "materials": [_material(u) for u in usages],
        "steps": _steps(lot),
        "results": _results(lot, results, current, deviations),
        "current_results": [_current(e) for e in current],
        "deviations": [_deviation(d, lot) for d in deviations],
        "signatures": _signatures(lot, results),
        "release_gate": [p.to_dict() for p in gate],
        "release_checklist": [c.to_dict() for c in checklist],
        "releasable": not gate,
    }
    return LotDetail(lot=lot, story=story, attributes=attributes, holds=holds)


def _qc_results(lot: Lot, attributes: list[SpecAttribute]) -> list[QCResult]:
    """What `lot_qc_results(lot)` reads, in its order, with each result's attribute, analyst and
    verifier read once each and attached, not joined to every row: 50 results name a handful of
    attributes and people, and building them again per row was most of the page's read."""
    results = list(
        QCResult.objects.filter(lot=lot).order_by("attribute__order", "attribute__id", "recorded_at", "id")
    )
    by_id = {a.pk: a for a in attributes}
    missing = {r.attribute_id for r in results} - by_id.keys()
    if missing:  # a result of an attribute no longer in the lot's specification
        by_id.update(SpecAttribute.objects.in_bulk(missing))
    people = get_user_model().objects.in_bulk(
        {r.analyst_id for r in results} | {r.verified_by_id for r in results if r.verified_by_id}
    )
    named = {r.instrument_id for r in results if r.instrument_id}
    instruments = Instrument.objects.in_bulk(named) if named else {}
    for r in results:
        r.attribute = by_id[r.attribute_id]
        r.analyst = people[r.analyst_id]
        r.verified_by = people[r.verified_by_id] if r.verified_by_id else None
        if r.instrument_id:
            r.instrument = instruments[r.instrument_id]
    return results


def _user(u) -> dict | None:
    if u is None:
        return None
    return {"username": u.get_username(), "printed_name": u.signature_name()}


def _facts(lot: Lot) -> dict:
    """The lot's own record: what it is, made from what, and where it stands."""
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
    }


def _material(u: MaterialUsage) -> dict:
    return {
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


def _steps(lot: Lot) -> list[dict]:
    steps = (
        StepRecord.objects.filter(lot=lot)
        .select_related("step", "operator", "room")
        .prefetch_related(
            Prefetch(
                "values",
                queryset=ParameterValue.objects.select_related("parameter", "deviation").order_by("id"),
            ),
            "instruments",
        )
        .order_by("step__order", "id")
    )
    return [
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
            "room": s.room.code if s.room_id else None,
            "instruments": sorted(i.identifier for i in s.instruments.all()),
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
    ]


def _results(
    lot: Lot, results: list[QCResult], current: list[dict], deviations: list[Deviation]
) -> list[dict]:
    """Every QC result with its frozen limits, whether it is the one that counts, its retests and
    the OOS deviation it opened (`deviations`: the lot's, oldest first)."""
    current_ids = {e["result"].pk for e in current if e["result"] is not None}
    oos_deviation = {d.qc_result_id: d.number for d in deviations if d.qc_result_id is not None}
    # The verdict's name looked up once: get_verdict_display() hashes every lazy choice per call.
    verdict_names = {k: str(v) for k, v in QCResult._meta.get_field("verdict").flatchoices}
    controls = controls_by_result(r.pk for r in results)
    retests: dict[int, list[int]] = {}
    for x in results:
        if x.retest_of_id is not None:
            retests.setdefault(x.retest_of_id, []).append(x.pk)
    return [
        {
            "id": r.pk,
            "attribute": r.attribute.code,
            "attribute_name": r.attribute.name,
            "kind": r.attribute.kind,
            "stage": r.attribute.stage,
            "is_cqa": r.attribute.is_cqa,
            "censor": r.censor,
            "value": r.value,
            "unit": r.unit,
            "value_in_spec_unit": r.value_in_spec_unit,
            "reported_value": r.reported_value,
            "text_value": r.text_value,
            "method": r.method,
            "instrument": r.instrument.identifier if r.instrument_id else None,
            "limits": r.limits,
            "criterion": criterion_text(r.limits),
            "verdict": r.verdict,
            "verdict_display": verdict_names.get(r.verdict, r.verdict),
            "oos": r.verdict == "fail",
            "oos_deviation": oos_deviation.get(r.pk),
            "status": r.status,
            "current": r.pk in current_ids,
            "invalidation_reason": r.invalidation_reason,
            "retest_of": r.retest_of_id,
            "retests": retests.get(r.pk, []),
            "analyst": _user(r.analyst),
            "tested_at": r.tested_at,
            "recorded_at": r.recorded_at,
            "verified_by": _user(r.verified_by),
            "verified_at": r.verified_at,
            "raw_file_name": r.raw_file_name,
            "raw_file_sha256": r.raw_file_sha256,
            "raw_file_url": reverse("lots:qc-raw", args=[lot.number, r.pk]) if r.raw_file else None,
            **({"controls": controls_text(controls[r.pk])} if r.pk in controls else {}),
        }
        for r in results
    ]


def _current(e: dict) -> dict:
    return {
        "attribute": e["attribute"].code,
        "attribute_name": e["attribute"].name,
        "stage": e["attribute"].stage,
        "result_id": e["result"].pk if e["result"] else None,
        "verdict": e["result"].verdict if e["result"] else None,
        "verified": bool(e["result"] and e["result"].verified_by_id),
        "standing_oos": [r.pk for r in e["standing_oos"]],
    }


def _deviation(d: Deviation, lot: Lot) -> dict:
    return {
        "id": d.pk,
        "number": d.number,
        "other_lots": sorted(other.number for other in d.affected_lots.all() if other.pk != lot.pk),
        "classification": d.classification,
        "classification_display": str(d.get_classification_display()),
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


def _signatures(lot: Lot, results: list[QCResult]) -> list[dict]:
    """The lot's signatures, each with whether it still applies to what a release signs now."""
    statuses = signatures_for("lot", lot.pk)
    if statuses:
        # The comparison signatures_for makes when given the record, made here only for a signed lot.
        current = canonical_hash(lot_release_record(lot, results))
        statuses = [replace(s, applies_to_current=s.signature.record_hash == current) for s in statuses]
    return [
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
        for s in statuses
    ]
