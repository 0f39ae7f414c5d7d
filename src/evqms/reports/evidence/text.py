"""How the evidence figures are written, on the page and in the yearly report alike."""

from __future__ import annotations

from evqms.core.display import format_number
from evqms.i18n import _
from evqms.reports.evidence.summary import ALPHA, CONFIDENCE, PER_ADMINISTRATIONS  # noqa: F401

# --- how the figures are written (page and report alike) ----------------------------------------


def _num(value, places: int) -> str:
    return format_number(round(value, places), places)


def p_text(p: float | None) -> str:
    """A p-value as read in a table: '0.012', '< 0.001', '—' when there is none."""
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else _num(p, 3)


def p_clause(p: float | None) -> str:
    """'p = 0.012' or 'p < 0.001'."""
    text = p_text(p)
    return "p " + text if text.startswith("<") else "p = " + text


def interval_text(low, high, places: int, unit: str = "") -> str:
    if low is None or high is None:
        return "—"
    return _("{level} % CI {low} – {high}{unit}").format(
        level=_num(CONFIDENCE * 100, 0), low=_num(low, places), high=_num(high, places), unit=unit
    )


def proportion_text(rate: dict | None) -> dict:
    """'2/10 = 20.0 %' and its interval '95 % CI 2.5 – 55.6 %', the method named."""
    if rate is None:
        return {"value": _("no one exposed"), "interval": "—", "method": ""}
    return {
        "value": "{x}/{n} = {pct} %".format(
            x=rate["events"], n=int(rate["exposures"]), pct=_num(rate["rate"] * 100, 1)
        ),
        "interval": interval_text(rate["low"] * 100, rate["high"] * 100, 1, " %"),
        "method": rate["method_label"],
    }


def per_administrations_text(rate: dict | None) -> dict:
    """'3 events / 12 = 25.0 per 100 administrations' and its interval."""
    if rate is None:
        return {"value": _("no administrations"), "interval": "—", "method": ""}
    return {
        "value": _("{x}/{n} = {rate} per 100 administrations").format(
            x=rate["events"], n=int(rate["exposures"]), rate=_num(rate["rate"], 1)
        ),
        "interval": interval_text(rate["low"], rate["high"], 1),
        "method": rate["method_label"],
    }


def change_text(change: dict | None, unit: str) -> dict:
    if change is None or change["mean_change"] is None:
        return {"mean": "—", "interval": "—", "t": "—", "wilcoxon": "—", "n": change["n"] if change else 0}
    return {
        "n": change["n"],
        "mean": "{sign}{value} {unit}".format(
            sign="+" if change["mean_change"] > 0 else "", value=_num(change["mean_change"], 2), unit=unit
        ).strip(),
        "interval": interval_text(change["low"], change["high"], 2),
        "t": "t = {t}, {p}".format(t=_num(change["t_statistic"], 2), p=p_clause(change["t_p_value"]))
        if change["t_statistic"] is not None
        else "—",
        "wilcoxon": "V = {v}, {p}".format(
            v=_num(change["wilcoxon_statistic"], 1), p=p_clause(change["wilcoxon_p_value"])
        )
        if change["wilcoxon_p_value"] is not None
        else "—",
        "wilcoxon_method": change["wilcoxon_method_label"] or "",
    }


def responders_text(responders: dict | None) -> dict:
    if responders is None:
        return {"value": "—", "interval": "—", "bounds": ""}
    r = responders
    if not r["available"]:
        return {"value": _("no complete pair"), "interval": "—", "bounds": ""}
    return {
        "value": "{x}/{n} = {pct} %".format(
            x=r["responders"], n=r["available"], pct=_num(r["share"] * 100, 1)
        ),
        "interval": interval_text(r["low"] * 100, r["high"] * 100, 1, " %"),
        # the share over every expected patient, the missing counted as failures then as responders
        "bounds": _("{low} % – {high} % of all {expected} expected").format(
            low=_num(r["share_if_missing_failed"] * 100, 1),
            high=_num(r["share_if_missing_responded"] * 100, 1),
            expected=r["expected"],
        ),
    }


def ratings_text(ratings: dict | None) -> dict:
    """A rating of change (no baseline): how many gave each rating, and the responders."""
    if ratings is None:
        return {"distribution": "—", "value": "—", "interval": "—", "bounds": ""}
    if not ratings["available"]:
        return {"distribution": _("no rating"), "value": "—", "interval": "—", "bounds": ""}
    return {
        "distribution": " · ".join(f"{format_number(r)}: {n}" for r, n in ratings["distribution"]),
        **responders_text(ratings),
    }


def written(evidence: dict, lang: str) -> dict:
    """The evidence with every figure written as text for a page or report in `lang` (call it
    with that language active)."""
    s = evidence["summary"]
    texts = {
        "patient_rate": proportion_text(s["patient_rate"]),
        "patient_serious_rate": proportion_text(s["patient_serious_rate"]),
        "administration_rate": per_administrations_text(s["administration_rate"]),
        "administration_serious_rate": per_administrations_text(s["administration_serious_rate"]),
    }
    lots = []
    for lot in evidence["lots"]:
        signal = lot["signal"] or {}
        lots.append(
            {
                **lot,
                "rate_text": per_administrations_text(lot["administration_rate"]),
                "patient_rate_text": proportion_text(lot["patient_rate"]),
                "p_text": p_text(signal.get("p_value")),
                "p_adjusted_text": p_text(signal.get("p_adjusted")),
                "p_clause": p_clause(signal.get("p_value")),
                "p_adjusted_clause": p_clause(signal.get("p_adjusted")),
            }
        )
    outcomes = []
    for o in evidence["outcomes"]:
        unit = o["unit"]
        months = [
            {
                **m,
                "change_text": change_text(m["change"], unit),
                "responders_text": responders_text(m["responders"]),
                "ratings_text": ratings_text(m.get("ratings")),
                "completeness_text": _("{done} of {expected} expected").format(
                    done=m["done"], expected=m["expected"]
                ),
            }
            for m in o["months"]
        ]
        outcomes.append(
            {**o, "name_text": o["name"].get(lang) or o["name"]["en"], "months": months,
             "mid_text": format_number(o["mid"]) if o["mid"] else "",
             "threshold_text": format_number(o["threshold"]) if o.get("threshold") is not None else ""}
        )  # fmt: skip
    # written here rather than in the templates: a "%" in a template's msgid is not looked up as is
    headings = {
        "interval": _("95 % confidence interval"),
        "counting": _(
            "Every administration of the product and every adverse event, whatever its causality. An "
            "administration counts for every lot whose aliquots it used. Each figure is shown with its n and "
            "its 95 % confidence interval; outcome figures with how many of the expected follow-ups they rest "
            "on."
        ),
    }
    return {
        **evidence,
        "headings": headings,
        "texts": texts,
        "lot_rows": lots,
        "flagged_rows": [lot for lot in lots if lot["flagged"]],
        "outcome_rows": outcomes,
    }
