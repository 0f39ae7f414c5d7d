"""Potency assays and runs: the assay definition, the plate fit (USP parallel-line relative
potency) and the stored run, optionally recorded as the lot's QC result."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import keptfiles, limits
from evqms.dossier.models import SpecAttribute
from evqms.errors import InputError, RuleViolation, location
from evqms.guidance import vocabulary
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.models import Lot
from evqms.lots.services import record_qc_result
from evqms.studies.models import POTENCY_MODELS, PotencyAssay, PotencyRun
from evqms.studies.records import potency_assay_record
from evqms.studies.services.common import checked_when, decimal_from_float, now, required_text


def potency_attribute(product, code: str):
    """The product's specification attribute that a potency assay's relative potency fills: it
    must exist (in the approved specification, or the latest one while none is approved), be
    quantitative and be stated in %, so that the run and the lot's QC result are one number."""
    code = (code or "").strip()
    if not code:
        raise InputError(
            _("name the specification attribute for relative potency (e.g. potency_relative)"),
            where="qc_attribute_code",
        )
    specs = product.specifications.order_by("-version")
    spec = specs.filter(status="approved").first() or specs.first()
    attribute = SpecAttribute.objects.filter(specification=spec, code=code).first() if spec else None
    if attribute is None:
        codes = (
            ", ".join(
                spec.attributes.filter(kind="quantitative")
                .order_by("order", "id")
                .values_list("code", flat=True)
            )
            if spec
            else "-"
        )
        raise InputError(
            _(
                "the specification of {product} has no attribute {code} (quantitative attributes: {codes})"
            ).format(product=product.code, code=code, codes=codes),
            where="qc_attribute_code",
        )
    if attribute.kind != "quantitative" or (attribute.unit or "").strip() != "%":
        raise InputError(
            _(
                "attribute {code} is not a quantitative attribute in %: relative potency cannot fill it"
            ).format(code=code),
            where="qc_attribute_code",
        )
    return attribute


def _indication_code(code: str, text: str) -> str:
    """The coded indication the assay links to the product by (a known text names its code)."""
    code = (code or "").strip()
    if not code:
        found = vocabulary.match_indication(text)
        code = found[0] if found else ""
    if not code or vocabulary.term("indication", code) is None:
        raise InputError(
            _("choose the indication from the list ({codes})").format(
                codes=", ".join(vocabulary.codes("indication"))
            ),
            where="indication_code",
        )
    return code


@transaction.atomic
def create_potency_assay(
    *,
    actor,
    product,
    name: str,
    mechanism: str,
    indication: str,
    reference_lot: Lot,
    acceptance_low,
    acceptance_high,
    model: str = "LL4",
    kind: str = "in_vitro",
    readout: str = "",
    dose_unit: str = "",
    qc_attribute_code: str = "",
    guidance_items: list[str] | tuple[str, ...] = ("JSRM-3-R4",),
    indication_code: str = "",
) -> PotencyAssay:
    require(actor, "studies.define")
    name = required_text(name, "name", _("a name is required"))
    mechanism = required_text(mechanism, "mechanism", _("state the mode of action the assay measures"))
    indication = required_text(indication, "indication", _("state the indication the assay extrapolates to"))
    indication_code = _indication_code(indication_code, indication)
    if model not in dict(POTENCY_MODELS):
        raise InputError(_("unknown model {name}").format(name=model), where="model")
    if reference_lot.product_id != product.pk:
        raise InputError(_("the reference lot belongs to another product"), where="reference_lot")
    if reference_lot.status != "released":
        raise RuleViolation(
            _("reference lot {lot} is {status}: a reference lot must be released").format(
                lot=reference_lot.number, status=reference_lot.get_status_display()
            )
        )
    low = evaluation.to_decimal(acceptance_low, field="acceptance_low")
    high = evaluation.to_decimal(acceptance_high, field="acceptance_high")
    if not 0 < low < high:
        raise InputError(_("the acceptance range must satisfy 0 < low < high"), where="acceptance_low")
    if PotencyAssay.objects.filter(product=product, name=name).exists():
        raise InputError(_("an assay named {name} already exists").format(name=name), where="name")
    qc_attribute_code = potency_attribute(product, qc_attribute_code).code
    assay = PotencyAssay.objects.create(
        product=product, name=name, mechanism=mechanism, indication=indication,
        indication_code=indication_code, reference_lot=reference_lot,
        acceptance_low=low, acceptance_high=high, model=model, kind=kind, readout=readout or "",
        dose_unit=dose_unit or "", qc_attribute_code=(qc_attribute_code or "").strip(),
        guidance_items=list(guidance_items or []), created_by=actor, created_at=now(),
    )  # fmt: skip
    record_event(actor=actor, action="potency_assay.create", object_type="potency_assay", object_id=assay.pk,
                 after=potency_assay_record(assay))  # fmt: skip
    return assay


def _decode(data: bytes, filename: str = "") -> str:
    # UTF-8/UTF-16 (BOM or not), else Latin-1; NUL bytes refused naming the file
    return limits.decode_text(data, name=filename, fallback=("latin-1",))


def _json_safe(value):
    """Plain JSON types (numpy scalars to floats, non-finite floats to None)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f if math.isfinite(f) else None


def _curve_labels(labels: list[str], reference: str | None, test: str | None, assay, test_lot, filename):
    present = list(dict.fromkeys(labels))
    where = location(file=filename, field="curve")
    if reference is None:
        for candidate in (assay.reference_lot.number, "REF", "reference", "Reference", "ref"):
            if candidate in present:
                reference = candidate
                break
    if test is None:
        if test_lot.number in present:
            test = test_lot.number
        elif reference is not None and len(present) == 2:
            test = next(p for p in present if p != reference)
    if reference is None or reference not in present:
        raise InputError(
            _("no reference curve found; name it (curves in the file: {names})").format(
                names=", ".join(present)
            ),
            where=where,
        )
    if test is None or test not in present:
        raise InputError(
            _("no curve for the test lot found; name it (curves in the file: {names})").format(
                names=", ".join(present)
            ),
            where=where,
        )
    if test == reference:
        raise InputError(_("the test curve and the reference curve must differ"), where=where)
    return reference, test


def fit_potency_plate(*, assay: PotencyAssay, test_lot: Lot, filename: str, data: bytes, dose_column: str = "dose",
                      response_column: str = "response", curve_column: str = "curve",
                      reference_label: str | None = None, test_label: str | None = None) -> dict:  # fmt: skip
    """Fit the plate (no writes): USP parallel-line relative potency of the test lot's curve
    against the reference lot's, with the unconstrained fit and the data for the plot."""
    from evqms.analytics.potency import parse_potency_csv, usp_relative_potency

    plate = parse_potency_csv(_decode(data, filename), filename, dose_column, response_column, curve_column)
    reference, test = _curve_labels(plate.curves, reference_label, test_label, assay, test_lot, filename)
    usp = usp_relative_potency(
        plate.doses, plate.responses, plate.curves, reference, test, model=assay.model, source=filename
    )
    points: dict[str, list] = {reference: [], test: []}
    for x, y, c in zip(plate.doses, plate.responses, plate.curves, strict=True):
        if c in points:
            points[c].append([x, y])
    fit = usp.constrained
    curves = {c: fit.estimates(c) for c in (reference, test)}
    ci = usp.log_ci
    return _json_safe({
        "reference_label": reference,
        "test_label": test,
        "model": usp.model,
        "relative_potency": usp.potency,
        "relative_potency_pct": 100.0 * usp.potency["estimate"],
        "ci_pct": [100.0 * ci[0], 100.0 * ci[1]],
        "parallelism": usp.parallelism,
        "curves": curves,
        "unconstrained": {c: usp.unconstrained.estimates(c) for c in (reference, test)},
        "residual_se": fit.residual_se,
        "df": fit.df,
        "points": points,
    })  # fmt: skip


@keptfiles.removed_on_error  # a refused run leaves no plate file
@transaction.atomic
def record_potency_run(
    *,
    actor,
    assay: PotencyAssay,
    test_lot: Lot,
    filename: str,
    data: bytes,
    dose_column: str = "dose",
    response_column: str = "response",
    curve_column: str = "curve",
    reference_label: str | None = None,
    test_label: str | None = None,
    tested_at: dt.datetime | None = None,
    record_qc: bool = False,
) -> PotencyRun:
    """Fit a potency plate (test lot and reference lot curves in one CSV, a curve column naming
    each row's curve), store the run with its file, and optionally record the lot's relative
    potency (%) as a QC result of the assay's attribute."""
    require(actor, "studies.record")
    if test_lot.product_id != assay.product_id:
        raise InputError(_("lot {lot} is not a lot of this assay's product").format(lot=test_lot.number),
                         where="test_lot")  # fmt: skip
    if test_lot.pk == assay.reference_lot_id:
        raise InputError(_("the test lot is the reference lot"), where="test_lot")
    filename = keptfiles.original_name(filename or "", "plate.csv")
    data = bytes(data)
    limits.check_size(len(data), name=filename)  # before fitting: EVQMS_UPLOAD_LIMIT_MB
    tested_at = checked_when(tested_at, "tested_at")
    fitted = fit_potency_plate(
        assay=assay, test_lot=test_lot, filename=filename, data=data, dose_column=dose_column,
        response_column=response_column, curve_column=curve_column, reference_label=reference_label,
        test_label=test_label,
    )  # fmt: skip
    columns = {"dose": dose_column, "response": response_column, "curve": curve_column,
               "reference_label": fitted["reference_label"], "test_label": fitted["test_label"]}  # fmt: skip
    run = _potency_run(actor, assay, test_lot, fitted, columns, tested_at)
    kept = keptfiles.keep(run.plate_file, filename, data)
    run.original_name, run.sha256 = kept.original_name, kept.sha256
    run.save()
    if record_qc:
        run.qc_result = _record_relative_potency(actor, run)
        run.save(update_fields=["qc_result"])
    record_event(
        actor=actor, action="potency_run.record", object_type="potency_run", object_id=run.pk,
        after={"assay": assay.name, "test_lot": test_lot.number, "reference_lot": assay.reference_lot.number,
               "file": run.original_name, "sha256": run.sha256, "relative_potency_pct": run.relative_potency_pct,
               "ci_pct": fitted["ci_pct"], "parallelism_p": run.parallelism_p,
               "within_acceptance": run.within_acceptance, "qc_result": run.qc_result_id},
    )  # fmt: skip
    return run


def _percent(value: float, field: str) -> Decimal:
    """A computed percentage as recorded: four decimals."""
    return decimal_from_float(value, field).quantize(Decimal("0.0001"))


def _potency_run(
    actor, assay: PotencyAssay, test_lot: Lot, fitted: dict, columns: dict, tested_at
) -> PotencyRun:
    """The run as fitted (not saved): relative potency and its interval in %, whether the curves
    are parallel (p >= 0.05, or no test) and whether the potency is within the assay's range."""
    ci = fitted["ci_pct"]
    p = fitted["parallelism"]["p"] if fitted.get("parallelism") else None
    rp = _percent(fitted["relative_potency_pct"], "relative_potency")
    return PotencyRun(
        assay=assay, test_lot=test_lot, columns=columns, fitted=fitted, relative_potency_pct=rp,
        ci_low_pct=None if ci[0] is None else _percent(ci[0], "ci"),
        ci_high_pct=None if ci[1] is None else _percent(ci[1], "ci"),
        parallelism_p=p, parallel=bool(p is None or p >= 0.05),
        within_acceptance=bool(assay.acceptance_low <= rp <= assay.acceptance_high),
        analyst=actor, tested_at=tested_at, recorded_at=now(),
    )  # fmt: skip


def _record_relative_potency(actor, run: PotencyRun):
    """The test lot's QC result of the assay's attribute: the run's relative potency in %."""
    assay, test_lot, fitted = run.assay, run.test_lot, run.fitted
    code = assay.qc_attribute_code
    attribute = test_lot.specification.attributes.filter(code=code).first() if code else None
    if attribute is None:
        raise InputError(
            _("specification v{version} of lot {lot} has no attribute {code} for relative potency").format(
                version=test_lot.specification.version, lot=test_lot.number, code=code or "-"
            ),
            where="qc_attribute_code",
        )
    return record_qc_result(
        actor=actor, lot=test_lot, attribute=attribute, value=run.relative_potency_pct, unit="%",
        method=f"{assay.name}: relative potency vs reference lot {assay.reference_lot.number} ({assay.model})",
        tested_at=run.tested_at, stored_file_name=run.plate_file.name, stored_file_sha256=run.sha256,
        derived={
            "source": "potency", "potency_run": run.pk, "assay": assay.name,
            "reference_lot": assay.reference_lot.number, "model": fitted["model"],
            "relative_potency_pct": fitted["relative_potency_pct"], "ci_pct": fitted["ci_pct"],
            "parallelism": fitted["parallelism"], "file_sha256": run.sha256,
        },
    )  # fmt: skip
