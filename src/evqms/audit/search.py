"""Searching the audit trail the way an inspector asks: by business key (with the record's
children), by who acted, action, area, words in the reason and local dates.

One filter, read from a page's query string, the API's parameters or the command line's options
(`TrailFilter.from_params`), gives one queryset (`search`), newest first. The number of queries
does not depend on how many events or records match: a key resolves in one query per kind, the
children in one query per kind of child and level (audit/keys.py), the events in one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.utils import timezone

from evqms.audit import keys
from evqms.audit.models import AuditEvent
from evqms.errors import InputError
from evqms.i18n import _

# The query parameters, the same on the page, in the API and (with dashes) on the command line.
PARAMS = (
    "kind",
    "key",
    "object_type",
    "object_id",
    "children",
    "actor",
    "action",
    "area",
    "text",
    "since",
    "until",
)
MAX_TEXT = 200


@dataclass(frozen=True)
class TrailFilter:
    kind: str = ""  # a key kind (audit.keys), "" = any kind
    key: str = ""  # a business key: lot number, aliquot, patient code, ...
    object_type: str = ""  # a record named as the trail names it (the History links)
    object_id: str = ""
    children: bool = True  # with the record's children (a lot's results, aliquots, ...)
    actor: str = ""  # who acted (user name)
    action: str = ""  # an action or its beginning: "lot." or "signature.release"
    area: str = ""
    text: str = ""  # words in the reason
    since: dt.date | None = None  # local days, both included
    until: dt.date | None = None

    @classmethod
    def from_params(cls, params) -> TrailFilter:
        """Read and check the filter; an unusable value is an InputError naming its parameter."""

        def text(name: str) -> str:
            value = params.get(name) or ""
            value = str(value).strip()
            if len(value) > MAX_TEXT:
                raise InputError(
                    _("{field}: at most {n} characters").format(field=name, n=MAX_TEXT), where=name
                )
            if "\x00" in value:
                raise InputError(_("{field}: a NUL character is not allowed").format(field=name), where=name)
            return value

        kind = text("kind")
        if kind and keys.key_kind(kind) is None:
            raise InputError(_("unknown kind of key: {kind}").format(kind=kind), where="kind")
        area = text("area")
        if area and area not in {a.code for a in keys.areas()}:
            raise InputError(_("unknown area: {area}").format(area=area), where="area")
        object_type, object_id = text("object_type"), text("object_id")
        if object_id and not object_type:
            raise InputError(_("an object id needs its object type"), where="object_type")
        children = str(params.get("children", "1")).strip().lower() not in ("0", "false", "no", "off", "")
        since, until = _day(text("since"), "since"), _day(text("until"), "until")
        if since and until and until < since:
            raise InputError(_("the end date is before the start date"), where="until")
        return cls(
            kind=kind,
            key=text("key"),
            object_type=object_type,
            object_id=object_id,
            children=children,
            actor=text("actor"),
            action=text("action"),
            area=area,
            text=text("text"),
            since=since,
            until=until,
        )

    def as_params(self) -> dict[str, str]:
        """The filter as query parameters (only those set), to link to the same view or export it."""
        out = {}
        for name, value in asdict(self).items():
            if name == "children":
                if not value:
                    out[name] = "0"
            elif value:
                out[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def is_empty(self) -> bool:
        return not any(v for k, v in asdict(self).items() if k != "children")

    def describe(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the filter as a person reads it (PDF first page, the page)."""
        labels = filter_labels()
        out = []
        for name, value in self.as_params().items():
            if name == "kind":
                value = str(keys.key_kind(value).label)
            elif name == "area":
                value = next((str(a.label) for a in keys.areas() if a.code == value), value)
            elif name == "object_type":
                value = f"{keys.type_label(value)} ({value})"
            elif name == "children":
                value = _("no")
            elif name in ("since", "until"):
                value = f"{value} ({timezone.get_current_timezone_name()})"
            out.append((str(labels[name]), value))
        return out


def filter_labels() -> dict[str, str]:
    return {
        "kind": _("Kind of key"),
        "key": _("Key"),
        "object_type": _("Object type"),
        "object_id": _("Object id"),
        "children": _("With its records"),
        "actor": _("User"),
        "action": _("Action"),
        "area": _("Area"),
        "text": _("Words in the reason"),
        "since": _("From"),
        "until": _("To"),
    }


def _day(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(
            _("{field}: not a date (YYYY-MM-DD): {value}").format(field=name, value=value[:40]), where=name
        ) from None


def local_day_start(day: dt.date) -> dt.datetime:
    """The first instant of a local day (the facility's zone), as an aware time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_current_timezone())


@dataclass
class Search:
    """A filter's answer: the events (a queryset, newest first) and what its key resolved to."""

    filter: TrailFilter
    events: object
    scope: keys.Scope | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def key_found(self) -> bool:
        return self.scope is None or bool(self.scope)


def search(flt: TrailFilter) -> Search:
    qs = AuditEvent.objects.order_by("-seq")
    scope = None
    notes: list[str] = []
    if flt.key or flt.object_type:
        scope = keys.Scope()
        if flt.key:
            resolved = keys.resolve_key(flt.kind, flt.key)
            for object_type, ids in resolved.roots.items():
                for object_id in ids:
                    scope.add(object_type, object_id, root=True)
            if not scope:
                notes.append(_("No record has the key {key}.").format(key=flt.key))
        if flt.object_type:
            if flt.object_id:
                scope.add(flt.object_type, flt.object_id, root=True)
            else:  # every record of that type: no children to follow
                qs = qs.filter(object_type=flt.object_type)
        if flt.children and scope:
            keys.with_children(scope)
        if flt.key or flt.object_id:
            qs = qs.filter(_records_q(scope)) if scope else qs.none()
    if flt.actor:
        qs = qs.filter(actor_name=flt.actor)
    if flt.action:
        qs = qs.filter(action__startswith=flt.action)
    if flt.area:
        qs = qs.filter(object_type__in=keys.area_types(flt.area))
    if flt.text:
        qs = qs.filter(reason__icontains=flt.text)
    if flt.since:
        qs = qs.filter(occurred_at__gte=local_day_start(flt.since))
    if flt.until:
        qs = qs.filter(occurred_at__lt=local_day_start(flt.until + dt.timedelta(days=1)))
    return Search(filter=flt, events=qs, scope=scope, notes=notes)


def _records_q(scope: keys.Scope) -> Q:
    q = Q()
    for object_type, ids in sorted(scope.records.items()):
        if ids:
            q |= Q(object_type=object_type, object_id__in=sorted(ids))
    return q
