"""Controlled vocabularies: routes, indications, EV markers, material kinds and QC test categories.

One home for each list: `vocab/<name>.yaml`, with a code, English and Japanese labels and the
free-text aliases earlier records used. The database choices, the dossier file loader, the API and
the engine's checks all read these codes, so "intra-articular" in a study and `intra_articular`
on a product are one route, and an assay for "Knee osteoarthritis" links to a product whose
indication is `knee_osteoarthritis` with the detail "Kellgren-Lawrence II-III".

Pure: imports nothing from Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

VOCAB_DIR = Path(__file__).resolve().parent / "vocab"
FILES = {
    "route": "routes.yaml",
    "indication": "indications.yaml",
    "marker": "markers.yaml",
    "material_kind": "material_kinds.yaml",
    "test_category": "test_categories.yaml",
}


@dataclass(frozen=True)
class Term:
    code: str
    label: dict  # {"en": ..., "ja": ...}
    aliases: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)  # icd10, category, ...


def _key(text: str) -> str:
    """Spelling-insensitive key: case, hyphens, underscores, dots and spaces do not matter."""
    return re.sub(r"[\s_\-.·/]+", "", str(text).strip().lower())


@cache
def terms(vocabulary: str) -> tuple[Term, ...]:
    data = yaml.safe_load((VOCAB_DIR / FILES[vocabulary]).read_text(encoding="utf-8"))
    out = []
    for raw in data["terms"]:
        extra = {k: v for k, v in raw.items() if k not in ("code", "en", "ja", "aliases")}
        out.append(
            Term(
                code=str(raw["code"]),
                label={"en": str(raw["en"]), "ja": str(raw["ja"])},
                aliases=tuple(str(a) for a in raw.get("aliases") or ()),
                extra=extra,
            )
        )
    return tuple(out)


def codes(vocabulary: str) -> list[str]:
    return [t.code for t in terms(vocabulary)]


@cache
def _index(vocabulary: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for term in terms(vocabulary):
        for text in (term.code, term.label["en"], term.label["ja"], *term.aliases):
            index.setdefault(_key(text), term.code)
    return index


def term(vocabulary: str, code: str) -> Term | None:
    return next((t for t in terms(vocabulary) if t.code == code), None)


def match(vocabulary: str, text: str) -> str | None:
    """The code a text names (its code, a label or a known alias, in any spelling), else None."""
    if text is None or not str(text).strip():
        return None
    return _index(vocabulary).get(_key(text))


def match_indication(text: str) -> tuple[str, str] | None:
    """'Knee osteoarthritis (Kellgren-Lawrence II-III)' -> ('knee_osteoarthritis', 'Kellgren-Lawrence II-III').

    A known indication, optionally followed by its detail in brackets or after a colon or dash;
    None when the text names no known indication (the record is reported, not guessed).
    """
    text = str(text or "").strip()
    code = match("indication", text)
    if code:
        return code, ""
    found = re.match(r"^(.+?)\s*(?:[(（](.+)[)）]|[:：]\s*(.+)|\s[-–]\s(.+))\s*$", text)
    if found:
        code = match("indication", found.group(1))
        if code:
            detail = next(g for g in found.groups()[1:] if g)
            return code, detail.strip()
    return None


def label(vocabulary: str, code: str, lang: str = "en") -> str:
    """The label of a code in the reader's language; an unknown code shows as itself."""
    found = term(vocabulary, code)
    return found.label.get(lang, found.label["en"]) if found else str(code)


def labels(vocabulary: str, code: str) -> dict[str, str]:
    found = term(vocabulary, code)
    return dict(found.label) if found else {"en": str(code), "ja": str(code)}


def marker_category(code: str) -> str:
    found = term("marker", code)
    return str(found.extra.get("category", "unknown")) if found else "unknown"


# Spec attribute code/name -> QC category, for records made before attributes carried a category
# (the data migration and free-text imports use it once; checks read the stored code).
_CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    (r"endotoxin", "endotoxin"),
    (r"steril", "sterility"),
    (r"mycoplasma", "mycoplasma"),
    (r"virus|adventitious", "adventitious_virus"),
    (r"potency", "potency"),
    (r"\bratio\b|purity", "purity"),
    (r"particle.?(conc|count|number)|concentration", "particle_concentration"),
    (r"size|diameter|\bmode\b|modal|d50|d90|d10", "size_distribution"),
    (
        r"\bcd\d+|tsg101|alix|syntenin|flotillin|calnexin|gm130|tetraspanin|marker|hsp70|apoa1|albumin",
        "ev_marker",
    ),
    (r"residual.?(host|dna)|\bdna\b", "residual_dna"),
    (r"mirna|micro.?rna", "mirna"),
    (r"lipid", "lipid"),
    (r"protein", "protein"),
    (r"residual", "residual"),
    (r"appearance", "appearance"),
    (r"identity", "identity"),
)


def infer_category(code: str, name: str) -> str:
    text = f"{code} {name}".replace("_", " ").replace("-", " ").lower()
    for pattern, category in _CATEGORY_RULES:
        if re.search(pattern, text):
            return category
    return "other"


def infer_marker(code: str, name: str) -> str:
    """The marker an attribute tests, from its name or code ('CD63' -> 'cd63'), else ''."""
    for text in (name, code, re.sub(r"[_\-]?(positive|negative|pos|neg)$", "", str(code))):
        found = match("marker", text)
        if found:
            return found
    return ""
