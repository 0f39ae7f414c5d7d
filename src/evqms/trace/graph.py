"""Lay a trace out as layered columns for an inline SVG (no JavaScript): upstream on the left.

Columns follow KIND_ORDER, with one column per cell-bank level; a column shows at most
MAX_PER_COLUMN nodes and says how many more there are (the tables under the drawing list all).
"""

from __future__ import annotations

from evqms.core.timefmt import local_date
from evqms.trace.selectors.genealogy import KIND_ORDER, Trace, kind_labels

COL_W, COL_GAP, NODE_H, ROW_GAP, TOP = 112, 14, 40, 10, 34
MAX_PER_COLUMN = 30


def layout(result: Trace) -> dict:
    labels = kind_labels()
    columns: list[tuple[str, list]] = []
    for kind in KIND_ORDER:
        nodes = result.of(kind)
        if kind == "aliquot":  # retention samples share the aliquots' column: they are the same kind of thing
            nodes = result.of("retention_sample") + nodes
        elif kind == "retention_sample":
            continue
        if not nodes:
            continue
        if kind == "cell_bank":
            for level in sorted({n.level for n in nodes}):
                columns.append((kind, [n for n in nodes if n.level == level]))
        else:
            columns.append((kind, nodes))
    placed, headers, more = {}, [], []
    height = TOP
    for i, (kind, nodes) in enumerate(columns):
        x = 10 + i * (COL_W + COL_GAP)
        text = (
            labels[kind]
            if kind != "aliquot" or not result.of("retention_sample")
            else (f"{labels['aliquot']} / {labels['retention_sample']}")
        )
        headers.append({"x": x + COL_W / 2, "text": text})
        for j, node in enumerate(nodes[:MAX_PER_COLUMN]):
            y = TOP + j * (NODE_H + ROW_GAP)
            placed[node.key] = {
                "x": x,
                "y": y,
                "w": COL_W,
                "h": NODE_H,
                "kind": node.kind,
                "code": node.code,
                "sub": _subtitle(node),
                "start": node.kind == result.direction and node.code == result.start,
                "warn": node.status in ("recalled", "rejected", "not_kept")
                or node.animal_origin
                or (node.kind == "adverse_event" and node.flag),
            }
            height = max(height, y + NODE_H)
        if len(nodes) > MAX_PER_COLUMN:
            y = TOP + MAX_PER_COLUMN * (NODE_H + ROW_GAP) + 12
            more.append({"x": x + COL_W / 2, "y": y, "n": len(nodes) - MAX_PER_COLUMN})
            height = max(height, y)
    edges = []
    for up, down in result.edges:
        a, b = placed.get(up), placed.get(down)
        if not a or not b:
            continue
        x1, y1 = a["x"] + a["w"], a["y"] + a["h"] / 2
        x2, y2 = b["x"], b["y"] + b["h"] / 2
        if x2 <= x1:  # same column (a lot's retention aliquot): a short bracket on the left
            edges.append({"d": f"M{b['x']:.0f},{a['y'] + a['h'] / 2:.0f} h-6 V{y2:.0f} h6"})
            continue
        mid = (x1 + x2) / 2
        edges.append({"d": f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"})
    width = 20 + len(columns) * (COL_W + COL_GAP)
    return {
        "nodes": list(placed.values()),
        "edges": edges,
        "headers": headers,
        "more": more,
        "width": width,
        "height": height + 20,
    }


def _subtitle(node) -> str:
    if node.kind == "cell_bank":
        return node.label or ""
    if node.kind == "material_lot":
        text = node.label or ""
        return f"{text} ({node.detail})" if node.animal_origin else text
    if node.kind == "administration":
        day = local_date(node.at)  # the day it happened locally, not the UTC day
        return day.isoformat() if day else ""
    if node.kind == "adverse_event":
        return f"CTCAE {node.detail}"
    if node.kind == "retention_sample" and node.day:
        return node.day.isoformat()
    return node.status_text or node.label or ""
