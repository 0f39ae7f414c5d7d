"""Western Electric and Nelson run rules on standardised chart statistics.

Input is z_i = (statistic_i - centre_i) / se_i, so the rules work in sigma zones for every
chart, with constant or per-subgroup limits. Each rule returns the 0-based indices of the
points it flags. Convention (as Minitab and Nelson 1984): a rule flags the point that
completes the pattern, and every later point that continues it; for the "k of m beyond a
zone" rules the flagged point must itself lie beyond the zone, so a point near the centre
line is never flagged for its neighbours.

Rule names: WE1-WE4 (Western Electric Statistical Quality Control Handbook, 1956) and
N1-N8 (Nelson, J Qual Technol 16:237, 1984). WE1 = N1, WE2 = N5, WE3 = N6; WE4 is 8 points
on one side where N2 needs 9.
"""

from __future__ import annotations

import numpy as np

from evqms.i18n import _

RULE_SETS = {
    "we": ("WE1", "WE2", "WE3", "WE4"),
    "nelson": ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"),
}
RULE_SETS["all"] = RULE_SETS["we"] + RULE_SETS["nelson"]


def rule_descriptions() -> dict[str, str]:
    """Human-readable statement of each rule (translated)."""
    return {
        "WE1": _("one point beyond 3 sigma"),
        "WE2": _("2 of 3 consecutive points beyond 2 sigma on the same side"),
        "WE3": _("4 of 5 consecutive points beyond 1 sigma on the same side"),
        "WE4": _("8 consecutive points on the same side of the centre line"),
        "N1": _("one point beyond 3 sigma"),
        "N2": _("9 consecutive points on the same side of the centre line"),
        "N3": _("6 consecutive points steadily increasing or decreasing"),
        "N4": _("14 consecutive points alternating up and down"),
        "N5": _("2 of 3 consecutive points beyond 2 sigma on the same side"),
        "N6": _("4 of 5 consecutive points beyond 1 sigma on the same side"),
        "N7": _("15 consecutive points within 1 sigma of the centre line"),
        "N8": _("8 consecutive points beyond 1 sigma, on both sides of the centre line"),
    }


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Length of the run of True values ending at each position (0 where False)."""
    mask = np.asarray(mask, dtype=bool)
    idx = np.arange(len(mask))
    last_false = np.maximum.accumulate(np.where(mask, -1, idx))
    return np.where(mask, idx - last_false, 0)


def _runs(mask: np.ndarray, length: int) -> set[int]:
    return set(np.flatnonzero(_run_lengths(mask) >= length).tolist())


def _k_of_m(z: np.ndarray, zone: float, k: int, m: int) -> set[int]:
    flagged: set[int] = set()
    for side in (1, -1):
        beyond = side * z > zone
        counts = np.convolve(beyond.astype(int), np.ones(m, dtype=int))[: len(z)]
        flagged |= set(np.flatnonzero(beyond & (counts >= k)).tolist())
    return flagged


def _same_side(z: np.ndarray, length: int) -> set[int]:
    return _runs(z > 0, length) | _runs(z < 0, length)


def _trend(z: np.ndarray, points: int) -> set[int]:
    d = np.diff(z)
    flagged: set[int] = set()
    for mask in (d > 0, d < 0):
        # a run of points-1 successive steps ending at step j flags point j+1
        flagged |= {j + 1 for j in _runs(mask, points - 1)}
    return flagged


def _alternating(z: np.ndarray, points: int) -> set[int]:
    s = np.sign(np.diff(z))
    alt = np.zeros(len(s), dtype=bool)  # step j changes direction from step j-1
    alt[1:] = (s[1:] * s[:-1]) < 0
    # points-1 steps alternating = points-2 consecutive direction changes; step j ends at point j+1
    return {j + 1 for j in _runs(alt, points - 2)}


def _both_sides_beyond_one(z: np.ndarray, length: int) -> set[int]:
    outside = np.abs(z) > 1
    runs = _run_lengths(outside)
    flagged = set()
    for i in np.flatnonzero(runs >= length):
        window = z[i - length + 1 : i + 1]
        if np.any(window > 0) and np.any(window < 0):
            flagged.add(int(i))
    return flagged


_RULES = {
    "WE1": lambda z: set(np.flatnonzero(np.abs(z) > 3).tolist()),
    "WE2": lambda z: _k_of_m(z, 2, 2, 3),
    "WE3": lambda z: _k_of_m(z, 1, 4, 5),
    "WE4": lambda z: _same_side(z, 8),
    "N1": lambda z: set(np.flatnonzero(np.abs(z) > 3).tolist()),
    "N2": lambda z: _same_side(z, 9),
    "N3": lambda z: _trend(z, 6),
    "N4": lambda z: _alternating(z, 14),
    "N5": lambda z: _k_of_m(z, 2, 2, 3),
    "N6": lambda z: _k_of_m(z, 1, 4, 5),
    "N7": lambda z: _runs(np.abs(z) < 1, 15),
    "N8": lambda z: _both_sides_beyond_one(z, 8),
}


def apply_rules(z, rules: str | tuple[str, ...] = "all") -> dict[str, list[int]]:
    """Rule name -> sorted 0-based indices flagged. `rules` is a set name or a tuple of rule names."""
    names = RULE_SETS[rules] if isinstance(rules, str) else rules
    z = np.asarray(z, dtype=float)
    return {name: sorted(int(i) for i in _RULES[name](z)) for name in names}


def rules_by_point(z, rules: str | tuple[str, ...] = "all") -> list[list[str]]:
    """For each point, the names of the rules that flag it (in rule order)."""
    flagged = apply_rules(z, rules)
    out: list[list[str]] = [[] for _ in range(len(z))]
    for name, indices in flagged.items():
        for i in indices:
            out[i].append(name)
    return out
