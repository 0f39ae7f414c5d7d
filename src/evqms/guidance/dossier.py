"""Dossier file (YAML or JSON) -> evidence snapshot, validated against the JSON Schema.

Errors name the file and the JSON path of the bad field (`$.lots[2].release.released_on`), or
the line for a syntax error. Doses are parsed into particles or micrograms of protein, total or
per kg; an unknown dose unit is an error, never a guess.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import re
import types
import typing
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path

from evqms.cliutil import read_bytes
from evqms.core.limits import decode_text, load_json
from evqms.errors import InputError, location
from evqms.guidance import evidence as ev
from evqms.guidance import vocabulary
from evqms.guidance.consistency import check_consistency
from evqms.guidance.yamlio import load_yaml
from evqms.i18n import _

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "dossier.schema.json"

# Dose units -> (basis, factor to the base unit: particles or micrograms of protein).
_AMOUNT_UNITS = {
    "particles": ("particles", Decimal(1)),
    "particle": ("particles", Decimal(1)),
    "ng": ("protein_ug", Decimal("0.001")),
    "ug": ("protein_ug", Decimal(1)),
    "µg": ("protein_ug", Decimal(1)),
    "μg": ("protein_ug", Decimal(1)),
    "mg": ("protein_ug", Decimal(1000)),
}
_DOSE_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.+?)\s*$")


def canonical_decimal(value: Decimal) -> Decimal:
    """One spelling per number (2e8, 2.0E+8 and 200000000 are the same fact, so the same hash)."""
    value = value.normalize()
    if value == value.to_integral_value() and abs(value) < 10**18:
        return value.quantize(Decimal(1))
    return value


def parse_dose_unit(unit: str) -> tuple[str, Decimal, bool]:
    """'particles/kg' -> ('particles', 1, True); 'mg protein' -> ('protein_ug', 1000, False)."""
    text = re.sub(r"\s*/\s*", "/", unit.strip().lower())
    per_kg = text.endswith("/kg")
    if per_kg:
        text = text[: -len("/kg")]
    text = text.replace(" protein", "").replace("protein ", "").strip()
    if text not in _AMOUNT_UNITS:
        raise ValueError(unit)
    basis, factor = _AMOUNT_UNITS[text]
    return basis, factor, per_kg


def parse_dose(raw, where: str) -> ev.Dose:
    if isinstance(raw, dict):
        value_text, unit = str(raw["value"]), str(raw["unit"])
    else:
        match = _DOSE_RE.match(str(raw))
        if not match:
            raise InputError(
                _("dose {value!r} is not a number followed by a unit").format(value=raw), where=where
            )
        value_text, unit = match.groups()
    try:
        basis, factor, per_kg = parse_dose_unit(unit)
    except ValueError:
        raise InputError(
            _(
                "dose unit {unit!r} not understood; use particles, ng, ug (µg) or mg protein, optionally per kg "
                "(e.g. '2e9 particles/kg')"
            ).format(unit=unit),
            where=where,
        ) from None
    value = canonical_decimal(Decimal(value_text) * factor)
    if value <= 0:
        raise InputError(_("dose must be positive"), where=where)
    return ev.Dose(value=value, basis=basis, per_kg=per_kg)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _json_path(path) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@lru_cache(maxsize=1)
def _quick_check():
    """The schema compiled to a yes/no (`schemacheck`); None when it uses a keyword that is not compiled."""
    from evqms.guidance import schemacheck

    try:  # from the file itself: valid data is passed without importing jsonschema
        return schemacheck.compile_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    except schemacheck.Unsupported:
        return None


def validate(data, name: str) -> None:
    # Valid data is passed by the compiled check; jsonschema runs only to name what is wrong.
    quick = _quick_check()
    if quick is not None and quick(data):
        return
    errors = sorted(
        _validator().iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    )
    if errors:
        first = errors[0]
        # The deepest error of a oneOf/anyOf says most about what is wrong.
        while first.context:
            first = max(first.context, key=lambda e: len(e.absolute_path))
        raise InputError(
            _("invalid dossier: {reason}").format(reason=first.message),
            where=location(file=name, field=_json_path(first.absolute_path)),
        )


def _convert(value, hint, where: str):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _convert(value, args[0], where)
    if hint is ev.Dose:
        return parse_dose(value, where)
    if hint is Decimal:
        try:
            return canonical_decimal(Decimal(str(value)))
        except InvalidOperation:
            raise InputError(_("not a number: {value!r}").format(value=value), where=where) from None
    if hint is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InputError(_("not a valid date: {value!r}").format(value=value), where=where) from None
    if hint is str:
        return str(value)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _key, item = typing.get_args(hint)
        return {str(k): _convert(v, item, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    return value


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls, vars(ev))


def _build(cls, data: dict, where: str):
    hints = _hints(cls)
    kwargs = {k: _convert(v, hints[k], f"{where}.{k}") for k, v in data.items() if k in hints}
    return cls(**kwargs)


def _code(vocab: str, value, name: str, field: str, *, allow_empty: bool = False) -> str:
    """The vocabulary code a value names (code, label or known alias); unknown text is refused."""
    text = str(value if value is not None else "").strip()
    if not text and allow_empty:
        return ""
    code = vocabulary.match(vocab, text)
    if code is None:
        raise InputError(
            _("{value!r} is not in the {vocabulary} vocabulary; use one of: {codes}").format(
                value=text, vocabulary=vocab, codes=", ".join(vocabulary.codes(vocab))
            ),
            where=location(file=name, field=field),
        )
    return code


def _indications(raw: list, name: str) -> tuple[list[str], list[str]]:
    """Product indications as codes plus their free-text details ('Knee OA (KL II-III)' -> code, detail)."""
    out, details = [], []
    for i, entry in enumerate(raw):
        field = f"$.product.indications[{i}]"
        if isinstance(entry, dict):
            code, detail = _code("indication", entry.get("code"), name, field + ".code"), entry.get("detail")
        else:
            found = vocabulary.match_indication(str(entry))
            if found is None:
                _code("indication", entry, name, field)  # raises, naming the known codes
            code, detail = found
        out.append(code)
        if detail:
            details.append(str(detail))
    return out, details


def normalise_codes(data: dict, name: str) -> dict:
    """Routes, indications, markers, material kinds and test categories as vocabulary codes.

    Known free texts ('intra-articular', 'Knee osteoarthritis (Kellgren-Lawrence II-III)') become
    their codes; an unknown text is refused with its field, never compared as text.
    """
    data = copy.deepcopy(data)
    product = data.get("product") or {}
    if "indications" in product:
        codes, details = _indications(product["indications"], name)
        product["indications"] = codes
        if details and not product.get("indication_detail"):
            product["indication_detail"] = "; ".join(details)
    product["routes"] = [
        _code("route", r, name, f"$.product.routes[{i}]") for i, r in enumerate(product.get("routes") or [])
    ]
    for i, material in enumerate(data.get("materials") or []):
        if "kind" in material:
            material["kind"] = _code("material_kind", material["kind"], name, f"$.materials[{i}].kind")
    for i, spec in enumerate(data.get("specifications") or []):
        for j, attribute in enumerate(spec.get("attributes") or []):
            attribute["category"] = _code(
                "test_category",
                attribute.get("category"),
                name,
                f"$.specifications[{i}].attributes[{j}].category",
            )
    for i, lot in enumerate(data.get("lots") or []):
        for j, result in enumerate(lot.get("qc_results") or []):
            for k, marker in enumerate(result.get("markers") or []):
                code = vocabulary.match("marker", marker.get("marker"))
                if code is None and not marker.get("category"):
                    _code(
                        "marker",
                        marker.get("marker"),
                        name,
                        f"$.lots[{i}].qc_results[{j}].markers[{k}].marker",
                    )
                marker["marker"] = code or str(marker["marker"])
    for i, adm in enumerate(data.get("administrations") or []):
        if "route" in adm:
            adm["route"] = _code(
                "route", adm["route"], name, f"$.administrations[{i}].route", allow_empty=True
            )
    studies = data.get("studies") or {}
    for i, assay in enumerate(studies.get("potency_assays") or []):
        if "indication" in assay:
            found = vocabulary.match_indication(str(assay["indication"]))
            field = f"$.studies.potency_assays[{i}].indication"
            assay["indication"] = found[0] if found else _code("indication", assay["indication"], name, field)
    for i, study in enumerate(studies.get("biodistribution") or []):
        study["route"] = _code("route", study.get("route"), name, f"$.studies.biodistribution[{i}].route")
    for mlot in data.get("material_lots") or []:
        if "justified_processes" in mlot:
            mlot["justified_processes"] = [str(v) for v in mlot["justified_processes"]]
    return data


def snapshot_from_data(data: dict, name: str = "dossier") -> ev.EvidenceSnapshot:
    """Validate a parsed dossier and build the snapshot; raises InputError naming the bad field."""
    validate(data, name)
    data = normalise_codes(data, name)
    body = {k: v for k, v in data.items() if k != "dossier_version"}
    try:
        snapshot = _build(ev.EvidenceSnapshot, body, "$")
    except InputError as exc:
        raise InputError(exc.message, where=location(file=name, field=exc.where)) from None
    check_consistency(snapshot, name)
    return snapshot


def parse_dossier(raw: bytes, name: str):
    # Bounded readers: encodings, NUL bytes, nesting depth, aliases and long numbers are refused
    # with a reason naming the file (evqms.core.limits).
    text = decode_text(raw, name=name)
    if name.lower().endswith(".json"):
        data = load_json(text, name=name)
    else:
        data = load_yaml(text, name, lines=False)  # messages cite JSON paths; a syntax error still its line
    if not isinstance(data, dict):
        raise InputError(_("a dossier must be a mapping (product, lots, ...)"), where=name)
    return data


def load_dossier(path: str | Path) -> ev.EvidenceSnapshot:
    name = str(path)
    return snapshot_from_data(parse_dossier(read_bytes(path), name), name)
