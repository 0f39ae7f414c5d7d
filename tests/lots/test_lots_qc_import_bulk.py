"""The QC import records its rows in bulk (`record_qc_results`): the same results, history rows, OOS
deviations and audit events, in the same chain order, as recording the rows one by one."""

import json

import pytest
from django.db import transaction
from django.utils import timezone

from evqms.audit import checkpoints
from evqms.audit.models import AuditEvent
from evqms.audit.selectors import verify_chain
from evqms.errors import InputError
from evqms.lots.models import Deviation, QCResult
from evqms.lots.qc_import import import_qc_results
from evqms.lots.services import record_qc_result
from evqms.lots.services.qc import QCEntriesRefused, QCEntry, QCRuleViolation, record_qc_results
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db

EVERY = 3  # a checkpoint falls among the imported rows, and between a result and its deviation

# pass, alert (above 180 nm), OOS (not below 0.5), OOS (qualitative), pass
CSV = """lot,attribute,value,unit,text_value,method,tested_at,analyst,positive_control,negative_control,positive_recovery
UCEV-T-001,particle_concentration,2.5E+06,particles/uL,,NTA,2024-06-01T10:30,qc2,,,
UCEV-T-001,modal_size,190,nm,,NTA,2024-06-01T10:30,,,,
UCEV-T-001,endotoxin,0.5,EU/mL,,LAL,2024-06-02 09:00,,,not detected,95
UCEV-T-002,cd63,,,negative,Western blot,2024-06-01,,,,
UCEV-T-002,sterility,,,no growth,JP 4.06,2024-06-14,,detected,not detected,
"""


class _Rollback(Exception):
    pass


@pytest.fixture
def cp(settings, tmp_path, monkeypatch):
    settings.AUDIT_CHECKPOINTS = True
    settings.AUDIT_CHECKPOINT_EVERY = EVERY
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "home" / "audit-checkpoints.log"
    settings.AUDIT_CHECKPOINT_KEY_FILE = tmp_path / "home" / "audit-checkpoint.key"
    settings.AUDIT_CHECKPOINT_HOOK = ""
    if hasattr(checkpoints, "_known"):  # nothing remembered from another test's database
        monkeypatch.setattr(checkpoints, "_known", {})


def _checkpoint_file(settings, path):
    """A checkpoint file of its own holding the checkpoints already committed (in a test nothing
    commits, so their lines, written on commit, are written here)."""
    settings.AUDIT_CHECKPOINT_FILE = path
    done = AuditEvent.objects.filter(action=checkpoints.ACTION).order_by("seq")
    for seq, digest, at in done.values_list("seq", "hash", "occurred_at"):
        checkpoints.append(checkpoints.make(seq, digest, at))


@pytest.fixture
def lots(world, cp, settings, tmp_path):
    made = [world.in_qc("UCEV-T-001"), world.in_qc("UCEV-T-002")]
    _checkpoint_file(settings, tmp_path / "checkpoints-a.log")
    return made


def _state(since_seq: int, results: list[int]) -> dict:
    """What the recording left, with record ids replaced by their order of creation (ids are not
    reused after a rollback on PostgreSQL) and times left out (each write takes its own)."""
    ids = {pk: f"result {i}" for i, pk in enumerate(results)}
    deviations = list(Deviation.objects.filter(qc_result_id__in=results).order_by("pk"))
    dev_ids = {d.pk: f"deviation {i}" for i, d in enumerate(deviations)}
    skip = {"id", "recorded_at", "history_id", "history_date", "opened_at", "occurred_at"}

    def fields(obj, names):
        row = {n: getattr(obj, n) for n in names if n not in skip}
        if "qc_result_id" in row:
            row["qc_result_id"] = ids.get(row["qc_result_id"])
        if "retest_of_id" in row:
            row["retest_of_id"] = ids.get(row["retest_of_id"])
        return row

    result_names = [f.attname for f in QCResult._meta.concrete_fields]
    history_names = [f.attname for f in QCResult.history.model._meta.concrete_fields]
    deviation_names = [f.attname for f in Deviation._meta.concrete_fields]
    by_pk = {r.pk: r for r in QCResult.objects.filter(pk__in=results)}
    events = []
    for e in AuditEvent.objects.filter(seq__gt=since_seq).order_by("seq"):
        after = json.loads(e.after) if e.after else None
        if e.object_type == "qc_result":
            object_id = ids[int(e.object_id)]
        elif e.object_type == "deviation":
            object_id = dev_ids[int(e.object_id)]
            after["qc_result"] = ids[after["qc_result"]]
            after.pop("occurred_at")  # when it was opened, by default
        elif e.action == "qc_result.import":
            object_id = e.object_id
            after["results"] = [ids[pk] for pk in after["results"]]
        else:
            object_id = e.object_id
        events.append((e.seq, e.actor_name, e.action, e.object_type, object_id, e.before, after, e.reason))
    return {
        "results": [fields(by_pk[pk], result_names) for pk in results],
        "history": [
            [
                {**fields(h, history_names), "id": ids[h.id]}
                for h in QCResult.history.filter(id=pk).order_by("history_id")
            ]
            for pk in results
        ],
        "deviations": [{**fields(d, deviation_names), "id": dev_ids[d.pk]} for d in deviations],
        "events": events,
    }


def _import(world) -> tuple[dict, object]:
    since = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    report = import_qc_results(actor=world.analyst, filename="run-0601.csv", data=CSV.encode())
    assert report.ok, report.text()
    return _state(since, report.created), report


def _one_by_one(world, report) -> dict:
    """The same rows through `record_qc_result`, one call each, then the import's own event."""
    from evqms.audit.services import record_event
    from evqms.lots.qc_import import _map_rows, read_rows

    since = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    errors = []
    entries = _map_rows(world.analyst, read_rows("run-0601.csv", CSV.encode()), errors)
    assert not errors
    created = []
    with transaction.atomic():
        for entry in entries:
            result = record_qc_result(
                actor=world.analyst,
                lot=entry.lot,
                attribute=entry.attribute,
                value=entry.cells.get("value") or None,
                unit=entry.cells.get("unit") or "",
                text_value=entry.cells.get("text_value") or "",
                method=entry.cells.get("method") or "",
                tested_at=entry.tested_at,
                analyst=entry.analyst,
                stored_file_name=report.stored_as,
                stored_file_sha256=report.sha256,
                controls=passing_controls(entry.attribute),
            )
            created.append(result.pk)
        record_event(
            actor=world.analyst,
            action="qc_result.import",
            object_type="qc_import",
            object_id=report.sha256[:16],
            after={
                "filename": report.filename,
                "sha256": report.sha256,
                "stored_as": report.stored_as,
                "rows": report.rows,
                "results": created,
            },
        )
    return _state(since, created)


def test_bulk_import_leaves_what_one_by_one_recording_leaves(
    world, lots, settings, tmp_path, django_capture_on_commit_callbacks
):
    try:
        with transaction.atomic():
            with django_capture_on_commit_callbacks(execute=True):
                bulk, report = _import(world)
            assert verify_chain().ok
            raise _Rollback
    except _Rollback:
        pass
    assert not QCResult.objects.exists()
    _checkpoint_file(settings, tmp_path / "checkpoints-b.log")
    with django_capture_on_commit_callbacks(execute=True):
        single = _one_by_one(world, report)
    assert verify_chain().ok
    kinds = [e[2] for e in bulk["events"]]
    assert len(kinds) - kinds.count(checkpoints.ACTION) == 5 + 2 + 1  # results, deviations, import
    assert kinds.count(checkpoints.ACTION) >= 2
    assert bulk == single


def test_bulk_import_of_a_small_file_by_hand(world, lots, django_capture_on_commit_callbacks):
    last_checkpoint = (
        AuditEvent.objects.filter(action=checkpoints.ACTION).order_by("-seq").values_list("seq", flat=True)[0]
    )
    with django_capture_on_commit_callbacks(execute=True):
        state, report = _import(world)
    codes = {a.pk: a.code for a in world.spec.attributes.all()}
    assert [(codes[r["attribute_id"]], r["verdict"]) for r in state["results"]] == [
        ("particle_concentration", "pass"),
        ("modal_size", "alert"),
        ("endotoxin", "fail"),
        ("cd63", "fail"),
        ("sterility", "pass"),
    ]
    assert [r["analyst_id"] for r in state["results"]] == [world.analyst2.pk] + [world.analyst.pk] * 4
    assert [r["lot_id"] for r in state["results"]] == [lots[0].pk] * 3 + [lots[1].pk] * 2
    # one "+" history row per result, holding the result as stored
    assert [[h["history_type"] for h in rows] for rows in state["history"]] == [["+"]] * 5
    for result, rows in zip(state["results"], state["history"], strict=True):
        assert {k: v for k, v in rows[0].items() if k in result} == result
    assert [(d["number"], d["qc_result_id"], d["source"]) for d in state["deviations"]] == [
        ("DEV-UCEV-T-001-01", "result 2", "oos"),
        ("DEV-UCEV-T-002-01", "result 3", "oos"),
    ]
    events = [e for e in state["events"] if e[2] != checkpoints.ACTION]
    assert [(e[2], e[4]) for e in events] == [
        ("qc_result.record", "result 0"),
        ("qc_result.record", "result 1"),
        ("qc_result.record", "result 2"),
        ("deviation.open", "deviation 0"),
        ("qc_result.record", "result 3"),
        ("deviation.open", "deviation 1"),
        ("qc_result.record", "result 4"),
        ("qc_result.import", report.sha256[:16]),
    ]
    assert {e[1] for e in events} == {world.analyst.get_username()}
    assert events[2][6]["verdict"] == "fail" and events[2][6]["reported_value"] == "0.5000000000"
    assert events[3][6]["description"].startswith("OOS: ")
    # a checkpoint before every EVERY + 1-th event after the last one, as record_event places them
    seqs = [e[0] for e in state["events"]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    checkpoint_seqs = [e[0] for e in state["events"] if e[2] == checkpoints.ACTION]
    expected = [s for s in seqs if (s - last_checkpoint) % (EVERY + 1) == 0]
    assert checkpoint_seqs == expected and len(expected) >= 2
    assert verify_chain().ok


def test_record_qc_results_refuses_every_bad_entry_and_writes_nothing(world, lots):
    lot = lots[0]
    events = AuditEvent.objects.count()
    at = timezone.now()
    entries = [
        QCEntry(
            lot=lot,
            attribute=world.attr("modal_size"),
            value="121",
            unit="nm",
            tested_at=at,
            controls=passing_controls(world.attr("modal_size")),
        ),
        QCEntry(
            lot=lot,
            attribute=world.attr("modal_size"),
            value="122",
            unit="nm",
            tested_at=at,
            controls=passing_controls(world.attr("modal_size")),
        ),
        QCEntry(
            lot=lot,
            attribute=world.attr("endotoxin"),
            value="-1",
            unit="EU/mL",
            tested_at=at,
            controls=passing_controls(world.attr("endotoxin")),
        ),
        QCEntry(
            lot=lot,
            attribute=world.attr("cd63"),
            text_value="positive",
            tested_at=at,
            controls=passing_controls(world.attr("cd63")),
        ),
    ]
    with pytest.raises(QCEntriesRefused) as refused:
        record_qc_results(actor=world.analyst, entries=entries)
    got = [(i, type(e), getattr(e, "where", None)) for i, e in refused.value.refusals]
    # the second modal size is refused as one-by-one recording would refuse it after the first
    assert got == [(1, QCRuleViolation, "attribute"), (2, InputError, "value")]
    assert not QCResult.objects.exists() and AuditEvent.objects.count() == events
    # the one-entry form raises the rule's own error
    record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=world.attr("modal_size"),
        value="121",
        unit="nm",
        tested_at=at,
        controls=passing_controls(world.attr("modal_size")),
    )
    with pytest.raises(QCRuleViolation, match="already has a valid result"):
        record_qc_result(
            actor=world.analyst,
            lot=lot,
            attribute=world.attr("modal_size"),
            value="122",
            unit="nm",
            tested_at=at,
            controls=passing_controls(world.attr("modal_size")),
        )
