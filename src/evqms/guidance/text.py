"""Bilingual texts for findings: every reason and next step is kept in English and Japanese.

A finding is read in either language (the report picks one, the JSON carries both), so a check
builds `bi("English {x}", x=...)` once; the Japanese comes from the project catalogue and, when
the catalogue has not been compiled yet, from this package's own `locale/ja/guidance.po`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from evqms.i18n import gettext, use_language

PO_FILE = Path(__file__).resolve().parents[1] / "locale" / "ja" / "guidance.po"


@lru_cache(maxsize=1)
def _own_catalogue() -> dict[str, str]:
    import polib

    if not PO_FILE.exists():
        return {}
    return {e.msgid: e.msgstr for e in polib.pofile(str(PO_FILE)) if e.msgstr and not e.obsolete}


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

    def pick(lang: str) -> dict[str, object]:
        return {k: (v.get(lang, v.get("en")) if isinstance(v, dict) else v) for k, v in params.items()}

    return {"en": msgid.format(**pick("en")), "ja": japanese(msgid).format(**pick("ja"))}


def label(en: str, ja: str) -> dict[str, str]:
    return {"en": en, "ja": ja}


# Names of QC categories as findings show them.
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "size_distribution": label("size distribution", "粒子径分布"),
    "ev_marker": label("EV markers", "EVマーカー"),
    "particle_concentration": label("particle concentration", "粒子濃度"),
    "protein": label("protein content", "タンパク質含量"),
    "lipid": label("lipid content", "脂質含量"),
    "sterility": label("sterility", "無菌試験"),
    "endotoxin": label("endotoxin", "エンドトキシン"),
    "mycoplasma": label("mycoplasma", "マイコプラズマ否定試験"),
    "adventitious_virus": label("adventitious virus", "外来性ウイルス試験"),
    "appearance": label("appearance", "性状"),
    "identity": label("identity", "確認試験"),
    "purity": label("purity", "純度試験"),
    "potency": label("potency", "力価"),
    "residual": label("residuals", "残留物"),
    "residual_dna": label("residual host-cell DNA", "残留宿主細胞DNA"),
    "mirna": label("miRNA content", "miRNA含量"),
}


def category_label(category: str) -> dict[str, str]:
    return CATEGORY_LABELS.get(category, label(category.replace("_", " "), category.replace("_", " ")))
