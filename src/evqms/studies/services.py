"""Writes for studies: NTA exports into QC results, potency runs, stability and in-vivo study records.

Every function takes keyword arguments and an explicit acting user, checks the role
(`studies/rules.py`), runs in one transaction and writes its audit event in it. QC results are
recorded only through `evqms.lots.services.record_qc_result` (frozen limits, verdict, OOS
deviation); what the instrument file gave is added to the result's `derived` figures.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.analytics.nta_stats import number_fraction_pct
from evqms.audit.services import record_event
from evqms.core import keptfiles, limits
from evqms.core.canonical import sha256_hex
from evqms.core.timefmt import display_local
from evqms.errors import InputError, RuleViolation, location
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.models import Lot
from evqms.lots.services import QC_OPEN_STATUSES, record_qc_result
from evqms.studies.models import (
    POTENCY_MODELS,
    BiodistributionStudy,
    DoseResponseStudy,
    NTAImport,
    PotencyAssay,
    PotencyRun,
    StabilityResult,
    StabilityStudy,
)

# Specification attribute codes filled from an NTA export when the caller names none.
DEFAULT_CONCENTRATION_CODES = ("particle_concentration", "particle_conc", "concentration")
DEFAULT_SIZE_CODES = {
    "modal_size": "mode",
    "mode_size": "mode",
    "mean_size": "mean",
    "median_size": "d50",
    "d50": "d50",
    "d10": "d10",
    "d90": "d90",
    "size_sd": "sd",
}
SIZE_STATISTICS = ("mean", "mode", "sd", "d10", "d50", "d90")
# "fraction:50-400": the percentage of particles within 50-400 nm (a size-fraction attribute)
FRACTION_RE = re.compile(r"fraction:(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)")
# the size window an attribute's code or name states: size_fraction_50_400nm, "within 50-400 nm"
_WINDOW_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:nm)?\s*[-_–~]\s*(\d+(?:\.\d+)?)\s*_?nm", re.I)
# size statistics by the words an attribute's code or name uses, most specific first
_SIZE_WORDS = (
    ("d10", ("d10",)),
    ("d90", ("d90",)),
    ("d50", ("d50", "median")),
    ("mode", ("mode", "modal", "peak")),
    ("sd", ("size_sd", "sd_size", "standard deviation", "spread")),
    ("mean", ("mean", "average")),
)
CONCENTRATION_UNIT = "particles/mL"
SIZE_UNIT = "nm"


class NTAWarnings(RuleViolation):
    """The export's own figures are not reproduced (or another warning): confirm before recording."""

    def __init__(self, warnings, parsed: dict):
        self.warnings = list(warnings)
        self.parsed = parsed
        super().__init__(
            _(
                "the NTA export has warnings; review them and confirm to record the results: {warnings}"
            ).format(warnings="; ".join(self.warnings))
        )


def _now() -> dt.datetime:
    return timezone.now()


def _when(value: dt.datetime | None, field: str) -> dt.datetime:
    if value is None:
        return _now()
    if not isinstance(value, dt.datetime):
        raise InputError(_("a date and time is required"), where=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > _now() + dt.timedelta(minutes=5):
        raise InputError(_("{when} is in the future").format(when=value.isoformat()), where=field)
    return value


def _decimal_from_float(value: float, field: str) -> Decimal:
    """A computed float as a Decimal with 10 significant figures (no binary noise in the record)."""
    if value is None or not math.isfinite(value):
        raise InputError(_("no finite value to record"), where=field)
    return Decimal(f"{value:.10g}")


def _text(value, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(message, where=field)
    return value


# --- NTA ------------------------------------------------------------------------------------


def default_nta_statistic(attribute) -> str | None:
    """What an NTA export fills in this specification attribute when the analyst names nothing:
    "concentration", a size statistic ("mode", "d50", ...) or "fraction:LOW-HIGH" (percentage
    of particles within a size window). Read from the attribute's test category, unit and the
    words of its code and name; only attributes measured by NTA (or the historical NTA codes)."""
    code = attribute.code
    if code in DEFAULT_CONCENTRATION_CODES:
        return "concentration"
    if code in DEFAULT_SIZE_CODES:
        return DEFAULT_SIZE_CODES[code]
    if attribute.kind != "quantitative" or "nta" not in (attribute.method or "").lower():
        return None
    category = getattr(attribute, "category", "") or ""
    words = f"{code} {attribute.name}".lower()
    unit = (attribute.unit or "").strip()
    if category == "particle_concentration" or "concentration" in words:
        return "concentration" if "/" in unit or "particles" in unit.lower() else None
    if unit == "%" and ("fraction" in words or "within" in words or category == "size_distribution"):
        window = _WINDOW_RE.search(f"{code} {attribute.name}")
        return f"fraction:{window.group(1)}-{window.group(2)}" if window else None
    if unit in ("nm", "um", "µm", "μm") and (category in ("", "size_distribution")):
        for statistic, keys in _SIZE_WORDS:
            if any(k in words for k in keys):
                return statistic
    return None


def nta_attribute_plan(lot: Lot, concentration_attribute=None, size_attributes=None) -> dict[str, str]:
    """Which of the lot's specification attributes an NTA export fills: code -> statistic
    ("concentration" or a size statistic). Named attributes must exist; defaults apply otherwise."""
    codes = {a.code: a for a in lot.specification.attributes.all()}
    plan: dict[str, str] = {}
    if concentration_attribute:
        if concentration_attribute not in codes:
            raise InputError(
                _("specification v{version} has no attribute {code}").format(
                    version=lot.specification.version, code=concentration_attribute
                ),
                where=location(field="concentration_attribute"),
            )
        plan[concentration_attribute] = "concentration"
    if size_attributes:
        for code, stat in size_attributes.items():
            if stat not in SIZE_STATISTICS and not FRACTION_RE.fullmatch(stat):
                raise InputError(
                    _("unknown size statistic {stat}; choose one of {choices}").format(
                        stat=stat, choices=", ".join(SIZE_STATISTICS)
                    ),
                    where=location(field=f"size_attributes[{code}]"),
                )
            if code not in codes:
                raise InputError(
                    _("specification v{version} has no attribute {code}").format(
                        version=lot.specification.version, code=code
                    ),
                    where=location(field="size_attributes"),
                )
            plan[code] = stat
    for code, attribute in codes.items():
        statistic = None if code in plan else default_nta_statistic(attribute)
        if statistic == "concentration":
            if concentration_attribute is None and "concentration" not in plan.values():
                plan[code] = statistic
        elif statistic is not None and size_attributes is None:
            plan[code] = statistic
    for code in plan:
        if codes[code].kind != "quantitative":
            raise InputError(
                _("attribute {code} is qualitative: an NTA figure cannot fill it").format(code=code),
                where=location(field=code),
            )
    if not plan:
        raise InputError(
            _(
                "specification v{version} of lot {lot} has no attribute an NTA export fills "
                "(e.g. particle_concentration, modal_size)"
            ).format(version=lot.specification.version, lot=lot.number),  # fmt: skip
            where=location(field="attributes"),
        )
    return plan


def _stated_figure(parsed: dict, statistic: str):
    stated = parsed.get("stated") or {}
    if statistic == "concentration":
        conc = stated.get("concentration_per_ml")
        return conc.get("average") if isinstance(conc, dict) else conc
    size = stated.get("size_nm") or {}
    if statistic in size:
        return size[statistic]
    if statistic == "d50":
        return stated.get("d50_number")
    return None


def parse_nta_export(data: bytes, filename: str) -> dict:
    """Parse an export (pure analytics) and return its JSON-able figures; refuses bad files."""
    from evqms.analytics.nta import parse_nta

    return parse_nta(data, filename).to_dict()


@keptfiles.removed_on_error  # a refused export (409, bad figure) leaves no file
@transaction.atomic
def attach_nta_export(
    *,
    actor,
    lot: Lot,
    filename: str,
    data: bytes,
    concentration_attribute: str | None = None,
    size_attributes: dict[str, str] | None = None,
    tested_at: dt.datetime | None = None,
    tested_at_reason: str = "",
    dilution: float | None = None,
    confirm_warnings: bool = False,
) -> NTAImport:
    """Record particle concentration and size results of `lot` from one NTA export.

    The file is parsed by `evqms.analytics.nta`; a run with no tracked particles is refused,
    and a file whose own figures the recomputation does not reproduce (or with any other
    warning) is refused unless `confirm_warnings`. All results are written or none.

    Tested-at is the file's capture time; another time needs `tested_at_reason` (and a file
    without one needs `tested_at`). The concentration of the original sample needs the
    dilution: the file's, or `dilution` when the file records none; it is never assumed.
    """
    require(actor, "studies.record")
    require(actor, "lots.record_qc_result")
    if lot.status not in QC_OPEN_STATUSES:
        raise RuleViolation(
            _("lot {lot} is {status}: cannot record a QC result").format(
                lot=lot.number, status=lot.get_status_display()
            )
        )
    filename = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "nta-export"
    data = bytes(data)
    limits.check_size(len(data), name=filename)  # before parsing: EVQMS_UPLOAD_LIMIT_MB
    plan = nta_attribute_plan(lot, concentration_attribute, size_attributes)
    parsed = parse_nta_export(data, filename)
    if parsed["no_particles"]:
        raise InputError(
            _("the NTA export has no tracked particles: there is no concentration or size to record"),
            where=location(file=filename),
        )
    if parsed["warnings"] and not confirm_warnings:
        raise NTAWarnings(parsed["warnings"], parsed)
    captured_at = nta_captured_at(parsed)
    tested_at, tested_at_source, tested_at_reason = _nta_tested_at(tested_at, captured_at, tested_at_reason)
    factor, dilution, dilution_source = _nta_dilution(parsed, dilution, plan)
    sha = sha256_hex(data)
    nta = NTAImport(
        lot=lot,
        original_name=filename,
        sha256=sha,
        instrument=parsed["instrument"],
        software=parsed.get("software") or "",
        parsed=parsed,
        warnings=parsed["warnings"],
        warnings_confirmed=bool(parsed["warnings"]),
        filled=plan,
        tested_at=tested_at,
        tested_at_source=tested_at_source,
        tested_at_reason=tested_at_reason,
        dilution=dilution,
        dilution_source=dilution_source,
        imported_by=actor,
        imported_at=_now(),
    )
    keptfiles.save(nta.file, filename, data)
    nta.save()
    attributes = {a.code: a for a in lot.specification.attributes.filter(code__in=list(plan))}
    method = f"NTA ({parsed['instrument']})"  # stored data: one language
    recorded = []
    for code, statistic in plan.items():
        if statistic == "concentration":
            figure, unit = parsed["concentration_per_ml"] * factor, CONCENTRATION_UNIT
        elif window := FRACTION_RE.fullmatch(statistic):
            hist = parsed["histogram"]
            low, high = float(window.group(1)), float(window.group(2))
            figure = number_fraction_pct(hist["bin_centres_nm"], hist["concentration_per_ml"], low, high)
            unit = "%"
        else:
            figure, unit = parsed["size_nm"][statistic], SIZE_UNIT
        if figure is None:
            raise InputError(
                _("the NTA export gives no {stat} for attribute {code}").format(stat=statistic, code=code),
                where=location(file=filename),
            )
        result = record_qc_result(
            actor=actor,
            lot=lot,
            attribute=attributes[code],
            value=_decimal_from_float(figure, code),
            unit=unit,
            method=method,
            tested_at=tested_at,
            stored_file_name=nta.file.name,
            stored_file_sha256=sha,
            derived={
                "source": "nta",
                "nta_import": nta.pk,
                "statistic": statistic,
                "recomputed": figure,
                "stated": _stated_figure(parsed, statistic),
                "unit": unit,
                "instrument": parsed["instrument"],
                "software": parsed.get("software"),
                "dilution": dilution,
                "dilution_source": dilution_source,
                "captured_at": parsed.get("captured_at"),
                "tested_at_source": tested_at_source,
                "videos": parsed.get("videos"),
                "concentration_per_ml": parsed["concentration_per_ml"],
                "size_nm": parsed["size_nm"],
                "file_sha256": sha,
                "warnings": parsed["warnings"],
            },
        )
        recorded.append(result)
    nta.qc_results.set(recorded)
    record_event(
        actor=actor,
        action="nta.attach",
        object_type="nta_import",
        object_id=nta.pk,
        after={
            "lot": lot.number,
            "file": filename,
            "sha256": sha,
            "instrument": parsed["instrument"],
            "filled": plan,
            "qc_results": [r.pk for r in recorded],
            "warnings": parsed["warnings"],
            "tested_at": tested_at.isoformat(),
            "tested_at_source": tested_at_source,
            "captured_at": parsed.get("captured_at"),
            "dilution": dilution,
            "dilution_source": dilution_source,
        },
        reason="; ".join(
            r
            for r in (
                "warnings confirmed by the analyst" if parsed["warnings"] else "",
                f"tested at differs from the file's capture time: {tested_at_reason}"
                if tested_at_reason
                else "",
            )
            if r
        ),
    )
    return nta


def nta_captured_at(parsed: dict) -> dt.datetime | None:
    """The file's capture time, read in the site's time zone (the files state none; the
    instrument PC runs on local time)."""
    text = parsed.get("captured_at")
    if not text:
        return None
    try:
        return timezone.make_aware(dt.datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        return None


def _nta_tested_at(tested_at, captured_at, reason: str) -> tuple[dt.datetime, str, str]:
    """(tested at, "file" or "entered", reason): the capture time unless the analyst changes it
    with a reason; a file without a capture time needs the time entered."""
    reason = (reason or "").strip()
    if tested_at is None:
        if captured_at is None:
            raise InputError(
                _("the export records no capture time: enter when the sample was measured"), where="tested_at"
            )
        return captured_at, "file", ""
    tested_at = _when(tested_at, "tested_at")
    if captured_at is None:
        return tested_at, "entered", reason
    if abs((tested_at - captured_at).total_seconds()) < 60:  # the form's minute precision
        return captured_at, "file", ""
    if not reason:
        raise InputError(
            _("tested at differs from the file's capture time ({captured}): give the reason").format(
                captured=display_local(captured_at)
            ),
            where="tested_at_reason",
        )
    return tested_at, "entered", reason


def _nta_dilution(parsed: dict, dilution, plan: dict) -> tuple[float, float | None, str]:
    """(factor applied to the file's concentration, dilution, "file"/"entered"/""). The file's
    concentrations already include its own dilution; a file without one needs it entered
    before a concentration is recorded."""
    if dilution is not None:
        try:
            dilution = float(dilution)
        except (TypeError, ValueError):
            raise InputError(_("the dilution must be a number"), where="dilution") from None
        if not (math.isfinite(dilution) and dilution > 0):
            raise InputError(_("the dilution must be positive"), where="dilution")
    recorded = parsed.get("dilution_recorded", parsed.get("dilution") is not None)
    if recorded:
        stated = parsed.get("dilution")
        if dilution is not None and stated is not None and not math.isclose(dilution, stated, rel_tol=1e-9):
            raise InputError(
                _(
                    "the export records a dilution of {stated}; its concentrations already include it "
                    "(leave the dilution empty)"
                ).format(stated=f"{stated:g}"),
                where="dilution",
            )
        return 1.0, stated, "file"
    if dilution is None:
        if "concentration" in plan.values():
            raise InputError(
                _(
                    "the export records no dilution: enter the dilution of the measured sample (1 if it "
                    "was measured undiluted); the concentration is not recorded without it"
                ),
                where="dilution",
            )
        return 1.0, None, ""
    return dilution, dilution, "entered"


# --- potency --------------------------------------------------------------------------------


def _assay_record(a: PotencyAssay) -> dict:
    return {
        "product": a.product.code,
        "name": a.name,
        "mechanism": a.mechanism,
        "indication": a.indication,
        "indication_code": a.indication_code,
        "readout": a.readout,
        "kind": a.kind,
        "reference_lot": a.reference_lot.number,
        "model": a.model,
        "dose_unit": a.dose_unit,
        "acceptance_low": a.acceptance_low,
        "acceptance_high": a.acceptance_high,
        "qc_attribute_code": a.qc_attribute_code,
        "guidance_items": a.guidance_items,
    }


def potency_attribute(product, code: str):
    """The product's specification attribute that a potency assay's relative potency fills: it
    must exist (in the approved specification, or the latest one while none is approved), be
    quantitative and be stated in %, so that the run and the lot's QC result are one number."""
    from evqms.dossier.models import SpecAttribute

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
    from evqms.guidance import vocabulary

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


def _route_code(text: str) -> str:
    """Routes use the one code list ('intra-articular' is intra_articular)."""
    from evqms.guidance import vocabulary

    code = vocabulary.match("route", text)
    if code is None:
        raise InputError(
            _("{value} is not a route; use one of: {codes}").format(
                value=text, codes=", ".join(vocabulary.codes("route"))
            ),
            where="route",
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
    name = _text(name, "name", _("a name is required"))
    mechanism = _text(mechanism, "mechanism", _("state the mode of action the assay measures"))
    indication = _text(indication, "indication", _("state the indication the assay extrapolates to"))
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
        guidance_items=list(guidance_items or []), created_by=actor, created_at=_now(),
    )  # fmt: skip
    record_event(actor=actor, action="potency_assay.create", object_type="potency_assay", object_id=assay.pk,
                 after=_assay_record(assay))  # fmt: skip
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
    filename = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "plate.csv"
    data = bytes(data)
    limits.check_size(len(data), name=filename)  # before fitting: EVQMS_UPLOAD_LIMIT_MB
    tested_at = _when(tested_at, "tested_at")
    fitted = fit_potency_plate(
        assay=assay, test_lot=test_lot, filename=filename, data=data, dose_column=dose_column,
        response_column=response_column, curve_column=curve_column, reference_label=reference_label,
        test_label=test_label,
    )  # fmt: skip
    rp = fitted["relative_potency_pct"]
    ci = fitted["ci_pct"]
    p = fitted["parallelism"]["p"] if fitted.get("parallelism") else None
    rp_dec = _decimal_from_float(rp, "relative_potency").quantize(Decimal("0.0001"))
    sha = sha256_hex(data)
    run = PotencyRun(
        assay=assay, test_lot=test_lot, original_name=filename, sha256=sha,
        columns={"dose": dose_column, "response": response_column, "curve": curve_column,
                 "reference_label": fitted["reference_label"], "test_label": fitted["test_label"]},
        fitted=fitted, relative_potency_pct=rp_dec,
        ci_low_pct=None if ci[0] is None else _decimal_from_float(ci[0], "ci").quantize(Decimal("0.0001")),
        ci_high_pct=None if ci[1] is None else _decimal_from_float(ci[1], "ci").quantize(Decimal("0.0001")),
        parallelism_p=p, parallel=bool(p is None or p >= 0.05),
        within_acceptance=bool(assay.acceptance_low <= rp_dec <= assay.acceptance_high),
        analyst=actor, tested_at=tested_at, recorded_at=_now(),
    )  # fmt: skip
    keptfiles.save(run.plate_file, filename, data)
    run.save()
    if record_qc:
        code = assay.qc_attribute_code
        attribute = test_lot.specification.attributes.filter(code=code).first() if code else None
        if attribute is None:
            raise InputError(
                _(
                    "specification v{version} of lot {lot} has no attribute {code} for relative potency"
                ).format(version=test_lot.specification.version, lot=test_lot.number, code=code or "-"),
                where="qc_attribute_code",
            )
        result = record_qc_result(
            actor=actor, lot=test_lot, attribute=attribute, value=rp_dec, unit="%",
            method=f"{assay.name}: relative potency vs reference lot {assay.reference_lot.number} ({assay.model})",
            tested_at=tested_at, stored_file_name=run.plate_file.name, stored_file_sha256=sha,
            derived={
            "source": "potency", "potency_run": run.pk, "assay": assay.name,
            "reference_lot": assay.reference_lot.number, "model": fitted["model"],
            "relative_potency_pct": rp, "ci_pct": ci, "parallelism": fitted["parallelism"],
            "file_sha256": sha,
            },
        )  # fmt: skip
        run.qc_result = result
        run.save(update_fields=["qc_result"])
    record_event(
        actor=actor, action="potency_run.record", object_type="potency_run", object_id=run.pk,
        after={"assay": assay.name, "test_lot": test_lot.number, "reference_lot": assay.reference_lot.number,
               "file": filename, "sha256": sha, "relative_potency_pct": rp_dec, "ci_pct": ci,
               "parallelism_p": p, "within_acceptance": run.within_acceptance,
               "qc_result": run.qc_result_id},
    )  # fmt: skip
    return run


# --- stability ------------------------------------------------------------------------------


@transaction.atomic
def create_stability_study(
    *, actor, product, name: str, attribute_code: str, condition: str, lots, attribute_name: str = "",
    unit: str = "", lower=None, upper=None,
) -> StabilityStudy:  # fmt: skip
    require(actor, "studies.define")
    name = _text(name, "name", _("a name is required"))
    attribute_code = _text(attribute_code, "attribute_code", _("an attribute code is required"))
    condition = _text(condition, "condition", _("a storage condition is required"))
    low = None if lower in (None, "") else evaluation.to_decimal(lower, field="lower")
    high = None if upper in (None, "") else evaluation.to_decimal(upper, field="upper")
    if low is None and high is None:
        raise InputError(_("give a lower and/or an upper specification limit"), where="lower")
    if low is not None and high is not None and low >= high:
        raise InputError(_("the lower limit must be below the upper limit"), where="lower")
    lots = list(lots)
    if not lots:
        raise InputError(_("choose at least one batch (lot)"), where="lots")
    for lot in lots:
        if lot.product_id != product.pk:
            raise InputError(_("lot {lot} is not a lot of this product").format(lot=lot.number), where="lots")
    if StabilityStudy.objects.filter(product=product, name=name).exists():
        raise InputError(_("a study named {name} already exists").format(name=name), where="name")
    study = StabilityStudy.objects.create(
        product=product, name=name, attribute_code=attribute_code, attribute_name=attribute_name or attribute_code,
        unit=unit or "", condition=condition, lower=low, upper=high, created_by=actor, created_at=_now(),
    )  # fmt: skip
    study.lots.set(lots)
    record_event(actor=actor, action="stability_study.create", object_type="stability_study",
                 object_id=study.pk, after={"product": product.code, "name": name, "attribute": attribute_code,
                                            "condition": condition, "lower": low, "upper": high,
                                            "lots": [lot.number for lot in lots]})  # fmt: skip
    return study


@transaction.atomic
def add_stability_result(*, actor, study: StabilityStudy, lot: Lot, time_months, value) -> StabilityResult:
    require(actor, "studies.record")
    if not study.lots.filter(pk=lot.pk).exists():
        raise InputError(_("lot {lot} is not a batch of this study").format(lot=lot.number), where="lot")
    t = evaluation.to_decimal(time_months, field="time_months")
    if t < 0:
        raise InputError(_("a time cannot be negative"), where="time_months")
    v = evaluation.to_decimal(value, field="value")
    result = StabilityResult.objects.create(
        study=study, lot=lot, time_months=t, value=v, recorded_by=actor, recorded_at=_now()
    )
    record_event(actor=actor, action="stability_result.add", object_type="stability_study", object_id=study.pk,
                 after={"result_id": result.pk, "lot": lot.number, "time_months": t, "value": v})  # fmt: skip
    return result


# --- in-vivo and dose studies (dossier records) ---------------------------------------------


@transaction.atomic
def create_biodistribution_study(
    *, actor, product, title: str, species: str, route: str, label_method: str, target: str, time_points: str,
    fraction_in_target_pct, threshold_pct, second_method: str = "", summary: str = "",
) -> BiodistributionStudy:  # fmt: skip
    require(actor, "studies.define")
    title = _text(title, "title", _("a title is required"))
    fraction = evaluation.to_decimal(fraction_in_target_pct, field="fraction_in_target_pct")
    threshold = evaluation.to_decimal(threshold_pct, field="threshold_pct")
    for number, field in ((fraction, "fraction_in_target_pct"), (threshold, "threshold_pct")):
        if not 0 <= number <= 100:
            raise InputError(_("a percentage must lie between 0 and 100"), where=field)
    study = BiodistributionStudy.objects.create(
        product=product, title=title, species=_text(species, "species", _("name the animal model")),
        route=_route_code(_text(route, "route", _("a route is required"))),
        label_method=_text(label_method, "label_method", _("name the label or detection method")),
        target=_text(target, "target", _("name the target")), time_points=(time_points or "").strip(),
        fraction_in_target_pct=fraction, threshold_pct=threshold, second_method=(second_method or "").strip(),
        summary=summary or "", created_by=actor, created_at=_now(),
    )  # fmt: skip
    record_event(actor=actor, action="biodistribution.create", object_type="biodistribution_study",
                 object_id=study.pk, after={"product": product.code, "title": title, "target": study.target,
                                            "fraction_in_target_pct": fraction, "threshold_pct": threshold,
                                            "label_method": study.label_method,
                                            "second_method": study.second_method})  # fmt: skip
    return study


@transaction.atomic
def create_dose_response_study(
    *, actor, product, title: str, kind: str, unit: str, dose_low, dose_high, effective_low=None,
    effective_high=None, safe_high=None, summary: str = "",
) -> DoseResponseStudy:  # fmt: skip
    require(actor, "studies.define")
    title = _text(title, "title", _("a title is required"))
    if kind not in dict(DoseResponseStudy.KINDS):
        raise InputError(_("choose in vitro or in vivo"), where="kind")
    unit = _text(unit, "unit", _("a dose unit is required"))

    def dec(value, field):
        return None if value in (None, "") else evaluation.to_decimal(value, field=field)

    low, high = dec(dose_low, "dose_low"), dec(dose_high, "dose_high")
    if low is None or high is None or low < 0 or low >= high:
        raise InputError(_("the doses tested must satisfy 0 <= lowest < highest"), where="dose_low")
    eff_low, eff_high, safe = (
        dec(effective_low, "effective_low"),
        dec(effective_high, "effective_high"),
        dec(safe_high, "safe_high"),
    )
    if eff_low is not None and eff_high is not None and eff_low > eff_high:
        raise InputError(_("the effective range is reversed"), where="effective_low")
    study = DoseResponseStudy.objects.create(
        product=product, title=title, kind=kind, unit=unit, dose_low=low, dose_high=high, effective_low=eff_low,
        effective_high=eff_high, safe_high=safe, summary=summary or "", created_by=actor, created_at=_now(),
    )  # fmt: skip
    record_event(actor=actor, action="dose_response.create", object_type="dose_response_study",
                 object_id=study.pk, after={"product": product.code, "title": title, "kind": kind, "unit": unit,
                                            "dose_low": low, "dose_high": high, "effective_low": eff_low,
                                            "effective_high": eff_high, "safe_high": safe})  # fmt: skip
    return study
