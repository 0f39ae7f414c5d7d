"""One rule for every business identifier that appears in a URL or on a label.

A lot number, container id, donor code ... is read by people (labels, certificates, recalls) and
by the URL router, so it must be one visible thing: the text is normalised (Unicode NFKC, so a
full-width "ＵＣＥＶ－２４" becomes "UCEV-24"; surrounding spaces trimmed), must match its kind's
pattern (by default ASCII letters, digits, "-", "_" and ".", starting with a letter or digit) and
length, and is unique ignoring case ("ucev-24-001" is the same lot as "UCEV-24-001").

Every create service calls `clean()` then `require_unique()`; each model backs the uniqueness with
a UniqueConstraint on Lower(field). `evqms.core.converters` routes URLs with the same patterns.

Patterns are configurable per kind in settings:

    EVQMS_IDENTIFIERS = {"lot": {"pattern": r"[A-Z]{2,4}-[0-9]{2}-[0-9]{3}", "max_length": 11,
                                 "help": "like UCEV-24-001"}}

Rows stored before the rule may break it; `violations()` lists them (`evqms identifiers check`,
the QA page /identifiers/) so QA can correct each with a reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from evqms.errors import InputError
from evqms.i18n import _

# Letters, digits and - _ . ; the first character a letter or digit (so never "." or "..", which a
# browser folds away as a path segment).
DEFAULT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_DEFAULT_ALLOWED = re.compile(r"[A-Za-z0-9._-]")


@dataclass(frozen=True)
class Kind:
    """A kind of identifier: where it is stored and its default rule."""

    name: str
    model: str  # "app_label.Model"
    field: str
    max_length: int
    scope: tuple[str, ...] = ()  # unique within these fields (a material's lot numbers)
    pattern: str = DEFAULT_PATTERN
    fold: bool = False  # stored lower-case (product codes are slugs)


# The derived identifiers have room: DEV-<lot>-NN fits 40 and <lot>-A001 fits 60 with a 32-character lot.
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("lot", "lots.Lot", "number", 32),
        Kind("deviation", "lots.Deviation", "number", 40),
        Kind("aliquot", "inventory.Aliquot", "container_id", 60),
        Kind("location", "inventory.StorageLocation", "code", 60),
        Kind("material_lot", "dossier.MaterialLot", "lot_number", 60, scope=("material",)),
        Kind("donor", "dossier.Donor", "code", 40),
        Kind("cell_bank", "dossier.CellBank", "code", 40),
        Kind("product", "dossier.Product", "code", 40, pattern=r"[a-z0-9][a-z0-9_-]*", fold=True),
        Kind("patient", "clinical.Patient", "code", 40),
        Kind("administration", "clinical.Administration", "number", 40),
        Kind("adverse_event", "clinical.AdverseEvent", "number", 40),
        Kind("recall", "trace.Recall", "number", 40),
        Kind("hold", "trace.Hold", "number", 40),
        Kind("shipment", "inventory.Shipment", "number", 40),
        Kind("capa", "capa.Capa", "number", 40),
        Kind("change_request", "changes.ChangeRequest", "number", 40),
        Kind("room", "equipment.Room", "code", 40),
        Kind("instrument", "equipment.Instrument", "identifier", 40),
        Kind("method_suitability", "lots.MethodSuitability", "number", 40),
    )
}


def unique_ignoring_case(kind: str, *, name: str):
    """The model constraint behind `require_unique`: one row per Lower(identifier) (within its scope)."""
    from django.db.models import F, UniqueConstraint
    from django.db.models.functions import Lower

    k = KINDS[kind]
    return UniqueConstraint(*(F(s) for s in k.scope), Lower(k.field), name=name)


def kind_labels() -> dict[str, str]:
    """The name of each kind in the reader's language."""
    return {
        "lot": _("lot number"),
        "deviation": _("deviation number"),
        "aliquot": _("container id"),
        "location": _("storage location code"),
        "material_lot": _("material lot number"),
        "donor": _("donor code"),
        "cell_bank": _("cell bank code"),
        "product": _("product code"),
        "patient": _("patient code"),
        "administration": _("administration number"),
        "adverse_event": _("adverse event number"),
        "recall": _("recall number"),
        "hold": _("hold number"),
        "shipment": _("shipment number"),
        "capa": _("CAPA number"),
        "change_request": _("change request number"),
        "room": _("room code"),
        "instrument": _("instrument identifier"),
        "method_suitability": _("method suitability number"),
    }


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: str
    max_length: int
    help: str  # what a person should type, or "" for the default wording
    fold: bool

    @property
    def compiled(self) -> re.Pattern:
        return _compile(self.pattern)

    def matches(self, text: str) -> bool:
        return len(text) <= self.max_length and self.compiled.fullmatch(text) is not None


@lru_cache(maxsize=64)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def rule(kind: str) -> Rule:
    """The rule in force for `kind`: the default, overridden by settings.EVQMS_IDENTIFIERS[kind]."""
    if kind not in KINDS:
        raise KeyError(kind)
    base = KINDS[kind]
    override = {}
    try:
        from django.conf import settings

        override = (getattr(settings, "EVQMS_IDENTIFIERS", None) or {}).get(kind, {})
    except Exception:  # settings not configured (pure use): the defaults apply
        override = {}
    return Rule(
        kind=kind,
        pattern=override.get("pattern", base.pattern),
        max_length=int(override.get("max_length", base.max_length)),
        help=override.get("help", ""),
        fold=bool(override.get("fold", base.fold)),
    )


def normalise(value) -> str:
    """NFKC (full-width and compatibility forms to their plain letters) and trimmed."""
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def problem(kind: str, value) -> str | None:
    """Why `value` (as stored or typed) breaks the rule of `kind`, or None when it is acceptable as is."""
    r = rule(kind)
    text = "" if value is None else str(value)
    if not text:
        return _("an identifier is required")
    if len(text) > r.max_length:
        return _("at most {n} characters (this one has {length})").format(n=r.max_length, length=len(text))
    if r.compiled.fullmatch(text) is None:
        if r.help:
            return _("not a valid {kind}: {help}").format(kind=kind_labels()[kind], help=r.help)
        if r.pattern != DEFAULT_PATTERN and r.pattern != KINDS[kind].pattern:
            return _("does not match the pattern {pattern}").format(pattern=r.pattern)
        bad = "".join(dict.fromkeys(ch for ch in text if not _DEFAULT_ALLOWED.fullmatch(ch)))
        if r.fold:
            message = _("use lower-case letters, digits, - and _ only, starting with a letter or digit")
        else:
            message = _("use letters, digits, - _ and . only, starting with a letter or digit")
        if bad:
            shown = " ".join(ch if ch.isprintable() and not ch.isspace() else _codepoint(ch) for ch in bad)
            message += _(" (not allowed: {chars})").format(chars=shown)
        return message
    return None


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def clean(kind: str, value, *, field: str) -> str:
    """The identifier as it will be stored, or InputError on `field` saying why it is refused."""
    r = rule(kind)
    text = normalise(value)
    if r.fold:
        text = text.lower()
    why = problem(kind, text)
    if why:
        raise InputError(why, where=field)
    return text


def is_valid(kind: str, value) -> bool:
    """Whether a stored value can appear in a URL of its kind (it follows the rule exactly)."""
    return isinstance(value, str) and rule(kind).matches(value)


def _model(kind: str, apps=None):
    if apps is None:
        from django.apps import apps
    return apps.get_model(KINDS[kind].model)


def clash(kind: str, value: str, *, scope: dict | None = None, exclude_pk=None):
    """The stored row whose identifier equals `value` ignoring case, or None."""
    k = KINDS[kind]
    qs = _model(kind)._default_manager.filter(**{f"{k.field}__iexact": value, **(scope or {})})
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def require_unique(kind: str, value: str, *, field: str, scope: dict | None = None, exclude_pk=None) -> None:
    """Refuse `value` when another row of `kind` has it in any letter case. Call it inside the
    service's transaction; the Lower() unique constraint catches the race the check cannot."""
    other = clash(kind, value, scope=scope, exclude_pk=exclude_pk)
    if other is not None:
        existing = getattr(other, KINDS[kind].field)
        label = kind_labels()[kind]
        if existing == value:
            raise InputError(_("{kind} {value} already exists").format(kind=label, value=value), where=field)
        raise InputError(
            _("{kind} {value} already exists as {existing} (identifiers ignore letter case)").format(
                kind=label, value=value, existing=existing
            ),
            where=field,
        )


@dataclass(frozen=True)
class Violation:
    kind: str
    pk: int
    value: str
    problem: str
    suggestion: str  # the normalised value when that would follow the rule, else ""
    clash: bool = False  # equals an earlier row ignoring case (the Lower() constraint cannot hold)


def violations(kinds=None, *, apps=None) -> list[Violation]:
    """Stored rows that break the rule: a bad value, or a value that equals another ignoring case.
    `apps` is a migration's historical app registry (default: the running one)."""
    found: list[Violation] = []
    for kind in kinds or KINDS:
        k = KINDS[kind]
        seen: dict[tuple, str] = {}
        try:
            _model(kind, apps)
        except LookupError:  # a kind whose app is not migrated this far (a migration's registry)
            continue
        rows = _model(kind, apps)._default_manager.order_by("pk").values_list("pk", k.field, *k.scope)
        for pk, value, *scope in rows.iterator():
            why = problem(kind, value)
            key = (*scope, (value or "").lower())  # as the database's LOWER() sees it
            clashes = key in seen
            if clashes:
                same = _("the same as {other} ignoring letter case").format(other=seen[key])
                why = f"{why}; {same}" if why else same
            seen.setdefault(key, value)
            if why:
                suggestion = normalise(value)
                if rule(kind).fold:
                    suggestion = suggestion.lower()
                if problem(kind, suggestion) or suggestion == value:
                    suggestion = ""
                found.append(
                    Violation(
                        kind=kind, pk=pk, value=value, problem=why, suggestion=suggestion, clash=clashes
                    )
                )
    return found


def migration_check(*kinds: str):
    """A RunPython step for the migration that adds the Lower() constraints of `kinds`: it prints the
    stored rows that break the rule (QA corrects them: `evqms identifiers check`, page /identifiers/)
    and stops, naming them, when two differ only in letter case (the constraint could not be built)."""

    def run(apps, schema_editor):
        import sys

        found = violations(kinds, apps=apps)
        for v in found:
            print(
                _("identifier rule: {kind} {value!r} (id {pk}): {problem}").format(
                    kind=kind_labels()[v.kind], value=v.value, pk=v.pk, problem=v.problem
                ),
                file=sys.stderr,
            )
        clashes = [v for v in found if v.clash]
        if clashes:
            raise RuntimeError(
                _(
                    "{n} identifiers differ from another only in letter case; correct them first "
                    "on the page /identifiers/ (or in the database) and migrate again: {rows}"
                ).format(n=len(clashes), rows=", ".join(f"{v.kind} {v.value}" for v in clashes))
            )

    return run
