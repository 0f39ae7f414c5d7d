"""Rule sets as data: bilingual YAML files, validated on load.

Built-in sets live in `rulesets/`; a clinic adds its own (SOP requirements) as a YAML file given
with `--ruleset path/to/file.yaml` or dropped in `$EVQMS_HOME/rulesets/`. A malformed file is
rejected with the file, the line and the reason; an unknown check names the item that uses it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path

from evqms.cliutil import read_bytes
from evqms.errors import InputError, location
from evqms.guidance.checks import REGISTRY
from evqms.guidance.yamlio import load_yaml
from evqms.i18n import _

BUILTIN_DIR = Path(__file__).resolve().parent / "rulesets"
LEVELS = {
    "status-confirmation": {"en": "status confirmation", "ja": "現状確認項目"},
    "recommended": {"en": "recommended", "ja": "推奨項目"},
    # Published figures a product may adopt (release-spec defaults), not a guidance level.
    "example": {"en": "example", "ja": "例示"},
    "required": {"en": "required", "ja": "必須"},
    "reporting": {"en": "reporting", "ja": "報告事項"},
}
PROVENANCE = {"SEED", "FOUND", "FOUND-ABS", "RECALLED", "INFERRED"}


@dataclass(frozen=True)
class CheckSpec:
    name: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    id: str
    part: str
    section: str
    level: str
    text: dict
    evidence: dict
    checks: tuple[CheckSpec, ...]
    provenance: dict
    interpretation: dict | None = None
    applies_when: dict = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: dict
    version: str
    published: str
    source: dict
    parts: dict
    items: tuple[Item, ...]
    path: str
    interpretation: dict | None = None


def _bilingual(value, where: str, key: str) -> dict:
    if (
        not isinstance(value, dict)
        or not str(value.get("en", "")).strip()
        or not str(value.get("ja", "")).strip()
    ):
        raise InputError(_("{key} needs both 'en' and 'ja' texts").format(key=key), where=where)
    return {"en": str(value["en"]), "ja": str(value["ja"])}


def _where(path: str, node, key: str | None = None) -> str:
    line = node.line_of(key) if key is not None and hasattr(node, "line_of") else getattr(node, "line", None)
    return location(file=path, line=line)


def _require(node: dict, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if key not in node:
            raise InputError(_("missing key {key}").format(key=key), where=where)


def _check_spec(raw, item_id: str, where: str) -> CheckSpec:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or "name" not in raw:
        raise InputError(_("item {item}: each check needs a name").format(item=item_id), where=where)
    name, params = str(raw["name"]), dict(raw.get("params") or {})
    if name not in REGISTRY:
        raise InputError(
            _("item {item}: unknown check {name}; known checks: {known}").format(
                item=item_id, name=name, known=", ".join(sorted(REGISTRY))
            ),
            where=where,
        )
    signature = inspect.signature(REGISTRY[name])
    accepted = [p for p in signature.parameters if p not in ("snap", "ctx")]
    for key in params:
        if key not in accepted:
            raise InputError(
                _("item {item}: check {name} has no parameter {param}").format(
                    item=item_id, name=name, param=key
                ),
                where=where,
            )
    for p in accepted:
        if signature.parameters[p].default is inspect.Parameter.empty and p not in params:
            raise InputError(
                _("item {item}: check {name} needs parameter {param}").format(
                    item=item_id, name=name, param=p
                ),
                where=where,
            )
    return CheckSpec(name, params)


def _item(raw, path: str, parts: dict, default_source: str) -> Item:
    where = _where(path, raw)
    if not isinstance(raw, dict):
        raise InputError(_("each item must be a mapping"), where=where)
    _require(raw, ("id", "part", "level", "text", "checks"), where)
    item_id = str(raw["id"])
    if raw["level"] not in LEVELS:
        raise InputError(
            _("item {item}: unknown level {level}; use one of {levels}").format(
                item=item_id, level=raw["level"], levels=", ".join(LEVELS)
            ),
            where=_where(path, raw, "level"),
        )
    if raw["part"] not in parts:
        raise InputError(
            _("item {item}: unknown part {part}").format(item=item_id, part=raw["part"]),
            where=_where(path, raw, "part"),
        )
    checks = raw["checks"]
    if not isinstance(checks, list) or not checks:
        raise InputError(
            _("item {item}: list at least one check").format(item=item_id), where=_where(path, raw, "checks")
        )
    provenance = dict(raw.get("provenance") or {})
    for tag in provenance.values():
        if str(tag).split()[0] not in PROVENANCE:
            raise InputError(
                _("item {item}: unknown provenance tag {tag}; use {tags}").format(
                    item=item_id, tag=tag, tags=", ".join(sorted(PROVENANCE))
                ),
                where=_where(path, raw, "provenance"),
            )
    interpretation = raw.get("interpretation")
    return Item(
        id=item_id,
        part=str(raw["part"]),
        section=str(raw.get("section", "")),
        level=raw["level"],
        text=_bilingual(raw["text"], where, "text"),
        evidence=_bilingual(raw.get("evidence") or raw["text"], where, "evidence"),
        checks=tuple(
            _check_spec(c, item_id, _where(path, c) if isinstance(c, dict) else _where(path, raw, "checks"))
            for c in checks
        ),
        provenance=provenance,
        interpretation=_bilingual(interpretation, where, "interpretation") if interpretation else None,
        applies_when=dict(raw.get("applies_when") or {}),
        source=str(raw.get("source", default_source)),
    )


def parse_ruleset(text: str, path: str) -> RuleSet:
    data = load_yaml(text, path)
    where = _where(path, data)
    if not isinstance(data, dict):
        raise InputError(
            _("a rule set must be a mapping with id, title, version, source and items"), where=path
        )
    _require(data, ("id", "title", "version", "published", "source", "parts", "items"), where)
    published = str(data["published"])
    try:
        dt.date.fromisoformat(published)
    except ValueError:
        raise InputError(
            _("published must be a date (YYYY-MM-DD), got {value}").format(value=published), where=where
        ) from None
    source = data["source"]
    if not isinstance(source, dict) or not (source.get("doi") or source.get("url")):
        raise InputError(_("source needs a doi or a url"), where=_where(path, source) or where)
    parts = {
        str(k): _bilingual(v, _where(path, data["parts"]), f"parts.{k}") for k, v in data["parts"].items()
    }
    if not isinstance(data["items"], list) or not data["items"]:
        raise InputError(_("items must be a non-empty list"), where=where)
    default_source = str(source.get("doi") or source.get("url"))
    items = tuple(_item(raw, path, parts, default_source) for raw in data["items"])
    seen = set()
    for item, raw in zip(items, data["items"], strict=True):
        if item.id in seen:
            raise InputError(_("item id {item} is used twice").format(item=item.id), where=_where(path, raw))
        seen.add(item.id)
    interpretation = data.get("interpretation")
    return RuleSet(
        id=str(data["id"]),
        title=_bilingual(data["title"], where, "title"),
        version=str(data["version"]),
        published=published,
        source={k: str(v) for k, v in source.items()},
        parts=parts,
        items=items,
        path=path,
        interpretation=_bilingual(interpretation, where, "interpretation") if interpretation else None,
    )


# Parsed rule sets by the path given, kept while the file's modification time and size stay the
# same: the compliance page shows part titles from the rule set on every view, and parsing the YAML
# each time cost more than the rest of the page. A changed file is parsed again; a file that cannot
# be read or parsed is never kept (its error is raised every time).
_PARSED: dict[str, tuple[tuple[int, int], RuleSet]] = {}


def load_ruleset_file(path: str | Path) -> RuleSet:
    from evqms.core.limits import decode_text

    key = str(path)
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None  # read_bytes names the problem
    kept = _PARSED.get(key)
    if stamp is not None and kept is not None and kept[0] == stamp:
        return kept[1]
    ruleset = parse_ruleset(decode_text(read_bytes(path), name=key), key)
    if stamp is not None:
        _PARSED[key] = (stamp, ruleset)
    return ruleset


def _user_dir() -> Path | None:
    home = os.environ.get("EVQMS_HOME")
    return Path(home) / "rulesets" if home else None


def available() -> dict[str, Path]:
    """Rule-set id -> file: the built-in sets, then the user's folder ($EVQMS_HOME/rulesets)."""
    found: dict[str, Path] = {}
    folders = [BUILTIN_DIR] + ([d] if (d := _user_dir()) and d.is_dir() else [])
    for folder in folders:
        for path in sorted(folder.glob("*.y*ml")):
            ruleset_id = path.stem
            if ruleset_id in found:
                raise InputError(
                    _("rule set {id} is defined twice (also in {other})").format(
                        id=ruleset_id, other=found[ruleset_id]
                    ),
                    where=str(path),
                )
            found[ruleset_id] = path
    return found


def require_known(ref: str) -> str:
    """`ref` when it names a rule set by id (built-in or the user folder), else an InputError: a
    page or an API takes ids only, never a path on the server (the command line may load a file)."""
    known = available()
    if ref not in known:
        raise InputError(
            _("unknown rule set {id}; available: {known}").format(id=ref, known=", ".join(known)),
            where="ruleset",
        )
    return ref


def load(ref: str) -> RuleSet:
    """A rule set by id (built-in or user folder) or by file path (the command line's)."""
    if ref.endswith((".yaml", ".yml")) or os.sep in ref:
        return load_ruleset_file(ref)
    known = available()
    if ref not in known:
        raise InputError(
            _("unknown rule set {id}; available: {known}").format(id=ref, known=", ".join(known)),
            where="--ruleset",
        )
    ruleset = load_ruleset_file(known[ref])
    if ruleset.id != ref:
        raise InputError(
            _("the file of rule set {id} declares id {other}").format(id=ref, other=ruleset.id),
            where=str(known[ref]),
        )
    return ruleset


DEFAULT = "jsrm-2024"
