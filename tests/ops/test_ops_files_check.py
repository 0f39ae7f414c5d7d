"""`evqms files verify`: kept originals recomputed against their recorded SHA-256, each finding
named by its record; orphans under MEDIA_ROOT; exit codes; the JSON shape; registry completeness."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from evqms.cli import main
from evqms.ops import files_check
from evqms.ops.files_check import ORIGINALS, UNHASHED, verify_files
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src" / "evqms"
POTENCY_PLATE = TESTS / "fixtures" / "potency" / "plate_two_lots.csv"
LAL_RUN = "Sample,Endotoxin (EU/mL)\nUCEV-F-001,0.10\n日本語\n".encode()
SOP = b"SOP-EV-001 EV isolation by TFF and SEC\n"


@pytest.fixture
def media(settings, tmp_path):
    """Each test its own MEDIA_ROOT, so files of other tests are not orphans here."""
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def nta_synth():
    sys.path.insert(0, str(TESTS / "fixtures" / "nta"))
    try:
        import nta_synth

        yield nta_synth
    finally:
        sys.path.remove(str(TESTS / "fixtures" / "nta"))


@pytest.fixture
def originals(media, make_user, nta_synth):
    """One record of every kind that keeps an original, each stored by its own service."""
    from evqms.dossier import services as dossier
    from evqms.landscape import services as landscape
    from evqms.landscape.store import RawInput
    from evqms.lots import qc_import
    from evqms.lots import services as lots
    from evqms.studies import services as studies
    from evqms.testing import factories as f

    analyst = make_user("files-qc", "qc_analyst")
    operator = make_user("files-op", "operator")
    product = f.product()
    spec = f.specification(product)
    lot = f.lot("UCEV-F-001", status="qc", prod=product)
    ref = f.lot("REF-F-001", status="released", prod=product)
    qc = lots.record_qc_result(
        actor=analyst,
        lot=lot,
        attribute=spec.attributes.get(code="endotoxin"),
        value=Decimal("0.10"),
        unit="EU/mL",
        tested_at=timezone.now(),
        raw_file=("lal run.csv", LAL_RUN),
        controls=passing_controls(spec.attributes.get(code="endotoxin")),
    )
    doc = dossier.upload_document(
        actor=operator,
        code="SOP-EV-001",
        title="EV isolation",
        kind="sop",
        content=SOP,
        original_name="sop.txt",
    )
    videos = [
        nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110, gsd=1.4, total=t) for t in (3e10, 3.1e10)
    ]
    nta = studies.attach_nta_export(
        actor=analyst,
        lot=lot,
        filename="ExperimentSummary.csv",
        data=nta_synth.nanosight_csv(videos, dilution=100.0),
    )
    spec.attributes.create(
        code="potency_relative", name="Relative potency", method="Cell assay", kind="quantitative",
        unit="%", lower=Decimal("70"), upper=Decimal("130"), decimal_places=0, stage="release", order=90,
    )  # fmt: skip
    assay = studies.create_potency_assay(
        actor=analyst,
        product=product,
        qc_attribute_code="potency_relative",
        name="IL-10 induction in macrophages",
        mechanism="anti-inflammatory macrophage polarisation",
        indication="Knee osteoarthritis",
        reference_lot=ref,
        acceptance_low="70",
        acceptance_high="130",
        dose_unit="ng/mL",
    )
    run = studies.record_potency_run(
        actor=analyst,
        assay=assay,
        test_lot=lot,
        filename="plate.csv",
        data=POTENCY_PLATE.read_bytes(),
        dose_column="conc_ng_ml",
        response_column="signal",
        curve_column="lot",
    )
    ingest = landscape.ingest_trials(
        actor=None,
        as_of=dt.date(2024, 6, 1),
        source="ctgov saved files",
        query="exosome",
        raw_inputs=[
            RawInput("page-1.json", b'{"studies": []}'),
            RawInput("page-2.json", b'{"studies": [1]}'),
        ],
        trials=[],
        problems=[],
    )
    survey = landscape.save_clinic_survey(
        actor=None,
        input_name="clinics.warc.gz",
        raw=b"WARC/1.0 synthetic crawl",
        report={"summary": {"analysed": 0}, "results": [], "institutions": [], "problems": []},
        surveyed_on=dt.date(2024, 6, 2),
        source="saved crawl",
    )
    refused = qc_import.import_qc_results(
        actor=analyst, filename="results.csv", data=b"lot,attribute\nNOPE,x\n"
    )
    assert not refused.ok
    return {
        "qc": qc,
        "doc": doc,
        "nta": nta,
        "run": run,
        "ingest": ingest,
        "survey": survey,
        "import": refused,
        "lot": lot,
    }


def _json(capsys, *args) -> tuple[int, dict]:
    code = main(["files", "verify", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_every_kept_original_is_checked_intact_with_one_query_per_registry_line(
    originals, django_assert_num_queries
):
    with django_assert_num_queries(len(ORIGINALS)):
        result = verify_files()
    by_model = {}
    for f in result.files:
        by_model.setdefault(f.model, []).append(f)
    # the NTA export fills two QC results that point at the same stored file
    assert {m: len(v) for m, v in by_model.items()} == {
        "lots.QCResult": 3,
        "dossier.Document": 1,
        "studies.NTAImport": 1,
        "studies.PotencyRun": 1,
        "landscape.Ingest": 2,
        "landscape.ClinicSurveyRun": 1,
        "audit.AuditEvent": 1,
    }
    assert all(f.status == "ok" for f in result.files) and result.ok
    doc = originals["doc"]
    [checked] = by_model["dossier.Document"]
    assert (checked.code, checked.path, checked.actual) == (
        "SOP-EV-001 v1",
        doc.file.name,
        hashlib.sha256(SOP).hexdigest(),
    )
    assert by_model["audit.AuditEvent"][0].path == originals["import"].stored_as
    assert sorted(f.path.rsplit("/", 1)[-1] for f in by_model["landscape.Ingest"]) == [
        "0001_page-1.json",
        "0002_page-2.json",
    ]


def test_altered_missing_and_orphan_files_are_named_with_their_records(originals, media, capsys, monkeypatch):
    from evqms.dossier import services as dossier

    monkeypatch.setenv("EVQMS_LANG", "en")
    nta, doc, survey = originals["nta"], originals["doc"], originals["survey"]
    with open(nta.file.path, "ab") as fh:  # someone edits the stored NTA export
        fh.write(b"\nConcentration,9.9E+12\n")
    Path(doc.file.path).unlink()  # and deletes the SOP
    (media / "landscape" / "stray.bin").write_bytes(b"12345")  # a file nobody recorded
    with pytest.raises(RuntimeError), transaction.atomic():  # saved in a transaction that rolls back
        dossier.upload_document(
            actor=doc.uploaded_by,
            code="SOP-EV-002",
            title="Fill",
            kind="sop",
            content=b"fill",
            original_name="f.txt",
        )
        raise RuntimeError("rolled back")

    code, data = _json(capsys, "--orphans")
    assert code == 1
    assert list(data) == ["checked", "ok", "altered", "missing", "orphans"]
    assert data["checked"] == 10 and data["ok"] == 6
    altered_sha = hashlib.sha256(Path(nta.file.path).read_bytes()).hexdigest()
    lot = originals["lot"].number
    assert sorted((a["model"], a["code"]) for a in data["altered"]) == [
        ("lots.QCResult", f"{lot} modal_size"),
        ("lots.QCResult", f"{lot} particle_concentration"),
        ("studies.NTAImport", f"{lot} ExperimentSummary.csv"),
    ]
    assert {(a["path"], a["expected_sha256"], a["actual_sha256"]) for a in data["altered"]} == {
        (nta.file.name, nta.sha256, altered_sha)
    }
    assert data["missing"] == [
        {
            "model": "dossier.Document",
            "record": "document",
            "id": doc.pk,
            "code": "SOP-EV-001 v1",
            "path": doc.file.name,
            "expected_sha256": doc.sha256,
        }
    ]
    orphans = {o["path"]: o["bytes"] for o in data["orphans"]}
    assert orphans.pop("landscape/stray.bin") == 5
    [(left_behind, size)] = orphans.items()  # the rolled-back upload's file
    assert left_behind.startswith("documents/") and "SOP-EV-002" in left_behind and size == 4

    assert main(["--lang", "en", "files", "verify", "--orphans"]) == 1
    text = capsys.readouterr().out
    assert f"ALTERED NTA import {lot} ExperimentSummary.csv (id {nta.pk}): {nta.file.name}" in text
    assert f"recorded {nta.sha256}, now {altered_sha}" in text
    assert f"MISSING document SOP-EV-001 v1 (id {doc.pk}): {doc.file.name}" in text
    assert "ORPHAN landscape/stray.bin (5 bytes): no record refers to it" in text
    assert text.rstrip().endswith("10 checked: 6 intact, 3 altered, 1 missing, 2 orphan files")
    assert f"{survey.raw_path}" not in text  # intact files are not listed one by one

    assert main(["--lang", "ja", "files", "verify"]) == 1
    text = capsys.readouterr().out
    assert f"欠落 文書 SOP-EV-001 v1 (ID {doc.pk}): {doc.file.name}" in text
    assert "10 件を確認: 正常 6、改変 3、欠落 1" in text


def test_orphans_fail_only_when_asked_for(originals, media, capsys):
    (media / "raw").mkdir(exist_ok=True)
    (media / "raw" / "left-over.csv").write_bytes(b"a,b\n")
    assert _json(capsys) == (0, {"checked": 10, "ok": 10, "altered": [], "missing": [], "orphans": []})
    code, data = _json(capsys, "--orphans")
    assert code == 1 and data["orphans"] == [{"path": "raw/left-over.csv", "bytes": 4}]
    # --model narrows the check but the orphan search still knows every record's files
    code, data = _json(capsys, "--orphans", "--model", "dossier.document")
    assert (
        code == 1 and data["checked"] == 1 and [o["path"] for o in data["orphans"]] == ["raw/left-over.csv"]
    )


def test_a_blank_hash_or_a_path_outside_media_root_is_a_finding(originals):
    from evqms.lots.models import QCResult

    QCResult.objects.filter(pk=originals["qc"].pk).update(raw_file_sha256="")
    QCResult.objects.filter(pk=originals["nta"].qc_results.first().pk).update(raw_file="../../etc/passwd")
    result = verify_files(models=["lots.QCResult"])
    assert {f.pk: f.status for f in result.files if f.status != "ok"} == {
        originals["qc"].pk: "altered",
        originals["nta"].qc_results.first().pk: "missing",
    }


def test_bad_input_exits_2(media, capsys):
    assert main(["--lang", "en", "files", "verify", "--model", "lots.Lot"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evqms: error: --model: no kept originals are recorded on lots.Lot")
    with pytest.raises(SystemExit) as exc:
        main(["files", "verify", "--format", "xml"])
    assert exc.value.code == 2


def test_an_empty_installation_is_ok(media, capsys):
    assert _json(capsys, "--orphans") == (
        0,
        {"checked": 0, "ok": 0, "altered": [], "missing": [], "orphans": []},
    )


class _CountingStorage:
    def __init__(self, path):
        self.path, self.reads = path, []

    def open(self, name, mode):
        storage = self
        fh = open(self.path, mode)  # noqa: SIM115 - closed by the caller's with-block

        class Reader:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                fh.close()

            def read(self, size=-1):
                storage.reads.append(size)
                return fh.read(size)

        return Reader()


def test_big_files_are_read_in_chunks(tmp_path):
    big = tmp_path / "big.bin"
    data = bytes(range(256)) * (3 * files_check.CHUNK // 256) + b"tail"
    big.write_bytes(data)
    storage = _CountingStorage(big)
    assert files_check.file_sha256(storage, "big.bin") == hashlib.sha256(data).hexdigest()
    assert storage.reads == [files_check.CHUNK] * 5  # 3 full, the tail, then end of file


# --- the registry ---------------------------------------------------------------------------


def uncovered_file_fields(originals, unhashed) -> list[tuple[str, str]]:
    from django.apps import apps
    from django.db import models

    covered = {(o.model, o.path) for o in originals} | set(unhashed)
    return sorted(
        (m._meta.label, f.name)
        for m in apps.get_models()
        if m.__module__.startswith("evqms.")
        for f in m._meta.get_fields()
        if isinstance(f, models.FileField) and (m._meta.label, f.name) not in covered
    )


def test_every_file_field_of_an_evqms_model_is_in_the_registry():
    assert uncovered_file_fields(ORIGINALS, UNHASHED) == []
    assert all(reason.strip() for reason in UNHASHED.values())
    # the check can fail: without the QC result line, its raw file is reported
    assert uncovered_file_fields([o for o in ORIGINALS if o.model != "lots.QCResult"], UNHASHED) == [
        ("lots.QCResult", "raw_file")
    ]


def test_every_registry_line_names_real_fields():
    from django.apps import apps

    for o in ORIGINALS:
        model = apps.get_model(o.model)
        model._meta.get_field(o.path)
        model._meta.get_field(o.sha256)
        model.objects.values_list(*o.code_fields(), *o.filter)  # relations resolve
        assert o.label in files_check.labels(), o.label


def test_every_message_has_a_japanese_translation():
    import polib

    ids = set()
    for name in ("files_check.py", "cli.py"):
        for node in ast.walk(ast.parse((SRC / "ops" / name).read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                ids.add(node.args[0].value)
    # ops/cli.py holds the backup commands too: their messages are in backup.po.
    translated = {
        e.msgid
        for po in ("core.po", "backup.po")
        for e in polib.pofile(str(SRC / "locale" / "ja" / po))
        if e.msgstr
    }
    assert len(ids) > 20
    assert sorted(ids - translated) == []
