"""The trace queries: one SQL statement per direction, portable between SQLite and PostgreSQL.

Each statement is a WITH RECURSIVE whose CTEs walk the lineage (cell banks up to the donor, or
down through child banks) and whose final UNION ALL returns one row per node *and* edge:

    kind, id, code, label, status, detail, flag, day, at, ref_kind, ref_id

`ref_kind`/`ref_id` name the node this row is linked to (an aliquot's lot, a lot's cell bank, a
material lot's using lot, ...); the same node appears once per link. Every join is on an indexed
column: primary keys, foreign keys, lots_materialusage(material_lot, lot), inventory_aliquot(lot,
status), clinical_administeredaliquot(aliquot) unique and (administration, aliquot).

Joins are written `small CROSS JOIN big WHERE big.fk = small.id`: on SQLite a CROSS JOIN keeps the
written order (so the planner starts from the few rows found so far and probes the index instead of
scanning a million-row table, which it otherwise does when it cannot estimate a CTE's size); on
PostgreSQL it is an ordinary inner join the planner orders itself, except the lots of the banks
found recursively, which PostgreSQL gets as a LATERAL subquery (see forward_sql).

Table names come from the models, so the SQL follows the schema; values are always parameters.
"""

from __future__ import annotations

from functools import cache

BACKWARD = ("adverse_event", "administration", "aliquot")
FORWARD = ("lot", "material_lot", "cell_bank", "donor")
DIRECTIONS = BACKWARD + FORWARD
MAX_BANK_DEPTH = 30  # a guard against a corrupted (cyclic) lineage, far deeper than any real one


@cache
def _t() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from evqms.clinical.models import AdministeredAliquot, Administration, AdverseEvent, Patient
    from evqms.dossier.models import CellBank, Donor, Material, MaterialLot, Product
    from evqms.inventory.models import Aliquot, RetentionSample
    from evqms.lots.models import Lot, MaterialUsage

    models = dict(
        ae=AdverseEvent,
        adm=Administration,
        link=AdministeredAliquot,
        patient=Patient,
        user=get_user_model(),
        aliquot=Aliquot,
        retention=RetentionSample,
        lot=Lot,
        usage=MaterialUsage,
        bank=CellBank,
        donor=Donor,
        mlot=MaterialLot,
        material=Material,
        product=Product,
    )
    return {k: m._meta.db_table for k, m in models.items()}


_NULL_COLS = {
    "label": "CAST(NULL AS VARCHAR(300))",
    "status": "CAST(NULL AS VARCHAR(40))",
    "detail": "CAST(NULL AS VARCHAR(300))",
    "flag": "CAST(NULL AS INTEGER)",
    "day": "CAST(NULL AS DATE)",
    # Times travel as text and are parsed only when read (Node.at): Django's PostgreSQL loader for
    # timestamptz is Python code, ~3 ms for the 500 administrations of a donor's forward trace.
    "at": "CAST(NULL AS VARCHAR(40))",
    "ref_kind": "CAST(NULL AS VARCHAR(20))",
    "ref_id": "CAST(NULL AS BIGINT)",
    # An aliquot row also carries its administration and patient (one row per path, not three).
    "adm_id": "CAST(NULL AS BIGINT)",
    "adm_code": "CAST(NULL AS VARCHAR(40))",
    "adm_at": "CAST(NULL AS VARCHAR(40))",
    "adm_route": "CAST(NULL AS VARCHAR(30))",
    "physician": "CAST(NULL AS VARCHAR(200))",
    "patient_id": "CAST(NULL AS BIGINT)",
    "patient_code": "CAST(NULL AS VARCHAR(40))",
}


def _row(kind: str, id_: str, code: str, from_: str, **cols) -> str:
    """One SELECT of the final UNION ALL, with every column present and typed the same way."""
    parts = [
        f"CAST('{kind}' AS VARCHAR(20)) AS kind",
        f"{id_} AS id",
        f"CAST({code} AS VARCHAR(300)) AS code",
    ]
    for name, null in _NULL_COLS.items():
        parts.append(f"{cols[name]} AS {name}" if name in cols else f"{null} AS {name}")
    return f"SELECT {', '.join(parts)} FROM {from_}"


def _bank_rows() -> str:
    t = _t()
    return (
        _row(
            "cell_bank",
            "b.id",
            "b.code",
            "bank b",
            label="b.kind",
            status="b.status",
            ref_kind="CASE WHEN b.parent_id IS NOT NULL THEN 'cell_bank' ELSE 'donor' END",
            ref_id="COALESCE(b.parent_id, b.donor_id)",
        )
        + "\n UNION ALL "
        + _row(
            "donor",
            "d.id",
            "d.code",
            f"(SELECT DISTINCT donor_id FROM bank) bd CROSS JOIN {t['donor']} d WHERE d.id = bd.donor_id",
            status="d.eligibility",
        )
    )


def _lot_rows() -> str:
    t = _t()
    return _row(
        "lot",
        "l.id",
        "l.number",
        f"lt l CROSS JOIN {t['product']} p WHERE p.id = l.product_id",
        label="p.code",
        status="l.status",
        day="l.expiry",
        ref_kind="'cell_bank'",
        ref_id="l.cell_bank_id",
    )


def _material_rows() -> str:
    t = _t()
    return _row(
        "material_lot",
        "ml.id",
        "ml.lot_number",
        f"mu CROSS JOIN {t['mlot']} ml CROSS JOIN {t['material']} m"
        " WHERE ml.id = mu.material_lot_id AND m.id = ml.material_id",
        label="m.name",
        status="ml.acceptance_status",
        detail="ml.animal_species",
        flag="CASE WHEN ml.is_biological THEN 1 ELSE 0 END",
        day="ml.expiry",
        ref_kind="'lot'",
        ref_id="mu.lot_id",
    )


def _aliquot_rows() -> str:
    t = _t()
    # Patient and physician as correlated scalar subqueries: always a primary-key probe per row, where a join
    # lets PostgreSQL (misled by the recursive CTE's row estimate) hash the whole patient table instead.
    return _row(
        "aliquot",
        "a.id",
        "a.container_id",
        f"alq a LEFT JOIN {t['link']} k ON k.aliquot_id = a.id LEFT JOIN {t['adm']} x ON x.id = k.administration_id",
        status="a.status",
        ref_kind="'lot'",
        ref_id="a.lot_id",
        adm_id="x.id",
        adm_code="x.number",
        adm_at="CAST(x.administered_at AS VARCHAR(40))",
        adm_route="x.route",
        physician=f"(SELECT COALESCE(NULLIF(u.printed_name, ''), u.username) FROM {t['user']} u"
        " WHERE u.id = x.physician_id)",
        patient_id="x.patient_id",
        patient_code=f"(SELECT p.code FROM {t['patient']} p WHERE p.id = x.patient_id)",
    )


def _bank_up(seed_from: str) -> str:
    t = _t()
    return (
        "bank(id, code, kind, status, parent_id, donor_id, depth) AS ("
        f" SELECT c.id, c.code, c.kind, c.status, c.parent_id, c.donor_id, 0 FROM {seed_from}"
        " UNION"
        f" SELECT c.id, c.code, c.kind, c.status, c.parent_id, c.donor_id, b.depth + 1 FROM bank b CROSS JOIN {t['bank']} c"
        f" WHERE c.id = b.parent_id AND b.depth < {MAX_BANK_DEPTH})"
    )


def _bank_down(seed_from: str) -> str:
    t = _t()
    return (
        "bank(id, code, kind, status, parent_id, donor_id, depth) AS ("
        f" SELECT c.id, c.code, c.kind, c.status, c.parent_id, c.donor_id, 0 FROM {seed_from}"
        " UNION"
        f" SELECT c.id, c.code, c.kind, c.status, c.parent_id, c.donor_id, b.depth + 1 FROM bank b CROSS JOIN {t['bank']} c"
        f" WHERE c.parent_id = b.id AND b.depth < {MAX_BANK_DEPTH})"
    )


# Each CTE starts from the (small) set before it and joins the next table on an indexed column, so the
# planner walks the lineage instead of scanning; DISTINCT where two paths can reach the same row.
_LOT_COLS = "l.id, l.number, l.product_id, l.cell_bank_id, l.status, l.expiry"
_ADM_COLS = "x.id"


@cache
def backward_sql(start: str) -> str:
    """From an adverse event, an administration or an aliquot up to lot, banks, donor, materials, samples."""
    t = _t()
    ctes = []
    rows = []
    if start == "adverse_event":
        ctes.append(
            f"ae AS (SELECT id, number, administration_id, onset, description, ctcae_grade, serious"
            f" FROM {t['ae']} WHERE number = %s)"
        )
        ctes.append(
            f"adm AS (SELECT {_ADM_COLS} FROM ae CROSS JOIN {t['adm']} x WHERE x.id = ae.administration_id)"
        )
        rows.append(
            _row(
                "adverse_event",
                "e.id",
                "e.number",
                "ae e",
                label="e.description",
                detail="CAST(e.ctcae_grade AS VARCHAR(2))",
                flag="CASE WHEN e.serious THEN 1 ELSE 0 END",
                at="CAST(e.onset AS VARCHAR(40))",
                ref_kind="'administration'",
                ref_id="e.administration_id",
            )
        )
    elif start == "administration":
        ctes.append(f"adm AS (SELECT {_ADM_COLS} FROM {t['adm']} x WHERE x.number = %s)")
    elif start == "aliquot":
        ctes.append(
            f"alq AS (SELECT id, container_id, lot_id, status FROM {t['aliquot']} WHERE container_id = %s)"
        )
    else:
        raise ValueError(start)
    if start != "aliquot":
        ctes.append(
            f"alq AS (SELECT a.id, a.container_id, a.lot_id, a.status FROM adm"
            f" CROSS JOIN {t['link']} k CROSS JOIN {t['aliquot']} a"
            " WHERE k.administration_id = adm.id AND a.id = k.aliquot_id)"
        )
    ctes.append(
        f"lt AS (SELECT DISTINCT {_LOT_COLS} FROM alq CROSS JOIN {t['lot']} l WHERE l.id = alq.lot_id)"
    )
    ctes.append(_bank_up(f"lt CROSS JOIN {t['bank']} c WHERE c.id = lt.cell_bank_id"))
    ctes.append(
        f"mu AS (SELECT u.lot_id, u.material_lot_id FROM lt CROSS JOIN {t['usage']} u WHERE u.lot_id = lt.id)"
    )
    rows += [_aliquot_rows(), _lot_rows(), _bank_rows(), _material_rows()]
    retention = dict(label="r.quantity", status="r.status", detail="r.reason", day="r.retain_until")
    rows.append(
        _row(
            "retention_sample",
            "r.id",
            "COALESCE(al.container_id, 'RS-' || CAST(r.id AS VARCHAR(20)))",
            f"lt CROSS JOIN {t['retention']} r LEFT JOIN {t['aliquot']} al ON al.id = r.aliquot_id WHERE r.lot_id = lt.id",
            ref_kind="'lot'",
            ref_id="r.lot_id",
            **retention,
        )
    )
    rows.append(
        _row(
            "retention_sample",
            "r.id",
            "'RS-' || CAST(r.id AS VARCHAR(20))",
            f"(SELECT DISTINCT material_lot_id FROM mu) um CROSS JOIN {t['retention']} r"
            " WHERE r.material_lot_id = um.material_lot_id",
            ref_kind="'material_lot'",
            ref_id="r.material_lot_id",
            **retention,
        )
    )
    return "WITH RECURSIVE " + ",\n ".join(ctes) + "\n" + "\n UNION ALL ".join(rows)


@cache
def forward_sql(start: str, vendor: str = "sqlite") -> str:
    """From a donor, a cell bank, a material lot or a lot down to every lot, aliquot, administration, patient."""
    t = _t()
    ctes = []
    rows = []
    if start == "lot":
        ctes.append(f"lt AS (SELECT {_LOT_COLS} FROM {t['lot']} l WHERE l.number = %s)")
    elif start == "material_lot":
        ctes.append(f"mls AS (SELECT id FROM {t['mlot']} WHERE lot_number = %s)")
        ctes.append(
            f"mu AS (SELECT u.lot_id, u.material_lot_id FROM mls CROSS JOIN {t['usage']} u"
            " WHERE u.material_lot_id = mls.id)"
        )
        ctes.append(
            f"lt AS (SELECT DISTINCT {_LOT_COLS} FROM mu CROSS JOIN {t['lot']} l WHERE l.id = mu.lot_id)"
        )
        rows.append(
            _row(
                "material_lot",
                "ml.id",
                "ml.lot_number",
                f"mls s CROSS JOIN {t['mlot']} ml CROSS JOIN {t['material']} m"
                " WHERE ml.id = s.id AND m.id = ml.material_id",
                label="m.name",
                status="ml.acceptance_status",
                detail="ml.animal_species",
                flag="CASE WHEN ml.is_biological THEN 1 ELSE 0 END",
                day="ml.expiry",
            )
        )
        rows.append(
            _row("lot_usage", "mu.lot_id", "''", "mu", ref_kind="'material_lot'", ref_id="mu.material_lot_id")
        )
    elif start in ("cell_bank", "donor"):
        if start == "cell_bank":
            ctes.append(_bank_down(f"{t['bank']} c WHERE c.code = %s"))
        else:
            ctes.append(
                _bank_down(
                    f"{t['donor']} d0 CROSS JOIN {t['bank']} c WHERE d0.code = %s AND c.donor_id = d0.id"
                )
            )
            # The donor itself, even before any bank is made from it.
            rows.append(
                _row("donor", "d.id", "d.code", f"{t['donor']} d WHERE d.code = %s", status="d.eligibility")
            )
        # Each bank id once, so each lot once (a lot has one bank): no DISTINCT over the lots.
        if vendor == "postgresql":
            # PostgreSQL estimates a recursive CTE at about ten times its seed (345 banks for a donor's 5),
            # expects thousands of lots and reads all of lots_lot (~20 ms at 100,000 lots) instead of
            # probing the cell-bank index a few times. A LATERAL subquery kept apart by OFFSET 0 (so it
            # is not flattened back into a join) can only be run per bank, through the index.
            ctes.append(
                f"lt AS (SELECT {_LOT_COLS} FROM (SELECT DISTINCT id FROM bank) b CROSS JOIN LATERAL"
                f" (SELECT {_LOT_COLS} FROM {t['lot']} l WHERE l.cell_bank_id = b.id OFFSET 0) l)"
            )
        else:
            ctes.append(
                f"lt AS (SELECT {_LOT_COLS} FROM (SELECT DISTINCT id FROM bank) b"
                f" CROSS JOIN {t['lot']} l WHERE l.cell_bank_id = b.id)"
            )
        rows.append(_bank_rows())
    else:
        raise ValueError(start)
    ctes.append(
        f"alq AS (SELECT a.id, a.container_id, a.lot_id, a.status FROM lt CROSS JOIN {t['aliquot']} a"
        " WHERE a.lot_id = lt.id)"
    )
    rows += [_lot_rows(), _aliquot_rows()]
    return "WITH RECURSIVE " + ",\n ".join(ctes) + "\n" + "\n UNION ALL ".join(rows)


def sql_for(direction: str, vendor: str | None = None) -> str:
    """The statement of one direction for a database vendor (default: Django's connection)."""
    if vendor is None:
        from django.db import connection

        vendor = connection.vendor
    return backward_sql(direction) if direction in BACKWARD else forward_sql(direction, vendor)


# --- the floor: the same answers with the least SQL a person would write by hand ------------------
# (ids only, no labels or names), for benchmarks/trace_scale.py to compare against.


@cache
def floor_sql(direction: str, vendor: str = "sqlite") -> str:
    t = _t()
    up = (
        f"WITH RECURSIVE bank(id, parent_id, donor_id) AS (SELECT id, parent_id, donor_id FROM {t['bank']}"
        f" WHERE id = (SELECT cell_bank_id FROM {t['lot']} WHERE id = (SELECT lot_id FROM seed))"
        f" UNION SELECT c.id, c.parent_id, c.donor_id FROM {t['bank']} c JOIN bank b ON c.id = b.parent_id)"
    )
    tail = (
        f" SELECT 'b', id, donor_id FROM bank UNION ALL SELECT 'm', material_lot_id, lot_id FROM {t['usage']}"
        f" WHERE lot_id = (SELECT lot_id FROM seed)"
        f" UNION ALL SELECT 'r', id, lot_id FROM {t['retention']} WHERE lot_id = (SELECT lot_id FROM seed)"
    )
    if direction == "aliquot":
        return (
            up.replace(
                "WITH RECURSIVE ",
                f"WITH RECURSIVE seed AS (SELECT id, lot_id FROM {t['aliquot']} WHERE container_id = %s), ",
            )
            + tail
        )
    if direction == "administration":
        return (
            up.replace(
                "WITH RECURSIVE ",
                f"WITH RECURSIVE seed AS (SELECT a.id, a.lot_id FROM {t['aliquot']} a"
                f" JOIN {t['link']} k ON k.aliquot_id = a.id JOIN {t['adm']} x ON x.id = k.administration_id"
                " WHERE x.number = %s), ",
            )
            + tail
        )
    if direction == "adverse_event":
        return (
            up.replace(
                "WITH RECURSIVE ",
                f"WITH RECURSIVE seed AS (SELECT a.id, a.lot_id FROM {t['aliquot']} a"
                f" JOIN {t['link']} k ON k.aliquot_id = a.id JOIN {t['ae']} e"
                " ON e.administration_id = k.administration_id WHERE e.number = %s), ",
            )
            + tail
        )
    down = (
        f" SELECT a.id, x.id, x.patient_id FROM {t['aliquot']} a LEFT JOIN {t['link']} k ON k.aliquot_id = a.id"
        f" LEFT JOIN {t['adm']} x ON x.id = k.administration_id WHERE a.lot_id IN (SELECT id FROM lt)"
    )
    if direction == "lot":
        return f"WITH lt AS (SELECT id FROM {t['lot']} WHERE number = %s)" + down
    if direction == "material_lot":
        return (
            f"WITH lt AS (SELECT u.lot_id AS id FROM {t['usage']} u JOIN {t['mlot']} ml ON ml.id = u.material_lot_id"
            " WHERE ml.lot_number = %s)" + down
        )
    bank_seed = (
        "code = %s"
        if direction == "cell_bank"
        else f"donor_id = (SELECT id FROM {t['donor']} WHERE code = %s)"
    )
    lots = (
        # As in forward_sql: PostgreSQL would otherwise scan every lot (see there).
        f"SELECT l.id FROM bank b CROSS JOIN LATERAL (SELECT id FROM {t['lot']} WHERE cell_bank_id = b.id"
        " OFFSET 0) l"
        if vendor == "postgresql"
        else f"SELECT id FROM {t['lot']} WHERE cell_bank_id IN (SELECT id FROM bank)"
    )
    return (
        f"WITH RECURSIVE bank(id) AS (SELECT id FROM {t['bank']} WHERE {bank_seed}"
        f" UNION SELECT c.id FROM {t['bank']} c JOIN bank b ON c.parent_id = b.id),"
        f" lt AS ({lots})" + down
    )
