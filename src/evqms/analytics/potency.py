"""Potency assays: dose-response fits as R's drc computes them, ED values, relative potency.

The public API for the QMS and the CLI:

- `fit_dose_response(doses, responses, curves=None, model="LL4", shared=())` -> `FitResult`
  (`.estimates(curve)`, `.std_errors(curve)`, `.ed(curve, p)`, `.to_dict()`)
- `relative_potency(fit, curve, reference)`: ED50(reference)/ED50(curve), delta and Fieller CIs
- `usp_relative_potency(doses, responses, lots, reference, test)`: parallel-line (constrained)
  relative potency of a test lot against a reference lot, with the parallelism F test
- `read_potency_csv(path, dose=..., response=..., curve=...)` -> `PlateData`

Models (drc names): LL.4, LL.3 (c = 0), LL2.4 (e on the log scale), W1.4, W2.4; see
`potency_models`. Errors in the input raise `InputError` naming the file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass

from evqms.core.limits import csv_rows, decode_text, read_file, sniff_dialect
from evqms.errors import InputError, location
from evqms.i18n import _

from .potency_compare import (
    USPRelativePotency,
    fieller_interval,
    parallelism_test,
    ratio_of_eds,
    usp_relative_potency,
)
from .potency_fit import SINGLE_CURVE, FitError, FitResult, fit_dose_response
from .potency_models import MODELS, get_model

__all__ = [
    "MODELS",
    "SINGLE_CURVE",
    "FitError",
    "FitResult",
    "PlateData",
    "USPRelativePotency",
    "fieller_interval",
    "fit_dose_response",
    "get_model",
    "parallelism_test",
    "read_potency_csv",
    "relative_potency",
    "usp_relative_potency",
]


def relative_potency(fit: FitResult, curve: str, reference: str, level: float = 0.95) -> dict:
    """ED50(reference) / ED50(curve): > 1 when `curve` needs less dose for the same effect."""
    for name in (curve, reference):
        if name not in fit.curves:
            raise InputError(
                _("curve {name} not found; curves are {names}").format(
                    name=name, names=", ".join(fit.curves)
                ),
                where=location(field="curve"),
            )
    return ratio_of_eds(fit, reference, curve, 50.0, level)


@dataclass
class PlateData:
    doses: list
    responses: list
    curves: list | None  # None: a single curve
    lines: list  # source line of each observation
    source: str


MAX_WELLS = 10_000  # six 1536-well plates; more is not a plate


def _decode(data: bytes, name: str = "") -> str:
    # UTF-8/UTF-16 (BOM or not), else Latin-1; NUL bytes refused (evqms.core.limits)
    return decode_text(data, name=name, fallback=("latin-1",))


def _number(text: str, what: str, where: str) -> float:
    value = text.strip()
    if value == "" or value.upper() in {"NA", "NAN", "NULL"}:
        raise InputError(_("missing {what}").format(what=what), where=where)
    try:
        number = float(value)
    except ValueError:
        raise InputError(_("not a number: {value!r}").format(value=value), where=where) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError(_("not a finite number: {value!r}").format(value=value), where=where)
    return number


def parse_potency_csv(
    text: str, source: str, dose: str, response: str, curve: str | None = None
) -> PlateData:
    """Read dose/response (and curve) columns from CSV text; every bad cell is reported with
    its line and column."""
    lines = text[:4096].splitlines()
    dialect = sniff_dialect("\n".join(lines[:5]))
    reader = csv_rows(text, name=source, dialect=dialect)  # bounded fields; csv.Error -> InputError
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise InputError(_("the file is empty (no header line)"), where=location(file=source, line=1))
    header = [h.strip() for h in header]
    cols = {}
    for role, name in (("dose", dose), ("response", response), ("curve", curve)):
        if name is None:
            continue
        if name not in header:
            raise InputError(
                _("no column named {name}; the header has: {columns}").format(
                    name=name, columns=", ".join(header)
                ),
                where=location(file=source, line=1, column=name),
            )
        cols[role] = header.index(name)
    doses, responses, curves, where_lines = [], [], [], []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(doses) >= MAX_WELLS:  # the fits grow with the wells: a bound keeps a run short
            raise InputError(
                _("more than {n} data rows: a potency plate has far fewer wells").format(n=MAX_WELLS),
                where=location(file=source, line=line),
            )
        cells = {role: (row[i] if i < len(row) else "") for role, i in cols.items()}
        x = _number(cells["dose"], _("dose"), location(file=source, line=line, column=dose))
        if x < 0:
            raise InputError(
                _("negative dose {value}").format(value=cells["dose"].strip()),
                where=location(file=source, line=line, column=dose),
            )
        y = _number(cells["response"], _("response"), location(file=source, line=line, column=response))
        if curve is not None:
            label = cells["curve"].strip()
            if not label:
                raise InputError(
                    _("missing curve name"), where=location(file=source, line=line, column=curve)
                )
            curves.append(label)
        doses.append(x)
        responses.append(y)
        where_lines.append(line)
    if not doses:
        raise InputError(_("no data rows"), where=location(file=source, line=2))
    data = PlateData(doses, responses, curves if curve is not None else None, where_lines, source)
    _check_curves(data, curve)
    return data


def _check_curves(data: PlateData, curve_column: str | None) -> None:
    """A curve measured at a single dose cannot be fitted: say which curve and where it starts."""
    labels = data.curves or [SINGLE_CURVE] * len(data.doses)
    seen: dict[str, tuple[set, int]] = {}
    for label, x, line in zip(labels, data.doses, data.lines, strict=True):
        doses, first = seen.get(label, (set(), line))
        doses.add(x)
        seen[label] = (doses, first)
    for label, (doses, first) in seen.items():
        if len(doses) < 2:
            raise InputError(
                _("curve {name} has a single dose ({dose}); a dose-response fit needs several").format(
                    name=label, dose=next(iter(doses))
                ),
                where=location(file=data.source, line=first, column=curve_column),
            )


def read_potency_csv(path, dose: str, response: str, curve: str | None = None) -> PlateData:
    return parse_potency_csv(_decode(read_file(path), str(path)), str(path), dose, response, curve)
