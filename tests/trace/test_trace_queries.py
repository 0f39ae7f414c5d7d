"""Trace answers against the hand-built lineage (tests/trace/conftest.py), one query per direction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evqms.errors import InputError
from evqms.trace.selectors import trace


def codes(result, kind):
    return sorted(n.code for n in result.of(kind))


def test_backward_from_adverse_event_reaches_every_lot_bank_donor_material_and_sample(lineage):
    t = trace("adverse_event", lineage.ae.number)
    assert codes(t, "adverse_event") == [lineage.ae.number]
    assert codes(t, "administration") == [lineage.adm[1].number]
    assert codes(t, "patient") == ["P-1"]
    assert codes(t, "aliquot") == ["L1-A001", "L2-A001"]  # the split dose: two lots in one administration
    assert codes(t, "lot") == ["L1", "L2"]
    assert codes(t, "cell_bank") == ["MCB-1", "WCB-1A", "WCB-1A-X", "WCB-1B"]
    assert codes(t, "donor") == ["D-1"]
    assert codes(t, "material_lot") == ["HPL-1", "MED-1"]
    samples = t.of("retention_sample")
    assert sorted(s.code for s in samples) == sorted(["L1-A003", f"RS-{lineage.keep_hpl.pk}"])
    hpl = next(n for n in t.of("material_lot") if n.code == "HPL-1")
    assert hpl.flag is True and hpl.animal_origin is False
    levels = {n.code: n.level for n in t.of("cell_bank")}
    assert levels == {"MCB-1": 0, "WCB-1A": 1, "WCB-1A-X": 2, "WCB-1B": 1}
    edges = {(a[0], t.nodes[a].code, b[0], t.nodes[b].code) for a, b in t.edges}
    assert ("cell_bank", "WCB-1A-X", "lot", "L1") in edges
    assert ("cell_bank", "WCB-1A", "cell_bank", "WCB-1A-X") in edges
    assert ("donor", "D-1", "cell_bank", "MCB-1") in edges
    assert ("material_lot", "HPL-1", "lot", "L2") in edges
    assert ("aliquot", "L2-A001", "administration", lineage.adm[1].number) in edges


def test_backward_from_administration_and_aliquot(lineage):
    t = trace("administration", lineage.adm[3].number)
    assert codes(t, "lot") == ["L3"]
    assert codes(t, "cell_bank") == ["MCB-2", "WCB-2A"]
    assert codes(t, "donor") == ["D-2"]
    fbs = next(n for n in t.of("material_lot") if n.code == "FBS-1")
    assert fbs.animal_origin and fbs.flag and fbs.detail == "bovine"
    not_kept = [s for s in t.of("retention_sample") if s.status == "not_kept"]
    assert len(not_kept) == 1 and "QA-12" in not_kept[0].detail

    t = trace("aliquot", "L1-A002")
    assert codes(t, "aliquot") == ["L1-A002"]
    assert codes(t, "administration") == [lineage.adm[2].number]
    assert codes(t, "patient") == ["P-2"]
    assert codes(t, "cell_bank") == ["MCB-1", "WCB-1A", "WCB-1A-X"]


def test_forward_from_donor_cell_bank_material_lot_and_lot(lineage):
    t = trace("donor", "D-1")
    assert codes(t, "lot") == ["L1", "L2", "L4"]
    assert codes(t, "cell_bank") == ["MCB-1", "WCB-1A", "WCB-1A-X", "WCB-1B"]
    assert sorted(r["administration"] for r in t.recipients()) == sorted(
        [lineage.adm[1].number, lineage.adm[2].number, lineage.adm[4].number]
    )
    assert codes(t, "patient") == ["P-1", "P-2"]

    t = trace("cell_bank", "WCB-1A")
    assert codes(t, "cell_bank") == ["WCB-1A", "WCB-1A-X"]
    assert codes(t, "lot") == ["L1"]
    assert codes(t, "aliquot") == ["L1-A001", "L1-A002", "L1-A003"]
    assert codes(t, "patient") == ["P-1", "P-2"]

    t = trace("material_lot", "MED-1")
    assert codes(t, "lot") == ["L1", "L2", "L3", "L4"]
    assert codes(t, "patient") == ["P-1", "P-2", "P-3"]
    assert len(t.of("administration")) == 4

    t = trace("material_lot", "HPL-1")
    assert codes(t, "lot") == ["L1", "L2"]
    assert codes(t, "patient") == ["P-1", "P-2"]

    t = trace("lot", "L2")
    recipients = t.recipients()
    assert [(r["administration"], r["patient"], r["aliquots"], r["lots"]) for r in recipients] == [
        (lineage.adm[1].number, "P-1", ["L2-A001"], ["L2"])
    ]
    assert recipients[0]["physician"] == "Trace-Physician"

    t = trace("donor", "D-3")
    assert codes(t, "donor") == ["D-3"] and not t.of("lot")


def test_recall_completeness_every_recipient_of_a_lot_is_found(lineage):
    from evqms.clinical.models import Administration

    for number in ("L1", "L2", "L3", "L4"):
        expected = set(
            Administration.objects.filter(used__aliquot__lot__number=number).values_list(
                "number", "patient__code"
            )
        )
        found = {(r["administration"], r["patient"]) for r in trace("lot", number).recipients()}
        assert found == expected and found


def test_times_come_back_as_the_same_instants(lineage):
    """Administration and onset times travel as text and are parsed on reading: same aware instants."""
    from evqms.clinical.models import Administration, AdverseEvent

    stored = {a.number: a.administered_at for a in Administration.objects.all()}
    recipients = trace("lot", "L1").recipients() + trace("lot", "L2").recipients()
    assert {r["administration"]: r["administered_at"] for r in recipients} == {
        n: t for n, t in stored.items() if n in {r["administration"] for r in recipients}
    }
    assert all(r["administered_at"].utcoffset() is not None for r in recipients)
    ae = AdverseEvent.objects.get()
    (node,) = trace("adverse_event", ae.number).of("adverse_event")
    assert node.at == ae.onset


@pytest.mark.parametrize(
    "direction,code",
    [
        ("adverse_event", "AE-000001"),
        ("administration", "ADM-000001"),
        ("aliquot", "L1-A001"),
        ("lot", "L1"),
        ("material_lot", "MED-1"),
        ("cell_bank", "MCB-1"),
        ("donor", "D-1"),
    ],
)
def test_each_direction_is_one_query(lineage, direction, code):
    with CaptureQueriesContext(connection) as ctx:
        result = trace(direction, code)
    assert len(ctx.captured_queries) == 1
    assert "WITH RECURSIVE" in ctx.captured_queries[0]["sql"]
    assert result.nodes


def test_unknown_and_empty_identifiers_are_refused(lineage):
    with pytest.raises(InputError, match="NOPE"):
        trace("lot", "NOPE")
    with pytest.raises(InputError):
        trace("lot", "  ")
    with pytest.raises(InputError):
        trace("patient", "P-1")


def test_json_shape(lineage):
    data = trace("adverse_event", lineage.ae.number).as_dict()
    assert data["direction"] == "adverse_event"
    assert [n["code"] for n in data["nodes"]["donor"]] == ["D-1"]
    assert data["recipients"][0]["patient"] == "P-1"
    assert "material_lot:HPL-1" in {e[0] for e in data["edges"]}
