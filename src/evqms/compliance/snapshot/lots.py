"""The lots in the evidence snapshot: step records, valid QC results, release, and deviations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from evqms.compliance.snapshot.ids import (
    LOT_STATUS,
    attribute_category,
    attribute_id,
    local_date,
    num,
    parameter_ref,
)
from evqms.guidance import evidence as ev
from evqms.guidance import vocabulary
from evqms.lots.models import Deviation, ParameterValue


def _qc_result(result) -> ev.QCResult:
    attribute = result.attribute
    value = result.reported_value
    if value is None:
        value = result.value_in_spec_unit if result.value_in_spec_unit is not None else result.value
    derived = result.derived or {}
    size = derived.get("size_nm") if isinstance(derived.get("size_nm"), dict) else {}
    markers = []
    category = attribute_category(attribute)
    text = result.text_value.strip().lower()
    if category == "ev_marker" and text in ("positive", "negative"):
        marker = attribute.marker or vocabulary.infer_marker(attribute.code, attribute.name)
        markers.append(
            ev.MarkerResult(
                marker=marker or attribute.name,
                result=text,
                category=vocabulary.marker_category(marker) if marker else "",
            )
        )

    def size_stat(key):
        figure = size.get(key)
        return num(Decimal(str(figure))) if isinstance(figure, (int, float, str)) and figure != "" else None

    return ev.QCResult(
        attribute=attribute_id(attribute),
        tested_on=local_date(result.tested_at),
        value=num(value),
        # Reported and converted values are in the specification's unit; a value as entered is in its own.
        unit=(
            ""
            if value is None
            else (result.unit or attribute.unit)
            if result.reported_value is None and result.value_in_spec_unit is None
            else attribute.unit
        ),
        result=result.text_value,
        method=result.method,
        replicates=derived.get("videos") if isinstance(derived.get("videos"), int) else None,
        markers=markers,
        mode_nm=size_stat("mode"),
        d10_nm=size_stat("d10"),
        d50_nm=size_stat("d50"),
        d90_nm=size_stat("d90"),
        analyst=result.analyst.get_username(),
        raw_file_sha256=result.raw_file_sha256,
    )


def lots_and_deviations(lots) -> tuple[list[ev.Lot], list[ev.Deviation]]:
    out, deviations = [], []
    for lot in lots:
        usages = lot.material_usages.select_related("material_lot").order_by("material_lot__lot_number")
        step_records = []
        for record in lot.step_records.select_related("step", "operator").prefetch_related(
            "values__parameter"
        ):
            step_records.append(
                ev.StepRecord(
                    step=record.step.name,
                    parameters={v.parameter.name: num(v.value) for v in record.values.all()},
                    operator=record.operator.get_username(),
                )
            )
        results = lot.qc_results.filter(status="valid").select_related("attribute__specification", "analyst")
        signature = lot.release_signature
        out.append(
            ev.Lot(
                id=lot.number,
                product=lot.product.code,
                process_version=str(lot.process.version),
                cell_bank=lot.cell_bank.code,
                material_lots=sorted({u.material_lot.lot_number for u in usages}),
                manufactured_on=lot.manufactured_on,
                status=LOT_STATUS.get(lot.status, lot.status),
                step_records=step_records,
                qc_results=sorted(
                    (_qc_result(r) for r in results), key=lambda r: (r.attribute, r.tested_on or dt.date.min)
                ),
                release=ev.Release(
                    released_on=local_date(lot.released_at or signature.signed_at),
                    released_by=signature.printed_name,
                    signature=f"signature {signature.pk}",
                )
                if signature is not None
                else None,
                expiry=lot.expiry,
            )
        )
        values = ParameterValue.objects.filter(step_record__lot=lot, deviation__isnull=False).select_related(
            "parameter__step"
        )
        parameter_of = {v.deviation_id: parameter_ref(v.parameter) for v in values}
        for deviation in Deviation.objects.filter(lot=lot).order_by("opened_at", "id"):
            deviations.append(
                ev.Deviation(
                    id=deviation.number,
                    lot=lot.number,
                    description=deviation.description,
                    parameter=parameter_of.get(deviation.pk, ""),
                    status=deviation.status,
                    approved=deviation.status == "closed",  # QA closes a deviation after review
                    opened_on=local_date(deviation.opened_at),
                )
            )
    return out, deviations
