"""Nanoparticle tracking analysis (NTA) exports: read them, recompute what the instrument states.

`parse_nta(data, filename)` reads a Malvern NanoSight `ExperimentSummary.csv` (NTA 3.2-3.4) or a
Particle Metrix ZetaView `.txt` export (8.x), telling them apart by content, and returns an
`NTAResult`: concentration of the original sample, size statistics recomputed from the
histogram, and a warning for every figure of the file's own that the recomputation does not
reproduce at the file's printed precision. A run with no tracked particles gives
`no_particles=True` (and a warning), never zeros passed off as a measurement.

Pure Python (numpy only): the web app fills a QC result from `NTAResult.to_dict()`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from evqms.analytics.nta_stats import SizeStats
from evqms.errors import InputError, location
from evqms.i18n import _

NANOSIGHT = "NanoSight"
ZETAVIEW = "ZetaView"


@dataclass
class VideoResult:
    """One NanoSight video: figures recomputed from its histogram, and the file's own."""

    index: int
    name: str
    concentration_per_ml: float | None
    particles_per_frame: float | None
    valid_tracks: float | None
    size_nm: SizeStats
    no_particles: bool = False
    stated: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "video": self.index,
            "name": self.name,
            "no_particles": self.no_particles,
            "concentration_per_ml": self.concentration_per_ml,
            "particles_per_frame": self.particles_per_frame,
            "valid_tracks": self.valid_tracks,
            "size_nm": self.size_nm.to_dict(),
            "stated": self.stated,
        }


@dataclass
class NTAResult:
    """What one NTA export says, recomputed. Concentrations are of the original sample
    (corrected for the dilution), in particles per mL; sizes in nm."""

    file: str
    instrument: str
    software: str
    dilution: float | None
    videos: int | None
    concentration_per_ml: float | None
    concentration_per_ml_se: float | None
    size_nm: SizeStats
    size_nm_se: SizeStats | None
    per_video: list[VideoResult] | None
    bin_centres_nm: list[float]
    histogram_per_ml: list[float]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_particles: bool = False
    stated: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "instrument": self.instrument,
            "software": self.software,
            "dilution": self.dilution,
            "videos": self.videos,
            "no_particles": self.no_particles,
            "concentration_per_ml": self.concentration_per_ml,
            "concentration_per_ml_se": self.concentration_per_ml_se,
            "size_nm": self.size_nm.to_dict(),
            "size_nm_se": self.size_nm_se.to_dict() if self.size_nm_se else None,
            "per_video": [v.to_dict() for v in self.per_video] if self.per_video is not None else None,
            "histogram": _trimmed_histogram(self.bin_centres_nm, self.histogram_per_ml),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "stated": self.stated,
            **self.extra,
        }


def _trimmed_histogram(centres: list[float], conc: list[float]) -> dict:
    """The bins from the first to the last non-empty one (exports pad with thousands of zeros)."""
    nonzero = [i for i, v in enumerate(conc) if v]
    if not nonzero:
        return {"bin_centres_nm": [], "concentration_per_ml": []}
    lo, hi = nonzero[0], nonzero[-1] + 1
    return {"bin_centres_nm": list(centres[lo:hi]), "concentration_per_ml": list(conc[lo:hi])}


# ---- reading text ---------------------------------------------------------------------------


def decode_export(data: bytes, filename: str) -> str:
    """Text of an export. The instruments write Windows-1252/latin-1; a file re-saved as UTF-8
    (with or without BOM) or UTF-16 reads the same, since every figure is ASCII."""
    if not data or data.isspace():
        raise InputError(_("the NTA export is empty"), where=location(file=filename))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(_("not readable as UTF-16 text"), where=location(file=filename)) from exc
    if b"\x00" in data:
        raise InputError(
            _("binary data, not an NTA text export (NanoSight .csv or ZetaView .txt)"),
            where=location(file=filename),
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def detect_instrument(text: str) -> str | None:
    """NanoSight or ZetaView from the first lines of the text (not from the file name)."""
    head = text[:4000]
    first = head.lstrip().split("\n", 1)[0]
    if first.startswith("NTA Experiment Summary File") or re.search(r"^Created with NTA ", head, re.M):
        return NANOSIGHT
    if re.search(r"^Software:\tZetaView", head, re.M) or re.search(r"^ZetaView S/N:", head, re.M):
        return ZETAVIEW
    return None


def parse_nta(data: bytes, filename: str) -> NTAResult:
    """Read and analyse one NTA export. Raises InputError (naming file and line) on bad input."""
    text = decode_export(data, filename)
    instrument = detect_instrument(text)
    # The instrument modules import this one for the result classes, hence the late import.
    if instrument == NANOSIGHT:
        from evqms.analytics.nta_nanosight import parse_nanosight

        return parse_nanosight(text, filename)
    if instrument == ZETAVIEW:
        from evqms.analytics.nta_zetaview import parse_zetaview

        return parse_zetaview(text, filename)
    raise InputError(
        _("not an NTA export: expected a NanoSight ExperimentSummary.csv or a ZetaView .txt file"),
        where=location(file=filename, line=1),
    )


# ---- figures as printed ---------------------------------------------------------------------


def printed_unit(text: str) -> float | None:
    """The unit of the last printed digit of a number as written ('6.72e+08' -> 1e6,
    '98.7' -> 0.1, '1430000000' -> 1e7: trailing zeros of an integer are not significant)."""
    s = text.strip()
    try:
        Decimal(s)
    except (InvalidOperation, ValueError):
        return None
    mantissa, _sep, exp = s.lower().partition("e")
    exponent = int(exp) if exp else 0
    mantissa = mantissa.lstrip("+-")
    if "." in mantissa:
        decimals = len(mantissa.split(".", 1)[1])
        return 10.0 ** (exponent - decimals)
    digits = mantissa.lstrip("0")
    trailing = len(digits) - len(digits.rstrip("0")) if digits else 0
    return 10.0 ** (exponent + trailing)


def agrees(recomputed: float | None, stated_text: str | None) -> bool:
    """True when the recomputed figure, rounded as the file printed its own, gives that figure
    (within half a unit of the last printed digit, plus a hair for the instrument's own float
    arithmetic)."""
    if recomputed is None or stated_text is None:
        return True
    unit = printed_unit(stated_text)
    if unit is None:
        return True
    stated = float(stated_text)
    if not math.isfinite(recomputed):
        return False
    return abs(recomputed - stated) <= unit * 0.5 * (1 + 1e-6) + abs(stated) * 1e-9


def capture_time(date_text: str | None, time_text: str | None, *, day_first: bool = False) -> str | None:
    """The instrument's capture time as ISO 8601 without a zone ('2021-04-01T15:28:16'): the
    files record the instrument PC's local time and no zone. None when absent or unreadable
    (the caller then asks the user; a capture time is never invented)."""
    import datetime as dt

    date_text, time_text = (date_text or "").strip(), (time_text or "").strip()
    if not date_text or not time_text:
        return None
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", date_text) if day_first else None
    try:
        if m:
            day, month, year = (int(g) for g in m.groups())
            date = dt.date(year, month, day)
        else:
            date = dt.date.fromisoformat(date_text)
        time = dt.time.fromisoformat(time_text)
    except ValueError:
        return None
    return dt.datetime.combine(date, time).isoformat()


def round_half_up(value: float, decimals: int) -> float:
    """Round as the instruments print (79.75 -> 79.8), not to even."""
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(q, rounding="ROUND_HALF_UP"))


def round_significant(value: float, figures: int) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    exponent = math.floor(math.log10(abs(value)))
    return round_half_up(value, figures - 1 - exponent)


def number(text: str, filename: str, line: int, column: str | None = None) -> float:
    """A numeric cell, or an InputError naming where it is."""
    try:
        value = float(text.strip())
    except ValueError:
        raise InputError(
            _("the cell {value!r} is not a number").format(value=text.strip()[:40]),
            where=location(file=filename, line=line, column=column),
        ) from None
    if not math.isfinite(value):
        raise InputError(
            _("the cell {value!r} is not a finite number").format(value=text.strip()[:40]),
            where=location(file=filename, line=line, column=column),
        )
    return value
