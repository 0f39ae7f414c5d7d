"""Malvern NanoSight `ExperimentSummary.csv` (NTA 3.2, 3.3, 3.4).

The file is a CSV of sections (`[Results]`, `[Size Data]`, ...) with one column per video and,
for averaged rows, an `Average` and a `Standard Error` column after the videos. `[Size Data]`
holds one block per weighting (Number, then Surface Area and Volume in NTA 3.3+); each block
lists Mean/Mode/SD/D10/D50/D90, then `Graph Data`: a 1-nm-bin histogram per video in particles
per mL of the original sample (the file's concentrations are already corrected for the
dilution factor it records), then a percentile table.

We recompute every per-video figure from the Number histogram, then the average and standard
error over videos (SD n-1 / sqrt(n)), and warn wherever the file's own figure differs by more
than half its last printed digit.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np

from evqms.analytics import nta_stats
from evqms.analytics.nta import NANOSIGHT, NTAResult, VideoResult, agrees, capture_time, number
from evqms.analytics.nta_stats import SizeStats
from evqms.errors import InputError, location
from evqms.i18n import _, bilingual

# Which point of a bin the cumulative fraction is assigned to when interpolating percentiles.
SUPPORTED_VERSIONS = {(3, 2): "lower", (3, 3): "upper", (3, 4): "upper"}
SIZE_ROWS = {"Mean": "mean", "Mode": "mode", "SD": "sd", "D10": "d10", "D50": "d50", "D90": "d90"}
_VERSION_RE = re.compile(r"NTA\s+(\d+)\.(\d+)")


# Short words shared with other areas: bilingual pairs here, not catalogue entries (no clashes).
_WORDS = {
    "concentration_per_ml": {"en": "concentration", "ja": "粒子濃度"},
    "mean": {"en": "mean size", "ja": "平均粒子径"},
    "mode": {"en": "mode", "ja": "最頻値"},
    "sd": {"en": "SD", "ja": "SD"},
    "d10": {"en": "D10", "ja": "D10"},
    "d50": {"en": "D50", "ja": "D50"},
    "d90": {"en": "D90", "ja": "D90"},
    "average": {"en": "average", "ja": "平均"},
    "standard_error": {"en": "standard error", "ja": "標準誤差"},
}


def _figure_names() -> dict[str, str]:
    return {k: bilingual(v) for k, v in _WORDS.items()}


class _Rows:
    """The CSV rows with the line number each starts on, and each row's first cell stripped
    (what every section scan compares; computed once instead of once per scan)."""

    def __init__(self, text: str, filename: str):
        self.filename = filename
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            table = list(reader)
            if reader.line_num == len(table):  # one line per row: row i starts on line i + 1
                self.rows = list(enumerate(table, start=1))
            else:  # a quoted cell spans lines: count them row by row
                self.rows = []
                reader = csv.reader(io.StringIO(text, newline=""))
                start = 1
                for cells in reader:
                    self.rows.append((start, cells))
                    start = reader.line_num + 1
        except csv.Error as exc:
            raise InputError(
                _("unreadable CSV: {reason}").format(reason=str(exc)),
                where=location(file=filename, line=reader.line_num),
            ) from None
        self.firsts = [cells[0].strip() if cells else "" for _line, cells in self.rows]

    def find(self, predicate, start: int = 0) -> int | None:
        for i in range(start, len(self.rows)):
            if predicate(self.rows[i][1]):
                return i
        return None

    def error(self, message: str, index: int, column: str | None = None) -> InputError:
        line = self.rows[index][0] if 0 <= index < len(self.rows) else None
        return InputError(message, where=location(file=self.filename, line=line, column=column))


def _first(cells: list[str]) -> str:
    return cells[0].strip() if cells else ""


def _blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def _version(rows: _Rows) -> tuple[str, str]:
    """Software text and percentile anchor; an unknown version is refused, naming its line."""
    i = rows.find(lambda c: _first(c).startswith("Created with NTA"))
    if i is None:
        i = rows.find(lambda c: _first(c) == "Software Version" and len(c) > 1 and "NTA" in c[1])
    if i is None:
        raise rows.error(_("no NanoSight software version line ('Created with NTA ...')"), 0)
    cells = rows.rows[i][1]
    text = cells[0] if _first(cells).startswith("Created with") else cells[1]
    software = text.strip().removeprefix("Created with").strip()
    m = _VERSION_RE.search(software)
    key = (int(m.group(1)), int(m.group(2))) if m else None
    if key not in SUPPORTED_VERSIONS:
        raise rows.error(
            _("unsupported NanoSight software version {version!r} (supported: NTA 3.2, 3.3, 3.4)").format(
                version=software
            ),
            i,
        )
    return software, SUPPORTED_VERSIONS[key]


def _check_complete(rows: _Rows) -> None:
    """Every `Graph Data` block must end, and a percentile table after it must reach 100: an
    export cut short (a copy interrupted, a disk full) stops inside one of them. (Exports made
    "without percentiles" have no table: a block followed by anything else is complete.)"""
    state = None  # None, "graph", "gap" (blank line after a graph), "percentile"
    table = rows.rows
    for i, first in enumerate(rows.firsts):
        # a blank row has an empty first cell: the rows of numbers are told apart by that alone
        blank = not first and _blank(table[i][1])
        if first == "Graph Data":
            state = "graph"
        elif state == "graph" and blank:
            state = "gap"
        elif state in ("graph", "gap") and first == "Percentile":
            state = "percentile"
        elif state == "gap" and not blank:
            state = None
        elif state == "percentile" and first == "100":
            state = None
    if state == "graph":
        raise rows.error(_("the file ends inside the graph data: it is truncated"), len(rows.rows) - 1)
    if state == "percentile":
        raise rows.error(_("the file ends inside a percentile table: it is truncated"), len(rows.rows) - 1)


def _video_columns(cells: list[str]) -> tuple[int, int | None, int | None]:
    """Number of videos, and the columns of Average and Standard Error (None when absent)."""
    stripped = [c.strip() for c in cells]
    avg = stripped.index("Average") if "Average" in stripped else None
    se = stripped.index("Standard Error") if "Standard Error" in stripped else None
    if avg is not None:
        return avg - 1, avg, se
    return sum(1 for c in stripped[1:] if c), None, None


def _cell(cells: list[str], j: int | None) -> str | None:
    if j is None or j >= len(cells):
        return None
    value = cells[j].strip()
    return value or None


def _stated_row(rows: _Rows, i: int, n: int, avg: int | None, se: int | None, label: str):
    """(per-video texts, average text, SE text) of a figure row, each checked to be numeric."""
    cells = rows.rows[i][1]
    line = rows.rows[i][0]
    texts = [_cell(cells, 1 + v) for v in range(n)]
    for v, t in enumerate(texts):
        if t is not None:
            number(t, rows.filename, line, column=f"{label} {v + 1}")
    a, s = _cell(cells, avg), _cell(cells, se)
    for t, col in ((a, "Average"), (s, "Standard Error")):
        if t is not None:
            number(t, rows.filename, line, column=f"{label} {col}")
    return texts, a, s


def _results(rows: _Rows, n: int):
    """Dilution, concentration and particles-per-frame rows of `[Results]`."""
    start = rows.find(lambda c: _first(c) == "[Results]")
    if start is None:
        raise rows.error(_("no [Results] section"), len(rows.rows) - 1)
    _n, avg, se = _video_columns(rows.rows[start][1])
    avg = avg if avg is not None else (n + 1)
    se = se if se is not None else (n + 2)
    out = {"dilution": None, "concentration": None, "ppf": None}
    i = start + 1
    while i < len(rows.rows) and not _first(rows.rows[i][1]).startswith("["):
        first = _first(rows.rows[i][1])
        if first.startswith("Dilution factor"):
            out["dilution"] = (i, [_cell(rows.rows[i][1], 1 + v) for v in range(n)])
        elif first.startswith("Concentration (Particles"):
            out["concentration"] = _stated_row(rows, i, n, avg, se, "Concentration")
        elif first == "Particles per frame":
            out["ppf"] = _stated_row(rows, i, n, avg, se, "Particles per frame")
        i += 1
    return out


def _number_block(rows: _Rows) -> int:
    """Index of the `Weighting,Number` row of the size data."""
    size = rows.find(lambda c: _first(c) == "[Size Data]")
    if size is None:
        raise rows.error(_("no [Size Data] section"), len(rows.rows) - 1)
    i = rows.find(lambda c: _first(c) == "Weighting" and len(c) > 1 and c[1].strip() == "Number", size)
    if i is None:
        raise rows.error(_("no number-weighted size distribution in [Size Data]"), size)
    return i


def _graph(rows: _Rows, start: int, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Bin centres and the per-video histograms (bins x videos) after `Bin centre (nm)`."""
    header = rows.find(lambda c: _first(c).startswith("Bin centre"), start)
    if header is None:
        raise rows.error(_("no graph data (Bin centre) in the size data"), start)
    table = _graph_table(rows, header + 1, n)
    if table is None:
        centres, hist = _graph_rows(rows, header, n)
    else:
        centres, hist = table
    if (hist < 0).any():
        bad = int(np.argwhere(hist < 0)[0][0])
        raise rows.error(_("negative concentration in the graph data"), header + 1 + bad)
    return centres, hist, header


def _graph_end(rows: _Rows, start: int) -> int:
    """Index of the row that ends the graph data (a blank row, `Percentile`, the file's end)."""
    firsts, table = rows.firsts, rows.rows
    for i in range(start, len(firsts)):
        first = firsts[i]
        if first == "Percentile" or (not first and _blank(table[i][1])):
            return i
    return len(firsts)


def _graph_table(rows: _Rows, start: int, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The graph data read in bulk, or None when any row is short, holds a cell that is not a
    finite number, or there are no rows: `_graph_rows` then reads it row by row and names the
    first such cell. Every cell here is one `float()` would read, so the values are the same."""
    end = _graph_end(rows, start)
    need = 1 + n
    block = [cells for _line, cells in rows.rows[start:end]]
    if not block or min(map(len, block)) < need:
        return None
    try:
        values = list(map(float, [c for cells in block for c in cells[:need]]))
    except ValueError:
        return None
    table = np.array(values, dtype=float).reshape(len(block), need)
    if not np.isfinite(table).all():
        return None
    # the same C-ordered (bins x videos) array as the row-by-row reading builds
    return table[:, 0].copy(), np.ascontiguousarray(table[:, 1:])


def _graph_rows(rows: _Rows, header: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The graph data row by row, refusing the first row or cell that is not a number."""
    centres, table = [], []
    i = header + 1
    while i < len(rows.rows):
        line, cells = rows.rows[i]
        if _blank(cells) or _first(cells) == "Percentile":
            break
        if len(cells) < 1 + n or any(not c.strip() for c in cells[: 1 + n]):
            raise rows.error(
                _("graph data row has {found} values, expected {expected}").format(
                    found=sum(1 for c in cells[: 1 + n] if c.strip()), expected=1 + n
                ),
                i,
            )
        centres.append(number(cells[0], rows.filename, line, column="Bin centre (nm)"))
        table.append([number(cells[1 + v], rows.filename, line, column=f"video {v + 1}") for v in range(n)])
        i += 1
    if not centres:
        raise rows.error(_("the graph data has no rows"), header)
    return np.asarray(centres, dtype=float), np.asarray(table, dtype=float)


def parse_nanosight(text: str, filename: str) -> NTAResult:
    """The export's figures recomputed per video from the Number histograms, then averaged over
    the videos that tracked particles, with a warning wherever the file states otherwise."""
    rows = _Rows(text, filename)
    software, anchor = _version(rows)
    _check_complete(rows)
    size = _size_data(rows)
    n = len(size.names)
    centres, hist, _header = _graph(rows, size.graph_from, n)
    results = _results(rows, n)
    warnings: list[str] = []
    notes: list[str] = []
    dilution, dilution_recorded = _dilution(rows, results, notes)
    videos = _videos(size, results, centres, hist, anchor, warnings)
    measured = [vr for vr in videos if not vr.no_particles]
    common = dict(
        file=filename,
        instrument=NANOSIGHT,
        software=software,
        dilution=dilution,
        videos=n,
        per_video=videos,
        bin_centres_nm=centres.tolist(),
        warnings=warnings,
        notes=notes,
        stated=_stated_averages(results, size.stated),
        extra={
            "version": ".".join(_VERSION_RE.search(software).groups()),
            "percentile_anchor": anchor,
            "dilution_recorded": dilution_recorded,
            "captured_at": _captured_at(rows),
        },
    )
    if not measured:
        warnings.insert(0, _("no particles tracked in any video: there is no size or concentration result"))
        return NTAResult(
            concentration_per_ml=None,
            concentration_per_ml_se=None,
            size_nm=SizeStats.empty(),
            size_nm_se=None,
            histogram_per_ml=[0.0] * len(centres),
            no_particles=True,
            **common,
        )

    conc_avg, conc_se = nta_stats.mean_and_standard_error([vr.concentration_per_ml for vr in measured])
    avg, se = {}, {}
    for k in SizeStats.FIELDS:
        avg[k], se[k] = nta_stats.mean_and_standard_error([getattr(vr.size_nm, k) for vr in measured])
    if len(measured) == n:  # the file's average is over all videos; compare only like with like
        warnings.extend(_average_disagreements(results, size.stated, conc_avg, conc_se, avg, se))
    histogram = hist[:, [vr.index - 1 for vr in measured]].mean(axis=1)
    return NTAResult(
        concentration_per_ml=conc_avg,
        concentration_per_ml_se=conc_se,
        size_nm=SizeStats(**avg),
        size_nm_se=SizeStats(**se) if len(measured) > 1 else None,
        histogram_per_ml=histogram.tolist(),
        **common,
    )


@dataclass
class _SizeData:
    """The Number block of `[Size Data]`: video names, the stated size rows, valid tracks and
    where the graph data starts looking from."""

    names: list[str]
    stated: dict[str, tuple]
    tracks: list[str | None]
    graph_from: int


def _size_data(rows: _Rows) -> _SizeData:
    block = _number_block(rows)
    names_i = rows.find(lambda c: _first(c) == "Filename", block)
    if names_i is None:
        raise rows.error(_("no Filename row in the size data"), block)
    n, avg_col, se_col = _video_columns(rows.rows[names_i][1])
    if n < 1:
        raise rows.error(_("no videos listed"), names_i)
    names = [(_cell(rows.rows[names_i][1], 1 + v) or str(v + 1)) for v in range(n)]
    stated: dict[str, tuple] = {}
    tracks: list[str | None] = [None] * n
    i = names_i + 1
    while i < len(rows.rows) and _first(rows.rows[i][1]) != "Graph Data":
        first = _first(rows.rows[i][1])
        if first in SIZE_ROWS:
            stated[SIZE_ROWS[first]] = _stated_row(rows, i, n, avg_col, se_col, first)
        elif first == "Valid Tracks":
            tracks = _stated_row(rows, i, n, None, None, first)[0]
        i += 1
    return _SizeData(names, stated, tracks, i)


def _dilution(rows: _Rows, results: dict, notes: list[str]) -> tuple[float | None, bool]:
    """(the dilution all videos record or None, whether any video records one); the file's
    concentrations are already corrected for it."""
    dilution = None
    dilution_recorded = False
    if results["dilution"]:
        d_i, d_texts = results["dilution"]
        values = set()
        for v, t in enumerate(d_texts):
            if t is None or t.lower() == "not recorded":
                continue
            values.add(number(t, rows.filename, rows.rows[d_i][0], column=f"Dilution factor {v + 1}"))
            dilution_recorded = True
        if len(values) == 1:
            dilution = values.pop()
        elif len(values) > 1:
            notes.append(
                _(
                    "the videos record different dilution factors; each video's concentration is corrected for its own"
                )
            )
    if dilution is None:
        notes.append(_("dilution factor not recorded: concentrations are those of the sample as measured"))
    return dilution, dilution_recorded


def _videos(
    size: _SizeData, results: dict, centres, hist, anchor: str, warnings: list[str]
) -> list[VideoResult]:
    """Each video's concentration and size statistics from its histogram column, warning where
    the figure the file states for the video differs."""
    n = len(size.names)
    conc_texts = results["concentration"][0] if results["concentration"] else [None] * n
    ppf_texts = results["ppf"][0] if results["ppf"] else [None] * n
    videos: list[VideoResult] = []
    for v in range(n):
        col = hist[:, v]
        conc = float(col.sum())
        stated = {"concentration_per_ml": _float(conc_texts[v])}
        stated.update(
            {k: _float(size.stated[k][0][v]) if k in size.stated else None for k in SizeStats.FIELDS}
        )
        ppf, tracks = _float(ppf_texts[v]), _float(size.tracks[v])
        if conc <= 0:
            videos.append(
                VideoResult(
                    v + 1,
                    size.names[v],
                    None,
                    ppf,
                    tracks,
                    SizeStats.empty(),
                    no_particles=True,
                    stated=stated,
                )
            )
            warnings.append(_("video {video}: no particles tracked").format(video=v + 1))
            continue
        stats = nta_stats.size_stats(centres, col, anchor=anchor, ddof=0, mode="parabola")
        videos.append(VideoResult(v + 1, size.names[v], conc, ppf, tracks, stats, stated=stated))
        checks = [("concentration_per_ml", conc, conc_texts[v])]
        checks += [(k, getattr(stats, k), size.stated[k][0][v]) for k in SizeStats.FIELDS if k in size.stated]
        for key, mine, theirs in checks:
            if not agrees(mine, theirs):
                warnings.append(
                    _(
                        "video {video}: {figure} recomputed from the histogram is {mine}, the file states {theirs}"
                    ).format(video=v + 1, figure=_figure_names()[key], mine=_fmt(mine), theirs=theirs)
                )
    return videos


def _stated_averages(results: dict, stated_size: dict[str, tuple]) -> dict:
    """The averages and standard errors the file states, as numbers (None where absent)."""
    conc = results["concentration"]
    return {
        "concentration_per_ml": {
            "average": _float(conc[1]) if conc else None,
            "standard_error": _float(conc[2]) if conc else None,
        },
        "size_nm": {k: _float(stated_size[k][1]) if k in stated_size else None for k in SizeStats.FIELDS},
        "size_nm_se": {k: _float(stated_size[k][2]) if k in stated_size else None for k in SizeStats.FIELDS},
    }


def _captured_at(rows: _Rows) -> str | None:
    captured = rows.find(lambda c: _first(c) == "Time Captured")
    if captured is None:
        return None
    # "15:28:16  01/04/2021": NTA writes the time, then the date day first
    when = (_cell(rows.rows[captured][1], 1) or "").split()
    return capture_time(when[1], when[0], day_first=True) if len(when) == 2 else None


def _average_disagreements(results, stated_size, conc_avg, conc_se, avg: dict, se: dict) -> list[str]:
    """A warning for each average or standard error over the videos that the file states otherwise."""
    checks = []
    if results["concentration"]:
        checks += [
            ("average", "concentration_per_ml", conc_avg, results["concentration"][1]),
            ("standard_error", "concentration_per_ml", conc_se, results["concentration"][2]),
        ]
    for k in SizeStats.FIELDS:
        if k in stated_size:
            checks += [
                ("average", k, avg[k], stated_size[k][1]),
                ("standard_error", k, se[k], stated_size[k][2]),
            ]
    disagreeing = [check for check in checks if not agrees(check[2], check[3])]
    labels = _figure_names() if disagreeing else {}  # words looked up only for a warning
    return [
        _("{what} {figure} recomputed from the histograms is {mine}, the file states {theirs}").format(
            what=labels[what], figure=labels[key], mine=_fmt(mine), theirs=theirs
        )
        for what, key, mine, theirs in disagreeing
    ]


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
