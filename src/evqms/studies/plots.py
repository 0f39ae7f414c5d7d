"""Matplotlib SVG plots for reports (pages draw the same series with Chart.js).

Each function takes the series a selector built and returns SVG text. Text stays text in the
SVG (svg.fonttype "none"), set in IPAex Gothic, the font the project installs for its PDFs.
No pyplot: a Figure with the Agg/SVG canvas, safe in a multi-threaded server.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from evqms.core.pdf import japanese_font_path  # noqa: E402
from evqms.i18n import _  # noqa: E402


def _japanese_family() -> str:
    """The family of the project's packaged IPAex Gothic (the PDFs' font), registered with
    matplotlib: text is measured and named with it on any machine, Japanese fonts installed or not."""
    from matplotlib import font_manager

    path = str(japanese_font_path())
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


RC = {
    "svg.fonttype": "none",
    "font.family": [_japanese_family(), "DejaVu Sans"],  # DejaVu: glyphs IPAex lacks
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
COLOURS = ["#1f5f8b", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#566573"]


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    return buf.getvalue()


def nta_size_svg(series: list[dict], title: str = "") -> str:
    """Size distributions overlaid: [{label, x (nm), y (particles/mL per bin)}]."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.4, 3.4))
        ax = fig.add_subplot()
        for i, s in enumerate(series):
            ax.plot(
                s["x"], s["y"], color=COLOURS[i % len(COLOURS)], lw=1.4 if i == 0 else 1.0, label=s["label"]
            )
        ax.set_xlabel(_("Size (nm)"))
        ax.set_ylabel(_("Concentration (particles/mL)"))
        if title:
            ax.set_title(title)
        if series:
            ax.legend(frameon=False, fontsize=7)
        return _svg(fig)


def dose_response_svg(curves: dict, dose_unit: str = "") -> str:
    """Observed points and fitted curves (log dose axis) from `selectors.potency_curves`."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.4, 3.6))
        ax = fig.add_subplot()
        for i, c in enumerate(curves["curves"]):
            colour = COLOURS[i % len(COLOURS)]
            if c["points"]:
                xs, ys = zip(*c["points"], strict=True)
                ax.scatter(xs, ys, s=12, color=colour, alpha=0.8)
            fx, fy = zip(*c["fit"], strict=True)
            ax.plot(fx, fy, color=colour, lw=1.5, label=c["label"])
        ax.set_xscale("log")
        ax.set_xlabel(_("Dose") + (f" ({dose_unit})" if dose_unit else ""))
        ax.set_ylabel(_("Response"))
        ax.legend(frameon=False)
        return _svg(fig)


def control_chart_svg(trend: dict) -> str:
    """I-MR chart from `selectors.trend`: values, centre, limits, spec limits (flagged points red,
    rejected/recalled lots as open triangles), and the moving ranges with their limit below."""
    chart = trend["chart"]
    points = chart["points"]
    x = list(range(1, len(points) + 1))
    y = [p["value"] for p in points]
    n = len(points)

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.2, 4.6))
        ax, ax_mr = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
        ax.plot(x, y, color=COLOURS[0], marker="o", ms=4, lw=1)
        marked = [(i, v) for i, v, p in zip(x, y, points, strict=True) if p.get("marked")]
        if marked:
            mx, my = zip(*marked, strict=True)
            ax.scatter(mx, my, marker="^", s=60, facecolors="white", edgecolors="#8e44ad", zorder=4,
                       label=_("rejected or recalled lot"))  # fmt: skip
        bad = [(i, v) for i, v, p in zip(x, y, points, strict=True) if p["flagged"]]
        if bad:
            bx, by = zip(*bad, strict=True)
            ax.scatter(bx, by, color="#c0392b", zorder=3, s=36, label=_("rule violation"))
        ax.plot(x, [chart["center"]] * n, color="#566573", lw=1, label=_("centre"))
        ax.plot(x, [chart["ucl"]] * n, color="#d68910", lw=1, ls="--", label=_("control limits"))
        ax.plot(x, [chart["lcl"]] * n, color="#d68910", lw=1, ls="--")
        for limit in (trend.get("lsl"), trend.get("usl")):
            if limit is not None:
                ax.axhline(limit, color="#c0392b", lw=0.8, ls=":")
        ax.set_ylabel(f"{trend['attribute'].name} ({trend['attribute'].unit})")
        ax.legend(frameon=False, fontsize=7)
        mr = chart["moving_range"]
        ax_mr.plot(x[1:], mr["values"], color=COLOURS[5], marker="o", ms=3, lw=1)
        ax_mr.plot(x, [mr["center"]] * n, color="#566573", lw=1)
        ax_mr.plot(x, [mr["ucl"]] * n, color="#d68910", lw=1, ls="--")
        ax_mr.set_ylabel(_("moving range"))
        ax_mr.set_ylim(bottom=0)
        ax_mr.set_xticks(x, [p["lot"] for p in points], rotation=45, ha="right", fontsize=7)
        return _svg(fig)


def stability_svg(analysis: dict, lower: float | None, upper: float | None, unit: str = "") -> str:
    """Results per batch, the regression lines of the chosen model and the decisive batch's
    confidence bound, with the specification limit(s) and the shelf life."""
    result = analysis["result"]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.4, 3.6))
        ax = fig.add_subplot()
        for i, s in enumerate(analysis["series"]):
            colour = COLOURS[i % len(COLOURS)]
            px, py = zip(*s["points"], strict=True)
            ax.scatter(px, py, s=14, color=colour)
            lx, ly = zip(*s["line"], strict=True)
            ax.plot(lx, ly, color=colour, lw=1.2, label=s["batch"])
            if s["batch"] == analysis["decisive_batch"]:
                for key, limit in (("lower_bound", lower), ("upper_bound", upper)):
                    if limit is not None:
                        bx, by = zip(*s[key], strict=True)
                        ax.plot(bx, by, color=colour, lw=1, ls="--")
        for limit in (lower, upper):
            if limit is not None:
                ax.axhline(limit, color="#c0392b", lw=0.9, ls=":")
        if result["shelf_life"]:
            ax.axvline(result["shelf_life"], color="#566573", lw=0.9, ls="-.")
        ax.set_xlabel(_("Time (months)"))
        ax.set_ylabel(unit or _("Value"))
        ax.legend(frameon=False, fontsize=7)
        return _svg(fig)
