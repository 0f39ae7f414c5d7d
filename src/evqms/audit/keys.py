"""What the audit trail knows of the records it names: business keys, children, names and areas.

An event names its record as (object_type, object_id), the database id. An inspector asks by
business key ("lot UCEV-24-001", "patient P-0007", "recall RC-00001"), and for a lot wants its
QC results, deviations, aliquots and holds too. The audit app sits low in the house and may not
import the areas, so each area says this itself in its own `audit_keys.py`, which the audit
app's `ready()` loads (as Django's admin loads every `admin.py`):

- `register_record(object_type, label=, area=, names=, url_name=)`: what the type is called, which
  area it belongs to, how to name ids in one query (`names(ids) -> {id: "UCEV-24-001"}`) and the
  page that shows one (reversed with that name);
- `register_key(kind, label=, object_type=, resolve=)`: a business key and how it resolves to ids
  in one query (`resolve(text) -> [id, ...]`);
- `register_children(object_type, provider)`: `provider(ids) -> [(child_type, child_id), ...]` in
  one query, so a record's history includes its children's (a lot's results, an aliquot's retention
  sample). Children of children are followed to `CHILD_DEPTH` levels, each provider called at most
  once per level: the number of queries does not grow with the number of records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

CHILD_DEPTH = 4


@dataclass(frozen=True)
class RecordType:
    object_type: str
    label: object  # a lazy translation
    area: str
    names: Callable[[list[str]], dict] | None = None
    url_name: str | None = None


@dataclass(frozen=True)
class KeyKind:
    kind: str
    label: object
    object_type: str
    resolve: Callable[[str], Iterable]


@dataclass(frozen=True)
class Area:
    code: str
    label: object


_RECORDS: dict[str, RecordType] = {}
_KEYS: dict[str, KeyKind] = {}
_CHILDREN: dict[str, list[Callable[[list[str]], Iterable[tuple[str, object]]]]] = {}
_AREAS: dict[str, Area] = {}


def register_area(code: str, *, label) -> None:
    _AREAS[code] = Area(code, label)


def register_record(object_type: str, *, label, area: str, names=None, url_name: str | None = None) -> None:
    _RECORDS[object_type] = RecordType(object_type, label, area, names, url_name)


def register_key(kind: str, *, label, object_type: str, resolve) -> None:
    _KEYS[kind] = KeyKind(kind, label, object_type, resolve)


def register_children(object_type: str, provider) -> None:
    _CHILDREN.setdefault(object_type, []).append(provider)


def areas() -> list[Area]:
    return list(_AREAS.values())


def key_kinds() -> list[KeyKind]:
    return list(_KEYS.values())


def key_kind(kind: str) -> KeyKind | None:
    return _KEYS.get(kind)


def record_type(object_type: str) -> RecordType | None:
    return _RECORDS.get(object_type)


def area_types(area: str) -> list[str]:
    return sorted(t for t, rec in _RECORDS.items() if rec.area == area)


def type_label(object_type: str) -> str:
    rec = _RECORDS.get(object_type)
    return str(rec.label) if rec else object_type


@dataclass
class Scope:
    """Records named by (object_type, object_id as text), and which of them the key matched."""

    roots: dict[str, set[str]] = field(default_factory=dict)
    records: dict[str, set[str]] = field(default_factory=dict)

    def add(self, object_type: str, object_id, *, root: bool = False) -> bool:
        ids = self.records.setdefault(object_type, set())
        text = str(object_id)
        if text in ids:
            return False
        ids.add(text)
        if root:
            self.roots.setdefault(object_type, set()).add(text)
        return True

    def __bool__(self) -> bool:
        return any(self.records.values())

    def count(self) -> int:
        return sum(len(ids) for ids in self.records.values())

    def child_count(self) -> int:
        return self.count() - sum(len(ids) for ids in self.roots.values())


def resolve_key(kind: str, text: str) -> Scope:
    """The records a business key names (`kind` "" tries every kind), without their children."""
    scope = Scope()
    kinds = [_KEYS[kind]] if kind else list(_KEYS.values())
    for key in kinds:
        for object_id in key.resolve(text):
            scope.add(key.object_type, object_id, root=True)
    return scope


def with_children(scope: Scope, depth: int = CHILD_DEPTH) -> Scope:
    """`scope` with its records' children, their children, ... to `depth` levels."""
    fresh = {t: set(ids) for t, ids in scope.records.items()}
    for _level in range(depth):
        found: dict[str, set[str]] = {}
        for object_type, ids in fresh.items():
            for provider in _CHILDREN.get(object_type, ()):
                for child_type, child_id in provider(sorted(ids, key=_id_order)):
                    if scope.add(child_type, child_id):
                        found.setdefault(child_type, set()).add(str(child_id))
        if not found:
            break
        fresh = found
    return scope


def _id_order(text: str):
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def int_ids(ids: Iterable[str]) -> list[int]:
    """The ids that are database ids (an event's object_id is text; a stray value is skipped)."""
    out = []
    for text in ids:
        if str(text).isdigit() and len(str(text)) <= 18:
            out.append(int(text))
    return out


def names_for(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(object_type, object_id): name} for the records that still exist: one query per type."""
    wanted: dict[str, set[str]] = {}
    for object_type, object_id in pairs:
        wanted.setdefault(object_type, set()).add(str(object_id))
    out: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        rec = _RECORDS.get(object_type)
        if rec is None or rec.names is None:
            continue
        for object_id, name in rec.names(sorted(ids, key=_id_order)).items():
            out[(object_type, str(object_id))] = str(name)
    return out


def record_url(object_type: str, name: str | None) -> str:
    """The page of a record, by its name; "" when it has none or the name cannot be put in a URL."""
    rec = _RECORDS.get(object_type)
    if rec is None or not rec.url_name or not name:
        return ""
    try:
        return reverse(rec.url_name, args=[name])
    except NoReverseMatch:
        return ""


# Helpers for the areas' audit_keys.py: the common shapes, each one query.


def names_by(queryset_or_model, field_name: str, *, fmt: Callable | None = None):
    """`names(ids)` giving each id's `field_name` (or `fmt(row)` over `field_name`'s tuple)."""

    def names(ids):
        manager = getattr(queryset_or_model, "objects", None)
        qs = manager.all() if manager is not None else queryset_or_model
        fields = (field_name,) if isinstance(field_name, str) else tuple(field_name)
        rows = qs.filter(pk__in=int_ids(ids)).values_list("pk", *fields)
        if fmt is None:
            return {pk: rest[0] for pk, *rest in rows}
        return {pk: fmt(*rest) for pk, *rest in rows}

    return names


def resolve_by(queryset_or_model, field_name: str, *, exact_case: bool = False):
    """`resolve(text)`: the ids whose `field_name` is the text (ignoring case unless told)."""
    from evqms.core.identifiers import normalise

    def resolve(text):
        value = normalise(text)
        if not value:
            return []
        manager = getattr(queryset_or_model, "objects", None)
        qs = manager.all() if manager is not None else queryset_or_model
        lookup = field_name if exact_case else f"{field_name}__iexact"
        return list(qs.filter(**{lookup: value}).values_list("pk", flat=True)[:500])

    return resolve


def children_by(model, fk_field: str, child_type: str):
    """`provider(ids)`: the rows of `model` whose `fk_field` is one of the parent ids."""

    def provider(ids):
        rows = model.objects.filter(**{f"{fk_field}__in": int_ids(ids)}).values_list("pk", flat=True)
        return [(child_type, pk) for pk in rows]

    return provider
