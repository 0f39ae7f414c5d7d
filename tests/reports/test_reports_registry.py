"""The registry export: a small hand-built product whose rows are written out here by hand (ages,
dates and sequence numbers worked out in the comments, never read from the code under test); the
ODM file valid against the CDISC ODM 1.3.2 schema in tests/fixtures/odm; nothing that identifies a
patient anywhere in the zip; a bad period refused naming the field in both languages; an empty
product giving valid empty files; the audit event of each export.

Layout (Asia/Tokyo):
    product reg-hand "Registry EV product", lot REG-A (released), route intra-articular
    reg-P01  born 1970, female, chart CHART-7731-SATO
             ADM 1: 2026-06-14 10:00, 2 x 10^9 particles, 50 µg protein
                    AE: 2026-06-14 16:00, "Arthralgia" grade 3, hospitalisation, possible, expected,
                        recovered on 2026-06-20
                    NRS pain baseline 8 (09:00), month 1 (due 2026-07-14) done 2026-07-14 10:00: 5
             ADM 2: 2026-07-01 10:00, no dose recorded
    reg-P02  born 1985, male, chart CHART-8812-ITO
             ADM 3: 2026-08-20 09:30, 1.5 x 10^9 particles
                    NRS pain baseline 7 (08:30), month 1 (due 2026-09-20) missed: "moved away"

Ages: evqms keeps the birth year only, so AGE is the age reached in the year of the first
administration: 2026 - 1970 = 56 and 2026 - 1985 = 41. (A person born 1970-06-15 is 55 on
2026-06-14 and 56 the next day; without the birth date the export cannot tell the two apart, and
says so in the column's label.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation

from evqms.audit.models import AuditEvent
from evqms.errors import InputError, PermissionDenied
from evqms.reports import registry
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "odm" / "ODM1-3-2.xsd"
NOW = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 15, 30))
CHARTS = {"reg-P01": "CHART-7731-SATO", "reg-P02": "CHART-8812-ITO"}


def _at(y, m, d, hh, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def hand_registry(code: str = "reg-hand"):
    """The product of the module docstring, built through the services; returns a dict of what the
    tests look up (product, physician, administrations, adverse event, patients)."""
    from evqms.clinical import services as clinical
    from evqms.clinical.models import FollowUpVisit
    from evqms.inventory import services as inventory

    physician = f.user(f"{code}-doc-tanaka", "physician")
    operator = f.user(f"{code}-op", "operator")
    product = f.product(code, name="Registry EV product")
    lot = f.lot("REG-A", status="released", prod=product)
    aliquots = inventory.create_aliquots(actor=operator, lot=lot, count=3, volume_ml="1.0")
    patients = {}
    for patient, (year, sex) in {"reg-P01": (1970, "female"), "reg-P02": (1985, "male")}.items():
        patients[patient] = clinical.register_patient(
            actor=physician,
            code=patient,
            clinic_identifier=CHARTS[patient],
            birth_year=year,
            sex=sex,
            consented_on=dt.date(2026, 1, 5),
        )
    adm1 = clinical.record_administration(
        actor=physician, patient="reg-P01", aliquots=[aliquots[0].container_id],
        administered_at=_at(2026, 6, 14, 10), route="intra_articular",
        dose=Decimal("2000000000"), protein_dose=Decimal("50"),
    )  # fmt: skip
    adm2 = clinical.record_administration(
        actor=physician, patient="reg-P01", aliquots=[aliquots[1].container_id],
        administered_at=_at(2026, 7, 1, 10), route="intra_articular",
    )  # fmt: skip
    adm3 = clinical.record_administration(
        actor=physician, patient="reg-P02", aliquots=[aliquots[2].container_id],
        administered_at=_at(2026, 8, 20, 9, 30), route="intra_articular", dose=Decimal("1500000000"),
    )  # fmt: skip
    ae = clinical.record_adverse_event(
        actor=physician, patient="reg-P01", administration=adm1, onset=_at(2026, 6, 14, 16),
        description="Mrs Sato of Kyoto felt pain in the treated knee", ctcae_grade=3, causality="possible",
        ctcae_term="Arthralgia", seriousness_criteria=["hospitalisation"], expectedness="expected",
        learned_on=dt.date(2026, 6, 15), outcome="recovered", outcome_on=dt.date(2026, 6, 20),
    )  # fmt: skip
    use = clinical.enable_instrument(
        actor=physician, product=product, instrument="nrs-pain", follow_up_months=[1]
    )
    base1 = clinical.record_baseline(
        actor=physician, administration=adm1, use=use, evaluated_at=_at(2026, 6, 14, 9), values={"pain": 8}
    )
    clinical.record_follow_up(
        actor=physician,
        visit=FollowUpVisit.objects.get(baseline=base1, month=1),
        evaluated_at=_at(2026, 7, 14, 10),
        values={"pain": 5},
    )
    base3 = clinical.record_baseline(
        actor=physician,
        administration=adm3,
        use=use,
        evaluated_at=_at(2026, 8, 20, 8, 30),
        values={"pain": 7},
    )
    clinical.record_missed_visit(
        actor=physician, visit=FollowUpVisit.objects.get(baseline=base3, month=1), reason="moved away"
    )
    return {
        "product": product,
        "physician": physician,
        "adms": (adm1, adm2, adm3),
        "ae": ae,
        "patients": patients,
    }


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def export(world, **kw):
    kw.setdefault("now", NOW)
    kw.setdefault("lang", "en")
    return registry.export_registry(actor=world["physician"], product=world["product"], **kw)


@pytest.fixture
def hand():
    return hand_registry()


def test_every_row_as_worked_out_by_hand(hand):
    files = unzip(export(hand).data)
    assert sorted(files) == sorted(
        ["README.txt", "define.json", "DM.csv", "EX.csv", "AE.csv", "QS.csv", "SV.csv", "odm.xml"]
    )
    adm1, adm2, adm3 = (a.number for a in hand["adms"])
    assert csv_rows(files["DM.csv"]) == [
        {"STUDYID": "reg-hand", "DOMAIN": "DM", "USUBJID": "reg-P01", "RFSTDTC": "2026-06-14",
         "AGE": "56", "AGEU": "YEARS", "SEX": "F"},
        {"STUDYID": "reg-hand", "DOMAIN": "DM", "USUBJID": "reg-P02", "RFSTDTC": "2026-08-20",
         "AGE": "41", "AGEU": "YEARS", "SEX": "M"},
    ]  # fmt: skip
    ex = csv_rows(files["EX.csv"])
    assert [(r["USUBJID"], r["EXSEQ"], r["EXREFID"], r["EXLOT"]) for r in ex] == [
        ("reg-P01", "1", adm1, "REG-A"),
        ("reg-P01", "2", adm2, "REG-A"),
        ("reg-P02", "1", adm3, "REG-A"),
    ]
    assert {k: ex[0][k] for k in ("EXTRT", "EXDOSE", "EXDOSU", "EXDOSPR", "EXDOSPRU", "EXROUTE", "EXSTDTC")} == {
        "EXTRT": "Registry EV product", "EXDOSE": "2000000000", "EXDOSU": "particles", "EXDOSPR": "50",
        "EXDOSPRU": "ug", "EXROUTE": "intra_articular", "EXSTDTC": "2026-06-14T10:00:00+09:00",
    }  # fmt: skip
    # no dose recorded: empty cells, not zeros
    assert (ex[1]["EXDOSE"], ex[1]["EXDOSU"], ex[1]["EXDOSPR"]) == ("", "", "")
    assert (ex[2]["EXDOSE"], ex[2]["EXSTDTC"]) == ("1500000000", "2026-08-20T09:30:00+09:00")
    assert csv_rows(files["AE.csv"]) == [
        {"STUDYID": "reg-hand", "DOMAIN": "AE", "USUBJID": "reg-P01", "AESEQ": "1", "AEREFID": hand["ae"].number,
         "EXREFID": adm1, "AETERM": "Arthralgia", "AETOXGR": "3", "AESER": "Y", "AESDTH": "N", "AESLIFE": "N",
         "AESHOSP": "Y", "AESDISAB": "N", "AESCONG": "N", "AESMIE": "N", "AEREL": "possible",
         "AEEXPECT": "expected", "AEOUT": "recovered", "AESTDTC": "2026-06-14T16:00:00+09:00",
         "AEENDTC": "2026-06-20"},
    ]  # fmt: skip
    qs = csv_rows(files["QS.csv"])
    # per evaluation: the item, then the score (single-item NRS: the score is the item's value)
    assert [(r["USUBJID"], r["QSSEQ"], r["QSTESTCD"], r["QSORRES"], r["VISITNUM"], r["VISIT"], r["QSDTC"]) for r in qs] == [
        ("reg-P01", "1", "pain", "8", "0", "BASELINE", "2026-06-14T09:00:00+09:00"),
        ("reg-P01", "2", "SCORE", "8", "0", "BASELINE", "2026-06-14T09:00:00+09:00"),
        ("reg-P01", "3", "pain", "5", "1", "MONTH 1", "2026-07-14T10:00:00+09:00"),
        ("reg-P01", "4", "SCORE", "5", "1", "MONTH 1", "2026-07-14T10:00:00+09:00"),
        ("reg-P02", "1", "pain", "7", "0", "BASELINE", "2026-08-20T08:30:00+09:00"),
        ("reg-P02", "2", "SCORE", "7", "0", "BASELINE", "2026-08-20T08:30:00+09:00"),
    ]  # fmt: skip
    assert {(r["QSCAT"], r["QSCATVER"], r["EXREFID"]) for r in qs[:4]} == {("nrs-pain", "1", adm1)}
    assert qs[0]["QSSTRESN"] == "8" and qs[0]["QSTEST"].startswith("Average pain")
    # month 1 is due one calendar month after the administration; the window is ± 14 days
    assert csv_rows(files["SV.csv"]) == [
        {"STUDYID": "reg-hand", "DOMAIN": "SV", "USUBJID": "reg-P01", "SVSEQ": "1", "EXREFID": adm1,
         "QSCAT": "nrs-pain", "VISITNUM": "1", "VISIT": "MONTH 1", "SVSTATUS": "done", "SVOCCUR": "Y",
         "SVREASOC": "", "SVDUEDTC": "2026-07-14", "SVWINSTD": "2026-06-30", "SVWINEND": "2026-07-28",
         "SVSTDTC": "2026-07-14"},
        {"STUDYID": "reg-hand", "DOMAIN": "SV", "USUBJID": "reg-P02", "SVSEQ": "1", "EXREFID": adm3,
         "QSCAT": "nrs-pain", "VISITNUM": "1", "VISIT": "MONTH 1", "SVSTATUS": "missed", "SVOCCUR": "N",
         "SVREASOC": "moved away", "SVDUEDTC": "2026-09-20", "SVWINSTD": "2026-09-06", "SVWINEND": "2026-10-04",
         "SVSTDTC": ""},
    ]  # fmt: skip


def test_the_odm_file_is_valid_cdisc_odm_1_3_2(hand):
    import xmlschema

    schema = xmlschema.XMLSchema10(str(SCHEMA), allow="local")
    odm = unzip(export(hand).data)["odm.xml"]
    schema.validate(odm.decode("utf-8"))
    root = schema.to_dict(odm.decode("utf-8"))
    subjects = [s["@SubjectKey"] for s in root["ClinicalData"][0]["SubjectData"]]
    assert subjects == ["reg-P01", "reg-P02"]
    assert root["@ODMVersion"] == "1.3.2" and root["@CreationDateTime"] == "2026-12-01T09:15:30+09:00"
    # the schema is strict enough to catch a broken document (not a validator that accepts anything)
    assert not schema.is_valid(odm.decode("utf-8").replace('FileType="Snapshot"', 'FileType="Full"'))


def test_one_item_group_per_row_with_the_csv_values(hand):
    import xml.etree.ElementTree as ET

    files = unzip(export(hand).data)
    ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
    root = ET.fromstring(files["odm.xml"])
    p01 = root.find(".//odm:SubjectData[@SubjectKey='reg-P01']", ns)
    groups = [g.get("ItemGroupOID") for g in p01.iter("{http://www.cdisc.org/ns/odm/v1.3}ItemGroupData")]
    # DM 1, EX 2, AE 1, QS 4, SV 1
    assert groups == ["IG.DM"] + ["IG.EX"] * 2 + ["IG.AE"] + ["IG.QS"] * 4 + ["IG.SV"]
    age = p01.find(".//odm:ItemData[@ItemOID='IT.DM.AGE']", ns)
    assert age.get("Value") == "56"
    # an empty cell is no ItemData (ODM's missing value)
    ex2 = p01.findall(".//odm:ItemGroupData[@ItemGroupOID='IG.EX']", ns)[1]
    assert ex2.find("odm:ItemData[@ItemOID='IT.EX.EXDOSE']", ns) is None


def test_define_json_describes_every_column(hand):
    files = unzip(export(hand).data)
    define = json.loads(files["define.json"])
    assert define["period"] == {"from": None, "to": None}
    by_name = {d["name"]: d for d in define["datasets"]}
    assert {n: d["rows"] for n, d in by_name.items()} == {"DM": 2, "EX": 3, "AE": 1, "QS": 6, "SV": 2}
    for data in by_name.values():
        header = files[data["file"]].decode("utf-8").splitlines()[0].split(",")
        assert [c["name"] for c in data["columns"]] == header
        for column in data["columns"]:
            assert (
                column["label"]["en"] and column["label"]["ja"] and column["type"] in registry.columns.TYPES
            )
    age = next(c for c in by_name["DM"]["columns"] if c["name"] == "AGE")
    assert (age["cdisc_variable"], age["type"], age["unit"], age["odm_item_oid"]) == (
        "AGE",
        "integer",
        "years",
        "IT.DM.AGE",
    )
    grade = next(c for c in by_name["AE"]["columns"] if c["name"] == "AETOXGR")
    terms = {t["code"]: t["label"] for t in grade["controlled_terms"]["terms"]}
    assert (
        terms["3"] == {"en": "Grade 3 (severe)", "ja": terms["3"]["ja"]}
        and terms["3"]["ja"] != terms["3"]["en"]
    )
    expect = next(c for c in by_name["AE"]["columns"] if c["name"] == "AEEXPECT")
    assert expect["cdisc_variable"] is None  # SDTM has no expectedness variable


def test_readme_names_product_period_time_counts_and_hashes(hand):
    import hashlib

    package = export(hand, date_from="2026-07-01", date_to="2026-12-31", lang="en")
    files = unzip(package.data)
    readme = files["README.txt"].decode("utf-8")
    assert "reg-hand (Registry EV product)" in readme
    assert "2026-07-01 – 2026-12-31" in readme
    assert "2026-12-01 09:15:30 JST" in readme  # extraction time, local with its zone
    assert "DM.csv: 2" in readme and "AE.csv: 0" in readme
    for name, data in files.items():
        if name != "README.txt":
            assert f"{hashlib.sha256(data).hexdigest()}  {name}" in readme
    ja = unzip(export(hand, lang="ja").data)["README.txt"].decode("utf-8")
    assert "製品" in ja and "JST" in ja


def test_the_period_keeps_administrations_inside_it(hand):
    files = unzip(export(hand, date_from="2026-07-01", date_to="2026-12-31").data)
    # P01's first administration in the period is ADM 2 (2026-07-01): it sets RFSTDTC and AGE
    assert [(r["USUBJID"], r["RFSTDTC"], r["AGE"]) for r in csv_rows(files["DM.csv"])] == [
        ("reg-P01", "2026-07-01", "56"),
        ("reg-P02", "2026-08-20", "41"),
    ]
    assert [r["EXREFID"] for r in csv_rows(files["EX.csv"])] == [
        hand["adms"][1].number,
        hand["adms"][2].number,
    ]
    assert csv_rows(files["AE.csv"]) == []  # the event followed ADM 1, outside the period
    # both ends are included: a period of the single day 2026-06-14 holds ADM 1
    one_day = unzip(export(hand, date_from="2026-06-14", date_to="2026-06-14").data)
    assert [r["EXREFID"] for r in csv_rows(one_day["EX.csv"])] == [hand["adms"][0].number]


def test_nothing_that_identifies_a_patient_leaves(hand):
    from evqms.clinical.pseudonym import normalise

    files = unzip(export(hand).data)
    blob = b"\n".join([*files.values(), *(n.encode() for n in files)])
    lowered = blob.lower()
    for patient in hand["patients"].values():
        patient.refresh_from_db()
        stored = [
            patient.identity_hash,
            str(patient.birth_year),
            CHARTS[patient.code],
            normalise(CHARTS[patient.code]),
        ]
        for value in stored:
            assert value.lower().encode() not in lowered, value
    doctor = hand["physician"]
    # the names in the event's narrative and the physician's, and the fields that must never leave
    for value in (
        "mrs sato",
        "kyoto",
        doctor.get_username(),
        "tanaka",
        "felt pain",
        "birth_year",
        "identity_hash",
    ):
        assert value.encode() not in lowered, value


def test_an_empty_product_gives_valid_empty_files():
    import xmlschema

    physician = f.user("reg-empty-doc", "physician")
    product = f.product("reg-empty", name="Nothing given yet")
    package = registry.export_registry(actor=physician, product=product, now=NOW, lang="en")
    files = unzip(package.data)
    for dataset in registry.DATASETS:
        lines = files[dataset.file].decode("utf-8").splitlines()
        assert lines == [",".join(c.name for c in dataset.columns)]
    schema = xmlschema.XMLSchema10(str(SCHEMA), allow="local")
    schema.validate(files["odm.xml"].decode("utf-8"))
    assert package.rows == {"DM": 0, "EX": 0, "AE": 0, "QS": 0, "SV": 0}


@pytest.mark.parametrize(
    ("date_from", "date_to", "field"),
    [
        ("2026-13-01", "", "from"),
        ("2026-01-01", "31/12/2026", "to"),
        ("2026-12-31", "2026-01-01", "from"),
        ("yesterday", None, "from"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(hand, date_from, date_to, field):
    before = AuditEvent.objects.filter(action="registry.export").count()
    with translation.override("en"), pytest.raises(InputError) as en:
        export(hand, date_from=date_from, date_to=date_to)
    assert en.value.where == field
    assert f"({field})" in en.value.message
    with translation.override("ja"), pytest.raises(InputError) as ja:
        export(hand, date_from=date_from, date_to=date_to)
    assert f"（{field}）" in ja.value.message or f"({field})" in ja.value.message
    assert ja.value.message != en.value.message  # translated, not the English text
    assert AuditEvent.objects.filter(action="registry.export").count() == before  # nothing recorded


def test_every_export_is_an_audit_event_naming_who_and_what(hand):
    package = export(hand, date_from="2026-06-01")
    event = AuditEvent.objects.filter(action="registry.export").latest("id")
    assert event.actor_id == hand["physician"].pk and event.object_type == "product"
    assert str(event.object_id) == str(hand["product"].pk)
    after = event.after if isinstance(event.after, dict) else json.loads(event.after)
    assert after["product"] == "reg-hand" and after["period"] == {"from": "2026-06-01", "to": None}
    assert after["sha256"] == package.sha256 and after["rows"]["EX"] == 3
    assert after["files"]["odm.xml"] == package.files["odm.xml"]


def test_only_those_who_read_clinical_records_may_export(hand, make_user):
    operator = make_user("reg-operator", "operator")
    with pytest.raises(PermissionDenied):
        registry.export_registry(actor=operator, product=hand["product"], now=NOW)
    for role in ("physician", "qa_reviewer"):
        user = make_user(f"reg-{role}", role)
        assert registry.export_registry(actor=user, product=hand["product"], now=NOW).rows["DM"] == 2


def test_age_in_whole_years_from_the_birth_year():
    # the year of the administration minus the birth year; unknown when either is missing
    assert registry.age_in_years(1970, dt.date(2026, 6, 14)) == 56
    assert registry.age_in_years(1970, dt.date(2026, 1, 1)) == 56
    assert registry.age_in_years(2025, dt.date(2026, 12, 31)) == 1
    assert registry.age_in_years(None, dt.date(2026, 6, 14)) is None


def test_the_docs_map_every_column():
    # docs/registry-export.md carries a mapping row for every column of every dataset
    docs = (Path(__file__).resolve().parents[2] / "docs" / "registry-export.md").read_text(encoding="utf-8")
    for dataset in registry.DATASETS:
        section = docs.split(f"### {dataset.name} ", 1)[1].split("\n### ", 1)[0]
        for column in dataset.columns:
            assert f"| `{column.name}` |" in section and f"`{dataset.item_oid(column)}`" in section, (
                column.name
            )
