"""Particle Metrix ZetaView `.txt` size exports (software 8.x).

The file is latin-1 text: a header of `Key:<TAB>value` lines (some lines hold several such
fields, e.g. `Number of Traces`, `Average Number of Particles` and `Dilution::` on one line),
then `Size Distribution`, a column header, the linear section in 5-nm classes ending at a row
of `-1.000E+0`, and a log-spaced section to the end of the file.

The instrument's report figures are reproduced from the linear section: mean and SD weighted
by the number of particles per class (the "Number" SD divides by n-1), X10/X50/X90 by linear
interpolation of the cumulative number distribution against class centres, the concentration
as the sum of the `Concentration / cm-3` column (as measured) and times the dilution (original
sample). The report's peak diameter comes from a smoothed curve the file does not hold, so
`mode` here is the centre of the most populated class.

Volume-weighted figures (X10/X50/X90, mean, SD): each linear class weighs N x centre^3 (the
pi/6 cancels; it is the `Volume / nm^3` column before that column's 4-digit rounding), the
cumulative volume is interpolated linearly between class centres, and the SD divides by the
total weight (no n-1). This reproduces the header's `Median Volume (D50)` to every printed
digit (218.875740 on the PC3 validation file) and the report's 125.3/218.9/468.3 nm, mean
265.4, SD 140.0. Alternatives that miss: the printed Volume column as weights (D50 218.87687),
concentration x centre^3 (218.88307), the class integral of d^3 (218.86539), upper or lower
class edges (221.38, 216.38), the log section (216.27), an n-1 SD over 630 particles (140.06).
"""

from __future__ import annotations

import re

import numpy as np

from evqms.analytics import nta_stats
from evqms.analytics.nta import ZETAVIEW, NTAResult, agrees, capture_time, number
from evqms.analytics.nta_stats import SizeStats
from evqms.errors import InputError, location
from evqms.i18n import _

_VERSION_RE = re.compile(r"version\s+(\d+)\.(\d+)", re.I)


def _header_fields(line: str) -> list[tuple[str, str]]:
    """(key, value) pairs of one header line. A cell ending with ':' is a key and the next cell
    its value; further cells ('sensed', '(at 0.09999)') qualify the value and are dropped."""
    cells = line.split("\t")
    pairs: list[tuple[str, str]] = []
    key = None
    for k, cell in enumerate(cells):
        cell = cell.strip()
        if cell.endswith(":"):
            if key is not None:
                pairs.append((key, ""))
            key = cell.rstrip(":").strip()
        elif key is not None:
            pairs.append((key, cell))
            key = None
        elif k == 0 and ": " in cell:  # 'Conductivity: 65.000000' (a space where a tab belongs)
            name, value = cell.split(": ", 1)
            pairs.append((name.strip(), value.strip()))
    if key is not None:
        pairs.append((key, ""))
    return pairs


def _section(lines: list[str], start: int, filename: str, cols: tuple[int, int], until_minus_one: bool):
    """Rows of a size section from `start`: (centres, numbers, concentrations, next index).
    The linear section must end at its -1 row; the log section ends at the file's end or at
    the first line that is not a row of numbers."""
    table = _section_table(lines, start, cols, until_minus_one)
    if table is not None:
        return table
    return _section_rows(lines, start, filename, cols, until_minus_one)


def _section_table(lines: list[str], start: int, cols: tuple[int, int], until_minus_one: bool):
    """A regular section read in bulk: the linear one up to the first line that starts with a
    minus sign (its -1 row), the log one to the end of the file. None when anything is
    irregular (a blank or short line, a cell that is not a finite number, a negative count, no
    -1 row, text after the log rows): `_section_rows` then reads the section line by line and
    refuses, or stops, exactly where it should. Every cell here is one `float()` would read,
    so the values are the same."""
    if until_minus_one:
        try:  # a -1 row written with a space before it is not found here: the row by row path reads it
            end = start + [line[:1] for line in lines[start:]].index("-")
        except ValueError:
            return None
    else:
        end = len(lines)
    rows = [line.split("\t") for line in lines[start : end + 1 if until_minus_one else end]]
    if not rows or min(map(len, rows)) < max(cols) + 1:
        return None
    if until_minus_one:
        last = rows.pop()
        try:
            if float(last[0]) != -1.0:
                return None
        except ValueError:
            return None
    try:
        centres = list(map(float, [r[0] for r in rows]))
        numbers = list(map(float, [r[cols[0]] for r in rows]))
        concs = list(map(float, [r[cols[1]] for r in rows]))
    except ValueError:
        return None
    values = np.array([centres, numbers, concs], dtype=float)
    if not np.isfinite(values).all() or (values[1:] < 0).any() or (values[0] == -1.0).any():
        return None
    return centres, numbers, concs, end + 1 if until_minus_one else end


def _section_rows(lines: list[str], start: int, filename: str, cols: tuple[int, int], until_minus_one: bool):
    """A size section line by line (see `_section`)."""
    centres, numbers, concs = [], [], []
    i = start
    need = max(cols) + 1
    while i < len(lines):
        line = lines[i]
        cells = line.split("\t")
        if not line.strip():
            if until_minus_one:
                i += 1
                continue
            break
        try:
            first = float(cells[0])
        except ValueError:
            if until_minus_one:
                raise InputError(
                    _("the cell {value!r} is not a number").format(value=cells[0][:40]),
                    where=location(file=filename, line=i + 1, column="Size / nm"),
                ) from None
            break
        if len(cells) < need:
            raise InputError(
                _("size row has {found} values, expected at least {expected}").format(
                    found=len(cells), expected=need
                ),
                where=location(file=filename, line=i + 1),
            )
        if until_minus_one and first == -1.0:
            return centres, numbers, concs, i + 1
        centres.append(number(cells[0], filename, i + 1, column="Size / nm"))
        numbers.append(number(cells[cols[0]], filename, i + 1, column="Number"))
        concs.append(number(cells[cols[1]], filename, i + 1, column="Concentration / cm-3"))
        if numbers[-1] < 0 or concs[-1] < 0:
            raise InputError(
                _("negative particle number or concentration"), where=location(file=filename, line=i + 1)
            )
        i += 1
    if until_minus_one:
        raise InputError(
            _("the linear size section does not end with its -1 row: the file is truncated"),
            where=location(file=filename, line=len(lines)),
        )
    return centres, numbers, concs, i


def parse_zetaview(text: str, filename: str) -> NTAResult:
    """The report's figures recomputed from the linear size section, with a warning wherever the
    header states otherwise (traces, the log section's count, the number and volume D50)."""
    lines = text.splitlines()
    header = _Header(lines, filename)
    cols = _size_columns(lines, header.size_at, filename)
    centres, numbers, concs, nxt = _section(lines, header.size_at + 2, filename, cols, until_minus_one=True)
    _lc, log_numbers, _lconc, _end = _section(lines, nxt, filename, cols, until_minus_one=False)

    software = header.text("Software") or "ZetaView"
    warnings: list[str] = []
    notes: list[str] = []
    m = _VERSION_RE.search(software)
    if not m or m.group(1) != "8":
        warnings.append(
            _(
                "ZetaView software {software!r} is not a tested version (8.x): check the figures against the instrument's report"
            ).format(software=software)
        )
    dilution = _dilution(header, notes)
    traces = header.number("Number of Traces")
    total = float(np.sum(numbers)) if numbers else 0.0
    measured = float(np.sum(concs)) if concs else 0.0
    extra = _extra(header, m, traces, measured if total > 0 else None, dilution)
    warnings.extend(_count_disagreements(traces, total, log_numbers))
    common = dict(
        file=filename,
        instrument=ZETAVIEW,
        software=software,
        dilution=dilution,
        videos=None,
        concentration_per_ml_se=None,
        size_nm_se=None,
        per_video=None,
        bin_centres_nm=list(centres),
        warnings=warnings,
        notes=notes,
        stated={
            "d50_number": header.number("Median Number (D50)"),
            "d50_volume": header.number("Median Volume (D50)"),
            "traces": traces,
        },
        extra=extra,
    )
    if total <= 0:
        warnings.insert(0, _("no particles tracked (0 traces): there is no size or concentration result"))
        return NTAResult(
            concentration_per_ml=None,
            size_nm=SizeStats.empty(),
            histogram_per_ml=[0.0] * len(centres),
            no_particles=True,
            **common,
        )

    size = nta_stats.size_stats(centres, numbers, anchor="centre", ddof=1, mode="class")
    volume = nta_stats.size_stats(centres, numbers, anchor="centre", ddof=0, mode="class", weighting="volume")
    extra["size_nm_volume"] = volume.to_dict()
    for label, mine in (("Median Number (D50)", size.d50), ("Median Volume (D50)", volume.d50)):
        theirs = header.text(label).split()[0] if header.text(label).split() else None
        if not agrees(mine, theirs):
            warnings.append(
                _("{figure} recomputed from the histogram is {mine}, the file states {theirs}").format(
                    figure=label, mine=_g(mine), theirs=theirs
                )
            )
    factor = dilution or 1.0
    return NTAResult(
        concentration_per_ml=measured * factor,
        size_nm=size,
        histogram_per_ml=[c * factor for c in concs],
        **common,
    )


class _Header:
    """The `Key: value` fields before `Size Distribution` (the first of a repeated key counts),
    each with its line, and the index of the `Size Distribution` line."""

    def __init__(self, lines: list[str], filename: str):
        self.filename = filename
        self.fields: dict[str, tuple[str, int]] = {}
        size_at = None
        for i, line in enumerate(lines):
            if line.strip() == "Size Distribution":
                size_at = i
                break
            for key, value in _header_fields(line):
                self.fields.setdefault(key, (value, i + 1))
        if size_at is None:
            raise InputError(
                _("no 'Size Distribution' section: the size data is missing"),
                where=location(file=filename, line=len(lines)),
            )
        if size_at + 1 >= len(lines):
            raise InputError(
                _("the file ends after 'Size Distribution': the size data is missing"),
                where=location(file=filename, line=size_at + 1),
            )
        self.size_at = size_at

    def text(self, key: str) -> str:
        return self.fields.get(key, ("", 0))[0]

    def line(self, key: str) -> int:
        return self.fields[key][1]

    def number(self, key: str) -> float | None:
        if key not in self.fields or not self.fields[key][0]:
            return None
        text_value, line_no = self.fields[key]
        return _num(text_value, self.filename, line_no, key)


def _size_columns(lines: list[str], size_at: int, filename: str) -> tuple[int, int]:
    """The columns of Number and Concentration in the size section's header."""
    names = [c.strip() for c in lines[size_at + 1].split("\t")]
    try:
        return names.index("Number"), next(k for k, c in enumerate(names) if c.startswith("Concentration"))
    except (ValueError, StopIteration):
        raise InputError(
            _("the size section's column header lacks 'Number' or 'Concentration'"),
            where=location(file=filename, line=size_at + 2),
        ) from None


def _dilution(header: _Header, notes: list[str]) -> float | None:
    dilution = header.number("Dilution")
    if dilution is None:
        notes.append(_("dilution not recorded: concentrations are those of the sample as measured"))
    elif dilution <= 0:
        raise InputError(
            _("the dilution must be positive"),
            where=location(file=header.filename, line=header.line("Dilution"), field="Dilution"),
        )
    return dilution


def _extra(header: _Header, version, traces, measured: float | None, dilution) -> dict:
    """What the header records beyond the figures: sample, traces, positions, cycles, particles
    per frame, temperature, the concentration as measured, the capture time."""
    cycles = re.search(r"#Cycles\s+(\d+)", header.text("Camera"))
    return {
        "version": ".".join(version.groups()) if version else None,
        "sample": header.text("Sample") or None,
        "traces": int(traces) if traces is not None else None,
        "positions": _int(header.number("Positions")),
        "cycles": int(cycles.group(1)) if cycles else None,
        "particles_per_frame": header.number("Average Number of Particles"),
        "temperature_c": header.number("Temperature"),
        "concentration_per_ml_measured": measured,
        "size_nm_volume": None,
        "dilution_recorded": dilution is not None,
        "captured_at": capture_time(header.text("Date"), header.text("Time")),
    }


def _count_disagreements(traces: float | None, total: float, log_numbers: list[float]) -> list[str]:
    """Warnings where the header's traces or the log section's count differ from the linear section's."""
    warnings = []
    if traces is not None and traces != total:
        warnings.append(
            _("the header states {stated} traces, the size distribution holds {found} particles").format(
                stated=_g(traces), found=_g(total)
            )
        )
    if log_numbers and abs(float(np.sum(log_numbers)) - total) > 0.5:
        warnings.append(
            _("the log section holds {log} particles, the linear section {linear}").format(
                log=_g(float(np.sum(log_numbers))), linear=_g(total)
            )
        )
    return warnings


def _num(text: str, filename: str, line: int, key: str) -> float:
    first = text.split()[0] if text.split() else text
    try:
        value = float(first)
    except ValueError:
        raise InputError(
            _("the cell {value!r} is not a number").format(value=text[:40]),
            where=location(file=filename, line=line, field=key),
        ) from None
    return value


def _int(value: float | None) -> int | None:
    return int(value) if value is not None else None


def _g(value: float) -> str:
    return f"{value:.6g}"
