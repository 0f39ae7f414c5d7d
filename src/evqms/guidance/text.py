"""Bilingual texts for findings: every reason and next step is kept in English and Japanese.

A finding is read in either language (the report picks one, the JSON carries both), so a check
builds `bi("English {x}", x=...)` once; the Japanese comes from the project catalogue and, when
the catalogue has not been compiled yet, from this package's own `locale/ja/guidance.po`.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from evqms.guidance import vocabulary
from evqms.i18n import gettext, use_language

PO_FILE = Path(__file__).resolve().parents[1] / "locale" / "ja" / "guidance.po"


@lru_cache(maxsize=1)
def _own_catalogue() -> dict[str, str]:
    import polib

    if not PO_FILE.exists():
        return {}
    return {e.msgid: e.msgstr for e in polib.pofile(str(PO_FILE)) if e.msgstr and not e.obsolete}


@cache  # both catalogues are read once per process; a report asks for thousands of reasons
def japanese(msgid: str) -> str:
    with use_language("ja"):
        translated = gettext(msgid)
    if translated == msgid:
        translated = _own_catalogue().get(msgid, msgid)
    return translated


def bi(msgid: str, **params: object) -> dict[str, str]:
    """{'en': ..., 'ja': ...} for a wrapped message; parameters are filled in both languages.

    A parameter may itself be bilingual ({'en': ..., 'ja': ...}): each language takes its own.
    """

    if not any(isinstance(v, dict) for v in params.values()):  # the usual case: ids, counts, codes
        return {"en": msgid.format(**params), "ja": japanese(msgid).format(**params)}

    def pick(lang: str) -> dict[str, object]:
        return {k: (v.get(lang, v.get("en")) if isinstance(v, dict) else v) for k, v in params.items()}

    return {"en": msgid.format(**pick("en")), "ja": japanese(msgid).format(**pick("ja"))}


def label(en: str, ja: str) -> dict[str, str]:
    return {"en": en, "ja": ja}


# Names of QC categories as findings show them (the test-category vocabulary).
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    t.code: dict(t.label) for t in vocabulary.terms("test_category") if t.code != "other"
}


def category_label(category: str) -> dict[str, str]:
    return CATEGORY_LABELS.get(category, label(category.replace("_", " "), category.replace("_", " ")))


# Kinds of evidence reference ("lot UCEV-24-001", "material lot FBS-23-11") as the reports and the
# compliance page show them; the reference itself stays English in stored findings and JSON.
EVIDENCE_KINDS: dict[str, dict[str, str]] = {
    "administration": label("administration", "投与"),
    "CAPA": label("CAPA", "CAPA"),
    "calibration": label("calibration", "校正"),
    "change request": label("change request", "変更申請"),
    "deviation": label("deviation", "逸脱"),
    "EM sample": label("EM sample", "環境モニタリング検体"),
    "instrument": label("instrument", "機器"),
    "media fill": label("media fill", "培地充填試験"),
    "adverse event": label("adverse event", "有害事象"),
    "attestation": label("attestation", "確認書"),
    "cell bank": label("cell bank", "セルバンク"),
    "comparability record": label("comparability record", "同等性/同質性の評価記録"),
    "document": label("document", "文書"),
    "donor": label("donor", "ドナー"),
    "evidence report": label("evidence report", "エビデンス報告"),
    "lot": label("lot", "ロット"),
    "material lot": label("material lot", "原材料ロット"),
    "potency assay": label("potency assay", "力価試験"),
    "process": label("process", "製造工程"),
    "product": label("product", "製品"),
    "retention sample": label("retention sample", "参考品"),
    "risk": label("risk", "リスク"),
    "risk register": label("risk register", "リスク登録簿"),
    "safety report": label("safety report", "安全性報告"),
    "specification attribute": label("specification attribute", "規格項目"),
    "study": label("study", "試験"),
}


def evidence_label(reference: str, lang: str) -> str:
    """'material lot FBS-23-11' -> '原材料ロット FBS-23-11' in Japanese (the longest kind wins)."""
    for kind in sorted(EVIDENCE_KINDS, key=len, reverse=True):
        if reference.startswith(kind + " "):
            name = EVIDENCE_KINDS[kind].get(lang, kind)
            return f"{name} {reference[len(kind) + 1 :]}"
    return reference
