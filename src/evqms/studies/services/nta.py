"""NTA exports into QC results: which attributes an export fills, its capture time and dilution.

QC results are recorded only through `evqms.lots.services.record_qc_result` (frozen limits,
verdict, OOS deviation); what the instrument file gave is added to the result's `derived` figures.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.analytics.nta_stats import number_fraction_pct
from evqms.audit.services import record_event
from evqms.core import keptfiles, limits
from evqms.core.timefmt import display_local
from evqms.dossier.models import SpecAttribute
from evqms.errors import InputError, RuleViolation, location
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.lots.services import require_qc_entry
from evqms.lots.services.qc import QCEntriesRefused, QCEntry, record_qc_results
from evqms.studies.models import NTAImport
from evqms.studies.services.common import checked_when, decimal_from_float, now

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
    return _attribute_plan(lot, concentration_attribute, size_attributes)[0]


def _attribute_plan(lot: Lot, concentration_attribute, size_attributes) -> tuple[dict[str, str], dict]:
    """The plan and the lot's specification attributes by code, read once for the whole import."""
    # one query, the specification joined: the QC rules read each attribute's specification
    attributes = SpecAttribute.objects.filter(specification_id=lot.specification_id).select_related(
        "specification"
    )
    codes = {a.code: a for a in attributes}
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
    return plan, codes


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
    require_qc_entry(actor, lot)
    filename = keptfiles.original_name(filename or "", "nta-export")
    data = bytes(data)
    limits.check_size(len(data), name=filename)  # before parsing: EVQMS_UPLOAD_LIMIT_MB
    plan, attributes = _attribute_plan(lot, concentration_attribute, size_attributes)
    parsed = _recordable_export(data, filename, confirm_warnings)
    tested_at, tested_at_source, tested_at_reason = _nta_tested_at(
        tested_at, nta_captured_at(parsed), tested_at_reason
    )
    factor, dilution, dilution_source = _nta_dilution(parsed, dilution, plan)
    nta = NTAImport(
        lot=lot,
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
        imported_at=now(),
    )
    kept = keptfiles.keep(nta.file, filename, data)
    nta.original_name, nta.sha256 = kept.original_name, kept.sha256
    nta.save()
    recorded = _record_nta_results(actor, nta, factor, attributes)
    nta.qc_results.add(*recorded)  # a new import: nothing to compare with, as set() would
    record_event(
        actor=actor,
        action="nta.attach",
        object_type="nta_import",
        object_id=nta.pk,
        after={
            "lot": lot.number,
            "file": nta.original_name,
            "sha256": nta.sha256,
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
        reason=_nta_event_reason(nta),
    )
    return nta


def _recordable_export(data: bytes, filename: str, confirm_warnings: bool) -> dict:
    """The parsed export, refused when it tracked no particles or has warnings not confirmed."""
    parsed = parse_nta_export(data, filename)
    if parsed["no_particles"]:
        raise InputError(
            _("the NTA export has no tracked particles: there is no concentration or size to record"),
            where=location(file=filename),
        )
    if parsed["warnings"] and not confirm_warnings:
        raise NTAWarnings(parsed["warnings"], parsed)
    return parsed


def _nta_figure(parsed: dict, code: str, statistic: str, factor: float, filename: str) -> tuple[float, str]:
    """(figure, unit) the export gives for one planned attribute: the sample's concentration
    (the file's times `factor`), the percentage within a size window, or a size statistic."""
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
    return figure, unit


def _record_nta_results(actor, nta: NTAImport, factor: float, attributes: dict) -> list:
    """One QC result per planned attribute, through the lot's QC rules, each carrying what the
    export gave (recomputed and stated figures, instrument, dilution, times) in `derived`.
    `attributes`: the specification's attributes by code, as read for the plan. The results are
    recorded together (`record_qc_results`: the lot locked once, rows and audit events in bulk,
    the same rows and events as one by one); the first refusal in plan order is raised, as when
    they were recorded one at a time."""
    lot, parsed = nta.lot, nta.parsed
    method = f"NTA ({parsed['instrument']})"  # stored data: one language
    entries = []
    for code, statistic in nta.filled.items():
        try:
            figure, unit = _nta_figure(parsed, code, statistic, factor, nta.original_name)
            value = decimal_from_float(figure, code)
        except InputError:
            _record_entries(actor, entries)  # a refusal of an attribute before this one comes first
            raise
        entries.append(
            QCEntry(
                lot=lot,
                attribute=attributes[code],
                value=value,
                unit=unit,
                method=method,
                tested_at=nta.tested_at,
                stored_file_name=nta.file.name,
                stored_file_sha256=nta.sha256,
                derived={
                    "source": "nta",
                    "nta_import": nta.pk,
                    "statistic": statistic,
                    "recomputed": figure,
                    "stated": _stated_figure(parsed, statistic),
                    "unit": unit,
                    "instrument": parsed["instrument"],
                    "software": parsed.get("software"),
                    "dilution": nta.dilution,
                    "dilution_source": nta.dilution_source,
                    "captured_at": parsed.get("captured_at"),
                    "tested_at_source": nta.tested_at_source,
                    "videos": parsed.get("videos"),
                    "concentration_per_ml": parsed["concentration_per_ml"],
                    "size_nm": parsed["size_nm"],
                    "file_sha256": nta.sha256,
                    "warnings": parsed["warnings"],
                },
            )
        )
    return _record_entries(actor, entries)


def _record_entries(actor, entries: list) -> list:
    if not entries:
        return []
    try:
        return record_qc_results(actor=actor, entries=entries)
    except QCEntriesRefused as refused:
        raise refused.refusals[0][1] from None


def _nta_event_reason(nta: NTAImport) -> str:
    """Why the import's audit event departs from the file: warnings confirmed, another tested-at."""
    reasons = []
    if nta.warnings:
        reasons.append("warnings confirmed by the analyst")
    if nta.tested_at_reason:
        reasons.append(f"tested at differs from the file's capture time: {nta.tested_at_reason}")
    return "; ".join(reasons)


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
    tested_at = checked_when(tested_at, "tested_at")
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
