"""Control charts from a CSV file: read, group, compute limits, apply run rules and capability.

The numeric work lives in spc_charts (limits, qcc conventions), spc_rules (Western Electric /
Nelson) and spc_capability; this module turns a table into chart input, checks it, and builds
one JSON-able result. Every problem in the input raises InputError naming the file and the
line/column (or the option) at fault; a result is never returned for half-checked data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from evqms.analytics import spc_capability, spc_charts, spc_rules
from evqms.core.limits import csv_rows, decode_text, sniff_dialect
from evqms.errors import InputError, location
from evqms.i18n import _

# --------------------------------------------------------------------------------------------
# Reading a CSV table (shared with stability.py)


MAX_ROWS = 100_000


def _decode(data: bytes, name: str = "") -> str:
    # UTF-8/UTF-16 (BOM or not), else Latin-1 (instrument/LIMS exports often are); NUL bytes
    # refused (evqms.core.limits)
    return decode_text(data, name=name, fallback=("latin-1",))


def read_csv_columns(
    data: bytes, filename: str, numeric: Sequence[str], text: Sequence[str] = ()
) -> tuple[dict[str, list], list[int]]:
    """Columns by name (numbers as floats, text stripped) and the file line of each data row.

    Raises InputError for a missing column, an empty or non-numeric cell, or no data rows.
    """
    content = _decode(data, filename)
    reader = csv_rows(content, name=filename, dialect=sniff_dialect(content))  # bounded, no csv.Error
    header = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = [cell.strip() for cell in row]
            header_line = reader.line_num
            break
    if header is None:
        raise InputError(_("the file is empty"), where=location(file=filename))
    index = {}
    for name in (*numeric, *text):
        if name not in header:
            raise InputError(
                _("no column named {name} (columns: {columns})").format(name=name, columns=", ".join(header)),
                where=location(file=filename, line=header_line, column=name),
            )
        index[name] = header.index(name)
    columns: dict[str, list] = {name: [] for name in (*numeric, *text)}
    lines: list[int] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(lines) >= MAX_ROWS:  # charts and fits stay quick; more is not one chart's data
            raise InputError(
                _("more than {n} data rows").format(n=MAX_ROWS), where=location(file=filename, line=line)
            )
        for name in (*numeric, *text):
            i = index[name]
            cell = row[i].strip() if i < len(row) else ""
            if cell == "":
                raise InputError(_("empty cell"), where=location(file=filename, line=line, column=name))
            if name in numeric:
                try:
                    value = float(cell)
                except ValueError:
                    value = math.nan
                if not math.isfinite(value):
                    raise InputError(
                        _("not a number: {value}").format(value=cell),
                        where=location(file=filename, line=line, column=name),
                    )
                columns[name].append(value)
            else:
                columns[name].append(cell)
        lines.append(line)
    if not lines:
        raise InputError(_("the file has a header but no data rows"), where=location(file=filename))
    return columns, lines


# --------------------------------------------------------------------------------------------
# Calibration (phase I) selection


def parse_calibration(spec: str | None, count: int) -> np.ndarray:
    """'1-25' or '1-10,14,20-25' (1-based, inclusive) -> boolean mask over `count` points."""
    mask = np.zeros(count, dtype=bool)
    if spec is None or spec.strip() == "":
        mask[:] = True
        return mask
    where = location(field="--calibration")
    for part in spec.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise InputError(
                _("cannot read the range '{part}'; write e.g. 1-25").format(part=part), where=where
            )
        first = int(m.group(1))
        last = int(m.group(2) or first)
        if first < 1 or last < first or last > count:
            raise InputError(
                _("range {part} is outside the data (1 to {count})").format(part=part.strip(), count=count),
                where=where,
            )
        mask[first - 1 : last] = True
    if mask.sum() < 2:
        raise InputError(_("the calibration phase needs at least two subgroups"), where=where)
    return mask


# --------------------------------------------------------------------------------------------
# Building chart input from columns


def _group_rows(values, labels, lines, filename, value_col, subgroup_col):
    """Subgroups in order of first appearance; each keeps the line of its first row."""
    order: dict[str, list[float]] = {}
    first_line: dict[str, int] = {}
    for v, label, line in zip(values, labels, lines, strict=True):
        order.setdefault(label, []).append(v)
        first_line.setdefault(label, line)
    return [np.array(v) for v in order.values()], list(order), [first_line[k] for k in order]


def _check_counts(counts, sizes, lines, filename, value_col, size_col, chart):
    for c, n, line in zip(counts, sizes, lines, strict=True):
        where_c = location(file=filename, line=line, column=value_col)
        if c < 0:
            raise InputError(_("a count cannot be negative: {value}").format(value=c), where=where_c)
        if c != int(c):
            raise InputError(_("a count must be a whole number: {value}").format(value=c), where=where_c)
        if n <= 0:
            raise InputError(
                _("a sample size must be positive: {value}").format(value=n),
                where=location(file=filename, line=line, column=size_col),
            )
        if chart in ("p", "np") and c > n:
            raise InputError(
                _("{count} nonconforming units out of a sample of {size}").format(count=int(c), size=n),
                where=where_c,
            )


def analyze_table(
    data: bytes, filename: str, *, chart: str, value: str, subgroup: str | None = None,
    size: str | None = None, calibration: str | None = None, lsl: float | None = None,
    usl: float | None = None, target: float | None = None, nsigmas: float = 3.0,
    rules: str = "all", confidence: float = 0.95,
) -> dict:  # fmt: skip
    """Read a CSV and compute a control chart; returns the JSON-able result."""
    numeric, text = _columns_to_read(chart, value, subgroup, size, nsigmas)
    columns, lines = read_csv_columns(data, filename, numeric, text)
    values = np.array(columns[value], dtype=float)
    warnings: list[str] = []
    extra: dict = {}
    if chart in spc_charts.VARIABLE_CHARTS:
        groups, labels, group_lines = _group_rows(values, columns[subgroup], lines, filename, value, subgroup)
        _check_subgroups(chart, groups, labels, group_lines, filename, subgroup)
        mask = parse_calibration(calibration, len(groups))
        comp = spc_charts.variables_chart(chart, groups, mask, nsigmas)
        phase1_obs = np.concatenate([g for g, m in zip(groups, mask, strict=True) if m])
        point_labels = labels
    elif chart == "i":
        _check_two_points(values, filename, value)
        mask = parse_calibration(calibration, len(values))
        comp = spc_charts.individuals_chart(values, mask, nsigmas)
        extra["moving_range"] = spc_charts.moving_range_limits(values, mask, nsigmas)
        phase1_obs = values[mask]
        point_labels = None
    else:
        sizes = np.array(columns[size], dtype=float) if size else np.ones(len(values))
        _check_counts(values, sizes, lines, filename, value, size, chart)
        _check_two_points(values, filename, value)
        if chart == "c" and len(np.unique(sizes)) > 1:
            raise InputError(
                _("a c chart needs equal inspection units; use a u chart for varying sizes"),
                where=location(file=filename, column=size),
            )
        mask = parse_calibration(calibration, len(values))
        if chart in ("p", "np") and np.sum(values[mask]) == 0:
            warnings.append(_("no nonconforming units in the calibration phase: the limits collapse to zero"))
        comp = spc_charts.attribute_chart(chart, values, sizes, mask, nsigmas)
        phase1_obs = None
        point_labels = None
    capability = None
    if lsl is not None or usl is not None:
        capability = _capability(chart, comp, phase1_obs, lsl, usl, target, confidence)
    return build_result(comp, mask, rules, capability, point_labels, warnings, extra)


def _columns_to_read(chart: str, value: str, subgroup: str | None, size: str | None, nsigmas: float):
    """(numeric columns, text columns) the chart reads; refuses a chart type, sigma multiple or
    missing --subgroup/--size before the file is read."""
    if chart not in spc_charts.CHARTS:
        raise InputError(_("unknown chart type {chart}").format(chart=chart), where=location(field="--chart"))
    if not nsigmas > 0:
        raise InputError(_("--nsigmas must be positive"), where=location(field="--nsigmas"))
    numeric = [value]
    text = []
    if chart in spc_charts.VARIABLE_CHARTS:
        if not subgroup:
            raise InputError(
                _("an {chart} chart needs --subgroup (the column naming each subgroup)").format(chart=chart),
                where=location(field="--subgroup"),
            )
        text.append(subgroup)
    if chart in ("p", "np", "u"):
        if not size:
            raise InputError(
                _("a {chart} chart needs --size (the column of sample sizes)").format(chart=chart),
                where=location(field="--size"),
            )
    if size and chart in spc_charts.ATTRIBUTE_CHARTS:
        numeric.append(size)
    return numeric, text


def _check_subgroups(chart: str, groups, labels, group_lines, filename: str, subgroup: str) -> None:
    """At least two subgroups, each of two or more values (an R chart: at most 25)."""
    if len(groups) < 2:
        raise InputError(
            _("a control chart needs at least two subgroups; found {n}").format(n=len(groups)),
            where=location(file=filename, column=subgroup),
        )
    for g, label, line in zip(groups, labels, group_lines, strict=True):
        if len(g) < 2:
            raise InputError(
                _("subgroup {label} has a single value; an {chart} chart needs subgroups of 2 or more "
                  "(use --chart i for individual values)").format(label=label, chart=chart),
                where=location(file=filename, line=line, column=subgroup),
            )  # fmt: skip
        if chart == "r" and len(g) > spc_charts.MAX_RANGE_SIZE:
            raise InputError(
                _("subgroup {label} has {n} values; an R chart takes at most 25 (use an S chart)").format(
                    label=label, n=len(g)
                ),
                where=location(file=filename, line=line, column=subgroup),
            )


def _check_two_points(values, filename: str, value: str) -> None:
    if len(values) < 2:
        raise InputError(
            _("a control chart needs at least two subgroups; found {n}").format(n=len(values)),
            where=location(file=filename, column=value),
        )


def _capability(chart: str, comp, phase1_obs, lsl, usl, target, confidence: float) -> dict:
    """Process capability against the specification limits, from a variables chart's phase I."""
    if phase1_obs is None:
        raise InputError(
            _("capability needs a variables chart (xbar, r, s or i)"), where=location(field="--lsl/--usl")
        )
    if lsl is not None and usl is not None and lsl >= usl:
        raise InputError(_("--lsl must be below --usl"), where=location(field="--lsl"))
    # the process centre is the grand mean (the X-bar centre); sigma the chart's estimate
    proc_center = float(np.mean(phase1_obs)) if chart != "xbar" else float(comp.center[0])
    return spc_capability.capability(
        phase1_obs, proc_center, float(comp.sigma), lsl=lsl, usl=usl, target=target,
        nsigmas=3.0, confidence=confidence,
    )  # fmt: skip


def _scalar_or_list(arr: np.ndarray):
    arr = np.asarray(arr, dtype=float)
    if arr.size and np.allclose(arr, arr[0], rtol=0, atol=0):
        return float(arr[0])
    return arr.tolist()


def build_result(comp, mask, rules, capability, labels, warnings, extra) -> dict:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(comp.se > 0, (comp.statistics - comp.center) / comp.se, 0.0)
    per_point = spc_rules.rules_by_point(z, rules)
    beyond = (comp.statistics > comp.ucl) | (comp.statistics < comp.lcl)
    points = []
    for i, stat in enumerate(comp.statistics):
        point = {
            "index": i + 1,
            "value": float(stat),
            "phase": "I" if mask[i] else "II",
            "beyond_limits": bool(beyond[i]),
            "rules": per_point[i],
        }
        if labels is not None:
            point["subgroup"] = labels[i]
        points.append(point)
    sigma = comp.sigma if np.isscalar(comp.sigma) else _scalar_or_list(comp.sigma)
    result = {
        "chart": comp.chart,
        "center": _scalar_or_list(comp.center),
        "lcl": _scalar_or_list(comp.lcl),
        "ucl": _scalar_or_list(comp.ucl),
        "sigma": float(sigma) if np.isscalar(sigma) else sigma,
        "std_dev_method": comp.std_dev_method,
        "nsigmas": comp.nsigmas,
        "sizes": _scalar_or_list(comp.sizes),
        "calibration": [int(i) + 1 for i in np.flatnonzero(mask)],
        "points": points,
        "beyond_limits": [int(i) + 1 for i in np.flatnonzero(beyond)],
        "rule_set": rules,
        "rules": spc_rules.apply_rules(z, rules),
        "rule_descriptions": {
            k: v for k, v in spc_rules.rule_descriptions().items() if k in spc_rules.RULE_SETS[rules]
        },  # fmt: skip
        "capability": capability,
        "warnings": warnings,
    }
    # 1-based indices per rule, to match "points" and "beyond_limits"
    result["rules"] = {k: [i + 1 for i in v] for k, v in result["rules"].items()}
    result.update(extra)
    return result


def out_of_control(result: dict) -> bool:
    """True when any point is beyond the limits or flagged by a run rule."""
    return bool(result["beyond_limits"]) or any(p["rules"] for p in result["points"])
