"""What every dataset of the registry export holds: its columns with their labels in English and
Japanese, type, unit, CDISC SDTM variable (where one applies) and controlled terms. The CSV
headers, the define JSON and the ODM metadata are all written from this one table.

Dataset and column names follow CDISC SDTM where a variable fits (DM, EX, AE, QS, SV domains);
columns evqms keeps that SDTM has no variable for carry `cdisc=None` and are named in the same style.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation

from evqms.clinical.models import CAUSALITY, CTCAE_GRADES, EXPECTEDNESS, OUTCOMES, VISIT_STATUSES
from evqms.guidance import vocabulary

TYPES = ("text", "integer", "float", "date", "datetime")


def both(label) -> dict[str, str]:
    """A translatable label (a model choice) in both languages, whatever the request speaks."""
    with translation.override("en"):
        en = str(label)
    with translation.override("ja"):
        ja = str(label)
    return {"en": en, "ja": ja}


@dataclass(frozen=True)
class Codelist:
    oid: str
    name: str
    data_type: str  # ODM CLDataType: text or integer
    terms: tuple  # ((code, {"en", "ja"}), ...)

    def record(self) -> list[dict]:
        return [{"code": code, "label": label} for code, label in self.terms]


def _choices(oid: str, name: str, choices, data_type: str = "text") -> Codelist:
    return Codelist(oid, name, data_type, tuple((str(code), both(label)) for code, label in choices))


def codelists() -> dict[str, Codelist]:
    """Built on each call: the labels come from the catalogue in both languages."""
    yes_no = (("Y", {"en": "Yes", "ja": "はい"}), ("N", {"en": "No", "ja": "いいえ"}))
    return {
        "SEX": Codelist(
            "CL.SEX",
            "Sex",
            "text",
            (
                ("F", {"en": "Female", "ja": "女性"}),
                ("M", {"en": "Male", "ja": "男性"}),
                (
                    "O",
                    {
                        "en": "Other (as recorded; not a CDISC SEX term)",
                        "ja": "その他（記録どおり。CDISC SEX の用語にはない）",
                    },
                ),
                ("U", {"en": "Unknown (not recorded)", "ja": "不明（記録なし）"}),
            ),
        ),
        "AGEU": Codelist("CL.AGEU", "Age unit", "text", (("YEARS", {"en": "Years", "ja": "歳"}),)),
        "NY": Codelist("CL.NY", "No Yes response", "text", yes_no),
        "ROUTE": Codelist(
            "CL.ROUTE",
            "Route of administration",
            "text",
            tuple(
                (t.code, {"en": t.label["en"], "ja": t.label.get("ja", t.label["en"])})
                for t in vocabulary.terms("route")
            ),
        ),
        "TOXGR": _choices("CL.TOXGR", "CTCAE grade", CTCAE_GRADES, "integer"),
        "REL": _choices("CL.REL", "Causality", CAUSALITY),
        "EXPECT": _choices("CL.EXPECT", "Expectedness", EXPECTEDNESS),
        "OUT": _choices("CL.OUT", "Outcome", OUTCOMES),
        "SVSTAT": _choices("CL.SVSTAT", "Visit status", VISIT_STATUSES),
        "DOSU": Codelist(
            "CL.DOSU", "Dose unit", "text", (("particles", {"en": "Particles", "ja": "粒子数"}),)
        ),
        "DOSPRU": Codelist(
            "CL.DOSPRU",
            "Protein dose unit",
            "text",
            (("ug", {"en": "Micrograms of protein", "ja": "タンパク質 µg"}),),
        ),
    }


@dataclass(frozen=True)
class Column:
    name: str
    en: str
    ja: str
    type: str = "text"
    cdisc: str | None = None  # the SDTM variable, when the column is one
    unit: str = ""
    codelist: str | None = None
    key: bool = False  # identifies the row (with STUDYID and USUBJID)

    @property
    def label(self) -> dict[str, str]:
        return {"en": self.en, "ja": self.ja}


@dataclass(frozen=True)
class Dataset:
    name: str  # the SDTM domain code; also the CSV file name
    en: str
    ja: str
    repeating: bool
    columns: tuple[Column, ...]
    source: str  # which evqms records a row comes from (for the define file and the docs)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def oid(self) -> str:
        return f"IG.{self.name}"

    def item_oid(self, column: Column) -> str:
        return f"IT.{self.name}.{column.name}"


def _common(domain_en: str) -> tuple[Column, ...]:
    return (
        Column("STUDYID", "Product code (study)", "製品コード（試験）", cdisc="STUDYID", key=True),
        Column(
            "DOMAIN", f"Domain abbreviation ({domain_en})", f"ドメイン略号（{domain_en}）", cdisc="DOMAIN"
        ),
        Column("USUBJID", "Patient pseudonym code", "患者の仮名コード", cdisc="USUBJID", key=True),
    )


def _criterion(name: str, en: str, ja: str) -> Column:
    return Column(name, en, ja, cdisc=name, codelist="NY")


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "DM",
        "Demographics",
        "人口統計",
        False,
        (
            *_common("DM"),
            Column(
                "RFSTDTC",
                "Date of the first administration of the product in the period",
                "期間中の本製品の初回投与日",
                "date",
                cdisc="RFSTDTC",
            ),
            Column(
                "AGE",
                "Age in years reached in the year of the first administration (year of that administration minus the birth year)",
                "初回投与の年に達する年齢（その投与の年 − 生年）",
                "integer",
                cdisc="AGE",
                unit="years",
            ),
            Column("AGEU", "Age unit", "年齢の単位", cdisc="AGEU", codelist="AGEU"),
            Column("SEX", "Sex", "性別", cdisc="SEX", codelist="SEX"),
        ),
        "clinical.Patient (pseudonymised) and its first clinical.Administration of the product",
    ),
    Dataset(
        "EX",
        "Exposure",
        "曝露（投与）",
        True,
        (
            *_common("EX"),
            Column(
                "EXSEQ",
                "Sequence number of the administration for the patient",
                "患者ごとの投与の連番",
                "integer",
                cdisc="EXSEQ",
                key=True,
            ),
            Column("EXREFID", "Administration number", "投与番号", cdisc="EXREFID"),
            Column("EXTRT", "Product name", "製品名", cdisc="EXTRT"),
            Column(
                "EXLOT",
                "Lot number(s) of the aliquots given (separated by ;)",
                "投与した分注品のロット番号（; 区切り）",
                cdisc="EXLOT",
            ),
            Column(
                "EXDOSE", "Dose in particles", "投与量（粒子数）", "float", cdisc="EXDOSE", unit="particles"
            ),
            Column("EXDOSU", "Dose unit", "投与量の単位", cdisc="EXDOSU", codelist="DOSU"),
            Column("EXDOSPR", "Dose in protein", "投与量（タンパク質）", "float", unit="ug"),
            Column("EXDOSPRU", "Protein dose unit", "タンパク質投与量の単位", codelist="DOSPRU"),
            Column("EXROUTE", "Route of administration", "投与経路", cdisc="EXROUTE", codelist="ROUTE"),
            Column(
                "EXSTDTC",
                "Date and time of administration (local time with offset)",
                "投与日時（現地時刻、時差付き）",
                "datetime",
                cdisc="EXSTDTC",
            ),
        ),
        "clinical.Administration with the lots of its aliquots (inventory.Aliquot.lot)",
    ),
    Dataset(
        "AE",
        "Adverse events",
        "有害事象",
        True,
        (
            *_common("AE"),
            Column(
                "AESEQ",
                "Sequence number of the event for the patient",
                "患者ごとの事象の連番",
                "integer",
                cdisc="AESEQ",
                key=True,
            ),
            Column("AEREFID", "Adverse event number", "有害事象番号", cdisc="AEREFID"),
            Column("EXREFID", "Administration the event followed", "事象が続いた投与の番号"),
            Column("AETERM", "CTCAE term", "CTCAE 用語", cdisc="AETERM"),
            Column("AETOXGR", "CTCAE grade", "CTCAE グレード", "integer", cdisc="AETOXGR", codelist="TOXGR"),
            Column(
                "AESER",
                "Serious (meets any seriousness criterion)",
                "重篤（いずれかの重篤性基準に該当）",
                cdisc="AESER",
                codelist="NY",
            ),
            _criterion("AESDTH", "Results in death", "死亡に至る"),
            _criterion("AESLIFE", "Life-threatening", "生命を脅かす"),
            _criterion("AESHOSP", "Requires or prolongs hospitalisation", "入院または入院期間の延長が必要"),
            _criterion(
                "AESDISAB",
                "Persistent or significant disability or incapacity",
                "永続的または顕著な障害・機能不全",
            ),
            _criterion("AESCONG", "Congenital anomaly or birth defect", "先天異常"),
            _criterion("AESMIE", "Other medically important condition", "その他の医学的に重要な状態"),
            Column("AEREL", "Causality", "因果関係", cdisc="AEREL", codelist="REL"),
            Column("AEEXPECT", "Expectedness", "予測性", codelist="EXPECT"),
            Column("AEOUT", "Outcome", "転帰", cdisc="AEOUT", codelist="OUT"),
            Column(
                "AESTDTC",
                "Onset (local time with offset)",
                "発現日時（現地時刻、時差付き）",
                "datetime",
                cdisc="AESTDTC",
            ),
            Column(
                "AEENDTC",
                "Date the event ended (recovered, with sequelae or fatal)",
                "事象の終了日（回復、後遺症あり、死亡）",
                "date",
                cdisc="AEENDTC",
            ),
        ),
        "clinical.AdverseEvent of the administrations exported (the latest outcome, as follow-ups update it)",
    ),
    Dataset(
        "QS",
        "Questionnaires (outcome instruments)",
        "質問票（アウトカム評価尺度）",
        True,
        (
            *_common("QS"),
            Column(
                "QSSEQ",
                "Sequence number of the result for the patient",
                "患者ごとの結果の連番",
                "integer",
                cdisc="QSSEQ",
                key=True,
            ),
            Column("EXREFID", "Administration the evaluation belongs to", "評価が属する投与の番号"),
            Column("QSCAT", "Instrument code", "評価尺度のコード", cdisc="QSCAT"),
            Column("QSCATVER", "Instrument version", "評価尺度の版", "integer"),
            Column(
                "QSTESTCD",
                "Item code (SCORE: the instrument's score)",
                "項目コード（SCORE：尺度のスコア）",
                cdisc="QSTESTCD",
            ),
            Column("QSTEST", "Item (English text)", "項目（英語）", cdisc="QSTEST"),
            Column("QSORRES", "Result as recorded", "記録された結果", cdisc="QSORRES"),
            Column("QSSTRESN", "Result as a number", "数値の結果", "float", cdisc="QSSTRESN"),
            Column("QSORRESU", "Unit of the result", "結果の単位", cdisc="QSORRESU"),
            Column(
                "VISITNUM",
                "Visit number (0 baseline, else months after the administration)",
                "来院番号（0 はベースライン、他は投与後の月数）",
                "integer",
                cdisc="VISITNUM",
            ),
            Column("VISIT", "Visit", "来院", cdisc="VISIT"),
            Column(
                "QSDTC",
                "Date and time of the evaluation (local time with offset)",
                "評価日時（現地時刻、時差付き）",
                "datetime",
                cdisc="QSDTC",
            ),
        ),
        "clinical.Evaluation (baseline and follow-up) of the product's instruments, one row per item and one for the score",
    ),
    Dataset(
        "SV",
        "Subject visits",
        "来院",
        True,
        (
            *_common("SV"),
            Column(
                "SVSEQ",
                "Sequence number of the visit for the patient",
                "患者ごとの来院の連番",
                "integer",
                key=True,
            ),
            Column("EXREFID", "Administration the visit follows", "来院が続く投与の番号"),
            Column("QSCAT", "Instrument the visit evaluates", "来院で評価する尺度"),
            Column(
                "VISITNUM", "Months after the administration", "投与後の月数", "integer", cdisc="VISITNUM"
            ),
            Column("VISIT", "Visit", "来院", cdisc="VISIT"),
            Column("SVSTATUS", "Status of the visit", "来院の状況", codelist="SVSTAT"),
            Column(
                "SVOCCUR",
                "Did the visit happen (blank while scheduled)",
                "来院があったか（予定中は空欄）",
                cdisc="SVOCCUR",
                codelist="NY",
            ),
            Column("SVREASOC", "Reason the visit was missed", "来院がなかった理由", cdisc="SVREASOC"),
            Column("SVDUEDTC", "Date the visit is due", "来院予定日", "date"),
            Column("SVWINSTD", "Window opens", "許容期間の開始", "date"),
            Column("SVWINEND", "Window closes", "許容期間の終了", "date"),
            Column(
                "SVSTDTC", "Date of the visit (its evaluation)", "来院日（評価日）", "date", cdisc="SVSTDTC"
            ),
        ),
        "clinical.FollowUpVisit planned from each baseline of the product's instruments",
    ),
)

BY_NAME = {d.name: d for d in DATASETS}
