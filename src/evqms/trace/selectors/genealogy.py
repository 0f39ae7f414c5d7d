"""Genealogy: run the one query of a direction and assemble its rows into a lineage graph.

`trace(direction, code)` -> Trace. Backward directions (adverse_event, administration, aliquot)
climb to the lot, its cell-bank chain and donor, every material lot and the retention samples;
forward directions (donor, cell_bank, material_lot, lot) descend to every lot, aliquot,
administration and patient. Exactly one SQL statement runs; the rest is Python on its rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime

from evqms.core.timefmt import iso_local
from evqms.dossier.models import CellBank, Donor, MaterialLot
from evqms.errors import InputError
from evqms.i18n import _
from evqms.inventory.models import ALIQUOT_STATUSES, RetentionSample
from evqms.lots.holds import active_holds_by_lot
from evqms.lots.models import LOT_STATUSES
from evqms.trace.queries import BACKWARD, DIRECTIONS, sql_for

# Upstream first: the order of the layers in the drawing and in the text report.
KIND_ORDER = (
    "donor",
    "cell_bank",
    "material_lot",
    "lot",
    "retention_sample",
    "aliquot",
    "administration",
    "patient",
    "adverse_event",
)


def kind_labels() -> dict[str, str]:
    return {
        "donor": _("Donor"),
        "cell_bank": _("Cell bank"),
        "material_lot": _("Material lot"),
        "lot": _("Lot"),
        "retention_sample": _("Retention sample"),
        "aliquot": _("Aliquot"),
        "administration": _("Administration"),
        "patient": _("Patient"),
        "adverse_event": _("Adverse event"),
    }


def _status_choices() -> dict[str, dict]:
    return {
        "lot": dict(LOT_STATUSES),
        "aliquot": dict(ALIQUOT_STATUSES),
        "retention_sample": dict(RetentionSample.STATUSES),
        "cell_bank": dict(CellBank.STATUSES),
        "donor": dict(Donor.ELIGIBILITY),
        "material_lot": dict(MaterialLot.STATUSES),
    }


def direction_labels() -> dict[str, str]:
    return {
        "adverse_event": _("Adverse event"),
        "administration": _("Administration"),
        "aliquot": _("Aliquot"),
        "lot": _("Lot"),
        "material_lot": _("Material lot"),
        "cell_bank": _("Cell bank"),
        "donor": _("Donor"),
    }


@dataclass(slots=True)
class Node:
    kind: str
    id: int
    code: str
    label: str | None = None
    status: str | None = None
    detail: str | None = None
    flag: bool = False
    day: dt.date | None = None
    at_value: dt.datetime | str | None = None  # as the database returned it; `at` parses on first use
    level: int = 0  # for cell banks: how many banks above it in this trace

    @property
    def at(self) -> dt.datetime | None:
        if self.at_value is not None and not isinstance(self.at_value, dt.datetime):
            self.at_value = _datetime(self.at_value)
        return self.at_value

    @property
    def status_text(self) -> str:
        """The status in the reader's language (from the models' choices)."""
        return str(_status_choices().get(self.kind, {}).get(self.status, self.status or ""))

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)

    @property
    def animal_origin(self) -> bool:
        return self.kind == "material_lot" and bool((self.detail or "").strip())

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "id": self.id, "code": self.code}
        for name in ("label", "status", "detail", "day", "at"):
            value = getattr(self, name)
            if value not in (None, ""):
                out[name] = (
                    iso_local(value)  # local time with its offset
                    if isinstance(value, dt.datetime)
                    else value.isoformat()
                    if hasattr(value, "isoformat")
                    else value
                )
        if self.kind == "material_lot":
            out["biological"] = self.flag
            out["animal_origin"] = self.animal_origin
        if self.kind == "adverse_event":
            out["serious"] = self.flag
        return out


@dataclass
class Trace:
    direction: str
    start: str
    nodes: dict[tuple[str, int], Node] = field(default_factory=dict)
    edges: set[tuple[tuple[str, int], tuple[str, int]]] = field(default_factory=set)  # (upstream, downstream)

    @property
    def backward(self) -> bool:
        return self.direction in BACKWARD

    def of(self, kind: str) -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.kind == kind), key=lambda n: (n.level, n.code))

    def linked(self, node: Node, kind: str) -> list[Node]:
        """The nodes of `kind` joined to `node` by an edge (either way)."""
        adjacency = self.__dict__.get("_adjacency")
        if adjacency is None or self.__dict__.get("_adjacency_edges") != len(self.edges):
            adjacency = {}
            for up, down in self.edges:
                adjacency.setdefault(up, []).append(down)
                adjacency.setdefault(down, []).append(up)
            self.__dict__["_adjacency"], self.__dict__["_adjacency_edges"] = adjacency, len(self.edges)
        return sorted(
            (self.nodes[k] for k in adjacency.get(node.key, ()) if k[0] == kind), key=lambda n: n.code
        )

    def recipients(self) -> list[dict]:
        """Each administration with its patient, physician, aliquot(s) and lot(s): the recall list."""
        out = []
        for adm in sorted(
            self.of("administration"), key=lambda n: (n.at or dt.datetime.min.replace(tzinfo=dt.UTC), n.code)
        ):
            aliquots = self.linked(adm, "aliquot")
            lots = sorted({lot.code for a in aliquots for lot in self.linked(a, "lot")})
            patients = self.linked(adm, "patient")
            out.append(
                {
                    "administration": adm.code,
                    "administered_at": adm.at,
                    "route": adm.label,
                    "patient": patients[0].code if patients else "",
                    "physician": adm.detail or "",
                    "aliquots": [a.code for a in aliquots],
                    "lots": lots,
                }
            )
        return out

    def as_dict(self, *, patient_codes: bool = True) -> dict:
        """Without `patient_codes` (the reader lacks PATIENT_CODES) patients are a count: no patient
        node, no edge to one and no code in the recipients."""
        order = {k: i for i, k in enumerate(KIND_ORDER)}
        shown = [n for n in self.nodes.values() if patient_codes or n.kind != "patient"]
        nodes = sorted(shown, key=lambda n: (order[n.kind], n.level, n.code))
        out = {
            "direction": self.direction,
            "start": self.start,
            "nodes": {
                kind: [n.as_dict() for n in nodes if n.kind == kind]
                for kind in KIND_ORDER
                if any(n.kind == kind for n in nodes)
            },
            "edges": sorted(
                [f"{a[0]}:{self.nodes[a].code}", f"{b[0]}:{self.nodes[b].code}"]
                for a, b in self.edges
                if patient_codes or "patient" not in (a[0], b[0])
            ),
            "recipients": [
                {
                    **r,
                    "patient": r["patient"] if patient_codes else "",
                    "administered_at": iso_local(r["administered_at"]) or None,
                }
                for r in self.recipients()
            ],
        }
        if not patient_codes:
            out["patient_count"] = len(self.of("patient"))
        return out


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(str(value)[:10])


def _datetime(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        parsed = dt.datetime.fromisoformat(value)  # fast path: SQLite's 'YYYY-MM-DD HH:MM:SS[.ffffff]'
    except (TypeError, ValueError):
        parsed = parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # SQLite stores UTC without an offset
    return parsed


def run(direction: str, code: str) -> list[tuple]:
    """The raw rows of one direction (exactly one query)."""
    sql = sql_for(direction)
    with connection.cursor() as cursor:
        cursor.execute(sql, [code] * sql.count("%s"))
        return cursor.fetchall()


def trace(direction: str, code: str) -> Trace:
    if direction not in DIRECTIONS:
        raise InputError(
            _("unknown trace direction {direction}").format(direction=direction), where="direction"
        )
    code = (code or "").strip()
    if not code:
        raise InputError(_("give an identifier to trace"), where=direction)
    result = Trace(direction=direction, start=code)
    nodes = result.nodes
    pending_edges = []
    for row in run(direction, code):
        kind, id_, rcode, label, status, detail, flag, day, at, ref_kind, ref_id = row[:11]
        if kind != "lot_usage":
            key = (kind, id_)
            if key not in nodes:
                nodes[key] = Node(
                    kind,
                    id_,
                    rcode,
                    label,
                    status,
                    detail,
                    bool(flag),
                    _date(day) if day is not None else None,
                    at,
                )
            if ref_kind:
                pending_edges.append(((ref_kind, ref_id), key))
        else:
            pending_edges.append((("material_lot", ref_id), ("lot", id_)))
        adm_id = row[11]
        if adm_id is not None:  # an aliquot row with its administration and patient
            adm_key = ("administration", adm_id)
            if adm_key not in nodes:
                nodes[adm_key] = Node(
                    "administration", adm_id, row[12], row[14], None, row[15], at_value=row[13]
                )
            pending_edges.append(((kind, id_), adm_key))
            if row[16] is not None:
                patient_key = ("patient", row[16])
                if patient_key not in nodes:
                    nodes[patient_key] = Node("patient", row[16], row[17])
                pending_edges.append((adm_key, patient_key))
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    for ref, node in pending_edges:
        if ref in nodes and node in nodes:
            # Store upstream -> downstream whichever way the row pointed.
            result.edges.add((ref, node) if rank[ref[0]] <= rank[node[0]] else (node, ref))
    start_kind = direction
    starts = [n for n in result.nodes.values() if n.kind == start_kind and n.code == code]
    if not starts:
        raise InputError(
            _("no {kind} {code} was found").format(kind=direction_labels()[direction], code=code),
            where=direction,
        )
    if len(starts) > 1:
        raise InputError(
            _("{code} names {n} material lots: trace the lot that used it instead").format(
                code=code, n=len(starts)
            ),
            where=direction,
        )
    _bank_levels(result)
    return result


def _bank_levels(result: Trace) -> None:
    parents = {b: a for a, b in result.edges if a[0] == "cell_bank" and b[0] == "cell_bank"}
    for node in result.of("cell_bank"):
        level, key, seen = 0, node.key, set()
        while key in parents and key not in seen:
            seen.add(key)
            key = parents[key]
            level += 1
        node.level = level


# --- what a reader may see of a trace, and what of it is held ------------------------------------


PATIENT_CODES = "clinical.view_patient_codes"  # the one policy (clinical/rules.py)


def hide_patient_codes(result: Trace, graph: dict, recipients: list[dict]) -> int:
    """For a reader without PATIENT_CODES: patient nodes leave the graph's text and the recipients
    keep no code. Returns how many patients there are (they see the count, not the codes)."""
    for node in graph["nodes"]:
        if node["kind"] == "patient":
            node["code"], node["sub"] = "•••", ""
    for r in recipients:
        r["patient"] = ""
    return len(result.of("patient"))


def active_holds_for_trace(result: Trace) -> dict[str, list[str]]:
    """{lot or aliquot code: [recall/hold numbers]} for the lots of a trace that are on hold."""
    lots = result.of("lot")
    by_lot = active_holds_by_lot([n.id for n in lots])
    out: dict[str, list[str]] = {}
    for lot in lots:
        sources = [h.source for h in by_lot.get(lot.id, [])]
        if not sources:
            continue
        out[lot.code] = sources
        for aliquot in result.linked(lot, "aliquot"):
            if aliquot.status == "on_hold":
                out[aliquot.code] = sources
    return out
