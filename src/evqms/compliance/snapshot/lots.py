"""The lots in the evidence snapshot: step records, valid QC results, release, and deviations.

Each kind of record is read for all the product's lots in one query and grouped by lot here, so the
snapshot costs the same few queries at 4 lots as at 10,000 (a query per lot and kind was ten
seconds at 1,000 lots)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F

from evqms.compliance.snapshot.ids import (
    CHUNK,
    LOT_STATUS,
    attribute_category,
    attribute_id,
    local_date_function,
    num,
    sharer,
)
from evqms.dossier.models import SpecAttribute
from evqms.guidance import evidence as ev
from evqms.guidance import vocabulary
from evqms.lots.models import Deviation, Lot, MaterialUsage, ParameterValue, QCResult, StepRecord

QC_FIELDS = (
    "lot_id",
    "attribute_id",
    "analyst_id",
    "censor",
    "value",
    "unit",
    "value_in_spec_unit",
    "reported_value",
    "text_value",
    "method",
    "tested_at",
    "derived",
    "raw_file_sha256",
    "instrument__identifier",
)


class _Attribute:
    """What a result takes from its specification attribute, worked out once per attribute, not
    once per result (the category and marker are inferred from text)."""

    __slots__ = ("id", "unit", "marker", "marker_category")

    def __init__(self, attribute):
        self.id = attribute_id(attribute)
        self.unit = attribute.unit
        self.marker = self.marker_category = None  # None: not an EV-marker attribute
        if attribute_category(attribute) == "ev_marker":
            marker = attribute.marker or vocabulary.infer_marker(attribute.code, attribute.name)
            self.marker = marker or attribute.name
            self.marker_category = vocabulary.marker_category(marker) if marker else ""


def _size_stat(size: dict, key: str) -> Decimal | None:
    figure = size.get(key)
    return num(Decimal(str(figure))) if isinstance(figure, (int, float, str)) and figure != "" else None


def _qc_result(row: tuple, attribute: _Attribute, analyst: str, local_date, shared) -> ev.QCResult:
    """`row` a tuple of QC_FIELDS; `shared` gives the one copy of a repeated text (units, methods,
    results), so 180,000 results at 10,000 lots do not each hold their own."""
    (
        _lot,
        _attr,
        _analyst,
        censor,
        entered,
        unit,
        in_spec_unit,
        reported,
        text_value,
        method,
        tested_at,
        derived,
        sha,
        instrument,
    ) = row
    value = reported
    if value is None:
        value = in_spec_unit if in_spec_unit is not None else entered
    derived = derived or {}
    size = derived.get("size_nm") if isinstance(derived.get("size_nm"), dict) else {}
    markers = []
    text = text_value.strip().lower()
    if attribute.marker is not None and text in ("positive", "negative"):
        markers.append(
            ev.MarkerResult(marker=attribute.marker, result=shared(text), category=attribute.marker_category)
        )
    return ev.QCResult(
        attribute=attribute.id,
        tested_on=local_date(tested_at),
        value=num(value),
        censor=censor if value is not None else "",  # "<0.05": the value is its bound
        # Reported and converted values are in the specification's unit; a value as entered is in its own.
        unit=(
            ""
            if value is None
            else shared(unit or attribute.unit)
            if reported is None and in_spec_unit is None
            else attribute.unit
        ),
        result=shared(text_value),
        method=shared(method),
        replicates=derived.get("videos") if isinstance(derived.get("videos"), int) else None,
        markers=markers,
        mode_nm=_size_stat(size, "mode"),
        d10_nm=_size_stat(size, "d10"),
        d50_nm=_size_stat(size, "d50"),
        d90_nm=_size_stat(size, "d90"),
        analyst=analyst,
        raw_file_sha256=sha,
        instrument=shared(instrument or ""),
    )


def _usernames(ids) -> dict[int, str]:
    user = get_user_model()
    return dict(user.objects.filter(pk__in=ids).values_list("pk", user.USERNAME_FIELD))


def _step_records(lot_ids, shared) -> tuple[dict, dict, dict]:
    """({lot id: [(record id, step name, operator id, where)]} in step order, where = (room code,
    started at, finished at); {record id: {parameter: value}}, {(lot id, deviation id):
    'step/parameter'} for the values that opened a deviation)."""
    records = defaultdict(list)
    for pk, lot_id, step, operator_id, room, started_at, finished_at in (
        StepRecord.objects.filter(lot__in=lot_ids)
        .order_by("lot_id", "step__order", "id")
        .values_list("pk", "lot_id", "step__name", "operator_id", "room__code", "started_at", "finished_at")
        .iterator(chunk_size=CHUNK)
    ):
        records[lot_id].append((pk, shared(step), operator_id, (shared(room or ""), started_at, finished_at)))
    parameters, parameter_of = defaultdict(dict), {}
    for record_id, lot_id, name, step, value, deviation_id in (
        ParameterValue.objects.filter(step_record__lot__in=lot_ids)
        .order_by("id")
        .values_list(
            "step_record_id",
            "step_record__lot_id",
            "parameter__name",
            "parameter__step__name",
            "value",
            "deviation_id",
        )
        .iterator(chunk_size=CHUNK)
    ):
        parameters[record_id][shared(name)] = num(value)
        if deviation_id is not None:
            parameter_of[lot_id, deviation_id] = f"{step}/{name}"  # as ids.parameter_ref names it
    return records, parameters, parameter_of


def _valid_results(lot_ids) -> tuple[dict, set]:
    """{lot id: [result row as a tuple of QC_FIELDS]} of the valid QC results, in the order the lot
    page lists them, and the analysts' ids."""
    by_lot, analysts = defaultdict(list), set()
    for row in (
        QCResult.objects.filter(lot__in=lot_ids, status="valid")
        .order_by("lot_id", "attribute__order", "recorded_at", "id")
        .values_list(*QC_FIELDS)
        .iterator(chunk_size=CHUNK)
    ):
        by_lot[row[0]].append(row)
        analysts.add(row[2])
    return by_lot, analysts


def step_instruments(lot_ids) -> dict[int, list[str]]:
    """{step record id: [instrument identifiers]} of the lots' step records, in one query."""
    out = defaultdict(list)
    for record_id, identifier in StepRecord.instruments.through.objects.filter(
        steprecord__lot__in=lot_ids
    ).values_list("steprecord_id", "instrument__identifier"):
        out[record_id].append(identifier)
    return out


LOT_FIELDS = (
    "pk",
    "number",
    "product__code",
    "process_id",
    "process__version",
    "specification_id",
    "cell_bank__code",
    "manufactured_on",
    "status",
    "released_at",
    "expiry",
    "release_signature_id",
    "release_signature__signed_at",
    "release_signature__printed_name",
)


def lot_rows(product) -> list[dict]:
    """The product's lots in snapshot order, as values (model rows cost more than the rest of a lot)."""
    return list(Lot.objects.filter(product=product).order_by("number").values(*LOT_FIELDS))


def lots_and_deviations(lots, lot_ids) -> tuple[list[ev.Lot], list[ev.Deviation]]:
    """`lots` the rows of `lot_rows`; `lot_ids` a query of their ids, which each kind of record is
    read with."""
    shared = sharer()
    materials = defaultdict(set)
    for lot_id, number in MaterialUsage.objects.filter(lot__in=lot_ids).values_list(
        "lot_id", "material_lot__lot_number"
    ):
        materials[lot_id].add(shared(number))
    records, parameters, parameter_of = _step_records(lot_ids, shared)
    results, analysts = _valid_results(lot_ids)
    attributes = {
        a.pk: _Attribute(a)
        for a in SpecAttribute.objects.filter(
            pk__in={r[1] for rows in results.values() for r in rows}
        ).select_related("specification")
    }
    operators = {op for rows in records.values() for _pk, _step, op, _where in rows}
    instruments = step_instruments(lot_ids)
    names = _usernames(operators | analysts)
    lot_deviations = defaultdict(list)
    # A deviation is evidence for every lot it names (one entry per lot); one naming none of these
    # lots is not lot evidence.
    for row in (
        Deviation.affected_lots.through.objects.filter(lot__in=lot_ids)
        .order_by("deviation__opened_at", "deviation_id")
        .values(
            "lot_id",
            pk=F("deviation_id"),
            number=F("deviation__number"),
            description=F("deviation__description"),
            status=F("deviation__status"),
            opened_at=F("deviation__opened_at"),
        )
    ):
        lot_deviations[row["lot_id"]].append(row)
    local_date = local_date_function()
    # Each lot's rows are dropped once its evidence is built: at 10,000 lots they are most of the memory.
    out, deviations = [], []
    for lot in lots:
        pk, number = lot["pk"], lot["number"]
        out.append(
            ev.Lot(
                id=number,
                product=shared(lot["product__code"]),
                process_version=shared(str(lot["process__version"])),
                cell_bank=shared(lot["cell_bank__code"]),
                material_lots=sorted(materials.pop(pk, ())),
                manufactured_on=lot["manufactured_on"],
                status=shared(LOT_STATUS.get(lot["status"], lot["status"])),
                step_records=[
                    ev.StepRecord(
                        step=step,
                        parameters=parameters.pop(record, {}),
                        operator=names[operator],
                        room=room,
                        started_on=local_date(started_at),
                        finished_on=local_date(finished_at),
                        instruments=sorted(instruments.pop(record, ())),
                    )
                    for record, step, operator, (room, started_at, finished_at) in records.pop(pk, ())
                ],
                qc_results=sorted(
                    (
                        _qc_result(r, attributes[r[1]], names[r[2]], local_date, shared)
                        for r in results.pop(pk, ())
                    ),
                    key=lambda r: (r.attribute, r.tested_on or dt.date.min),
                ),
                release=ev.Release(
                    released_on=local_date(lot["released_at"] or lot["release_signature__signed_at"]),
                    released_by=shared(lot["release_signature__printed_name"]),
                    signature=f"signature {lot['release_signature_id']}",
                )
                if lot["release_signature_id"] is not None
                else None,
                expiry=lot["expiry"],
            )
        )
        for d in lot_deviations.pop(pk, ()):
            deviations.append(
                ev.Deviation(
                    id=d["number"],
                    lot=number,
                    description=d["description"],
                    parameter=parameter_of.get((pk, d["pk"]), ""),
                    status=d["status"],
                    approved=d["status"] == "closed",  # QA closes a deviation after review
                    opened_on=local_date(d["opened_at"]),
                )
            )
    return out, deviations
