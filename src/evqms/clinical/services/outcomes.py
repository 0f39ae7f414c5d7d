"""Outcome instruments as data, their scoring, and their use per product.

The instruments are read from the shipped file (clinical/instruments/shipped.yaml) and from a
site's own files in EVQMS_HOME/instruments/ (a site file with the same code replaces the shipped
one: that is how a licensed instrument's items arrive). A definition is copied into the database
(`OutcomeInstrument`, one row per code and version) when a product first uses it, so an evaluation
always points at the exact definition it was scored with.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.clinical.models import Administration, InstrumentUse, OutcomeInstrument
from evqms.clinical.records import instrument_use_record
from evqms.core.canonical import canonical_hash
from evqms.core.db import lock_for_update
from evqms.dossier.models import Product
from evqms.errors import InputError, RuleViolation
from evqms.guidance.yamlio import load_yaml
from evqms.i18n import _

SHIPPED = Path(__file__).resolve().parent.parent / "instruments" / "shipped.yaml"
DEFAULT_MONTHS = (1, 3, 6, 12)
SCORE_RULES = ("single", "sum", "mean")
DIRECTIONS = ("higher_better", "lower_better")


@dataclass(frozen=True)
class Item:
    code: str
    text: dict
    min: Decimal
    max: Decimal
    step: Decimal
    anchors: dict  # {"min": {en, ja}, "max": {en, ja}}, either may be absent


@dataclass(frozen=True)
class Definition:
    """One instrument as its file defines it (texts are {en, ja})."""

    code: str
    version: int
    name: dict
    description: dict
    score_rule: str
    direction: str
    unit: str
    mid: Decimal | None
    mid_source: dict
    licence: dict
    licensed: bool
    items: tuple[Item, ...]
    raw: dict
    source: str
    # False: the instrument rates the change itself (PGIC); no baseline is taken or asked for.
    baseline: bool = True
    # For such an instrument: the rating at or beyond which (in the direction of benefit) a patient
    # is a responder, e.g. PGIC 2 "much improved" or better.
    responder_threshold: Decimal | None = None

    def text(self, field: str, lang: str) -> str:
        value = getattr(self, field)
        return value.get(lang) or value.get("en", "")

    @property
    def scale(self) -> tuple[Decimal, Decimal]:
        """The score's range by the rule: one item's, the sum of the items', or their mean's."""
        if not self.items:
            return Decimal(0), Decimal(100)  # a placeholder without items is never scored
        lows, highs = [i.min for i in self.items], [i.max for i in self.items]
        if self.score_rule == "sum":
            return sum(lows), sum(highs)
        if self.score_rule == "mean":
            return min(lows), max(highs)
        return lows[0], highs[0]


# --- reading the definitions -------------------------------------------------------------------


def site_folder() -> Path:
    return Path(settings.EVQMS_HOME) / "instruments"


def catalogue() -> dict[str, Definition]:
    """Every instrument evqms knows, by code: the shipped ones, replaced or added to by the site's."""
    found: dict[str, Definition] = {}
    files = [SHIPPED, *sorted(site_folder().glob("*.yaml"))] if site_folder().is_dir() else [SHIPPED]
    for path in files:
        for definition in read_definitions(path.read_text(encoding="utf-8"), name=path.name):
            found[definition.code] = definition
    return found


def definition_of(code: str) -> Definition:
    found = catalogue().get((code or "").strip())
    if found is None:
        raise InputError(_("unknown outcome instrument {code}").format(code=code or "-"), where="instrument")
    return found


def read_definitions(text: str, *, name: str) -> list[Definition]:
    """Parse an instruments file; anything malformed is an InputError naming the file and instrument."""
    data = load_yaml(text, name, lines=False)
    if not isinstance(data, dict) or not isinstance(data.get("instruments"), list):
        raise InputError(_("an instruments file holds a list 'instruments'"), where=name)
    return [_definition(entry, name) for entry in data["instruments"]]


def _bilingual(value, where: str) -> dict:
    if isinstance(value, str):
        return {"en": value, "ja": value}
    if not isinstance(value, dict) or not value.get("en"):
        raise InputError(_("a text needs at least its English ({en: ..., ja: ...})"), where=where)
    return {"en": str(value["en"]), "ja": str(value.get("ja") or value["en"])}


def _decimal(value, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError(_("not a number: {value}").format(value=value), where=where) from None
    if not number.is_finite():
        raise InputError(_("not a number: {value}").format(value=value), where=where)
    return number


def _definition(entry, name: str) -> Definition:
    if not isinstance(entry, dict) or not entry.get("code"):
        raise InputError(_("an instrument needs a code"), where=name)
    code = str(entry["code"]).strip()
    where = f"{name}: {code}"
    rule = entry.get("score_rule", "single")
    direction = entry.get("direction")
    if rule not in SCORE_RULES:
        raise InputError(_("unknown score rule {rule}").format(rule=rule), where=where)
    if direction not in DIRECTIONS:
        raise InputError(_("the direction is higher_better or lower_better"), where=where)
    items = []
    for raw in entry.get("items") or []:
        item_where = f"{where}.{raw.get('code', '?')}"
        low, high = _decimal(raw.get("min"), item_where), _decimal(raw.get("max"), item_where)
        step = _decimal(raw.get("step", 1), item_where)
        if not low < high or step <= 0:
            raise InputError(_("an item's range needs min < max and a positive step"), where=item_where)
        anchors = {
            end: _bilingual(text, item_where)
            for end, text in (raw.get("anchors") or {}).items()
            if end in ("min", "max") and text
        }
        items.append(
            Item(str(raw["code"]), _bilingual(raw.get("text"), item_where), low, high, step, anchors)
        )
    if rule == "single" and len(items) > 1:
        raise InputError(_("the score rule 'single' takes exactly one item"), where=where)
    if not items and not entry.get("licensed"):
        raise InputError(_("an instrument needs items (only a licensed placeholder has none)"), where=where)
    mid = entry.get("minimal_important_difference")
    threshold = entry.get("responder_threshold")
    threshold = None if threshold in (None, "") else _decimal(threshold, where)
    if threshold is not None and entry.get("baseline", True) is not False:
        raise InputError(
            _("a responder threshold is for an instrument without a baseline (baseline: false)"), where=where
        )
    return Definition(
        code=code,
        version=int(entry.get("version", 1)),
        name=_bilingual(entry.get("name"), where),
        description=_bilingual(entry.get("description") or "-", where),
        score_rule=rule,
        direction=direction,
        unit=str(entry.get("unit") or ""),
        mid=None if mid in (None, "") else _decimal(mid, where),
        mid_source=_bilingual(entry.get("mid_source") or "-", where),
        licence=_bilingual(entry.get("licence") or "-", where),
        licensed=bool(entry.get("licensed")),
        items=tuple(items),
        raw=entry,
        source=name,
        baseline=entry.get("baseline", True) is not False,
        responder_threshold=threshold,
    )


# --- scoring -----------------------------------------------------------------------------------


def plain(number: Decimal) -> str:
    """10, 0.5, 19.9: a decimal as people write it (never 1E+1)."""
    text = format(number.normalize(), "f")
    return text


def item_field(code: str) -> str:
    """The form field (and the `where` of a refusal) for one item."""
    return f"item_{code}"


def score(definition: Definition, values: dict) -> tuple[dict, Decimal]:
    """The item values as stored (strings of decimals) and the score by the instrument's rule.
    A missing value, a value outside an item's range or off its step is refused on that item."""
    if not definition.items:
        raise RuleViolation(
            _("{name} has no items here: it is a licensed placeholder").format(name=definition.name["en"])
        )
    clean: dict[str, str] = {}
    numbers = []
    for item in definition.items:
        raw = values.get(item.code)
        where = item_field(item.code)
        if raw is None or str(raw).strip() == "":
            raise InputError(_("enter a value"), where=where)
        number = _decimal(str(raw).strip(), where)
        if not item.min <= number <= item.max:
            raise InputError(
                _("{value} is outside the scale {low} to {high}").format(
                    value=plain(number), low=plain(item.min), high=plain(item.max)
                ),
                where=where,
            )
        if (number - item.min) % item.step != 0:
            raise InputError(
                _("{value} is not on the scale's steps of {step}").format(
                    value=plain(number), step=plain(item.step)
                ),
                where=where,
            )
        clean[item.code] = plain(number)
        numbers.append(number)
    unknown = set(values) - {i.code for i in definition.items}
    if unknown:
        raise InputError(
            _("not an item of this instrument: {items}").format(items=", ".join(sorted(unknown)))
        )
    if definition.score_rule == "sum":
        total = sum(numbers)
    elif definition.score_rule == "mean":
        total = (sum(numbers) / len(numbers)).quantize(Decimal("0.001"))
    else:
        total = numbers[0]
    return clean, total


def stored_definition(instrument: OutcomeInstrument) -> Definition:
    """The definition an evaluation was scored with, as kept in the database."""
    return _definition(instrument.definition, instrument.source or instrument.code)


# --- instrument use per product ----------------------------------------------------------------


def _instrument_row(definition: Definition) -> OutcomeInstrument:
    """The database copy of `definition`; a changed file under the same version is refused."""
    digest = canonical_hash(definition.raw)
    row = OutcomeInstrument.objects.filter(code=definition.code, version=definition.version).first()
    if row is not None:
        if row.definition_hash != digest:
            raise RuleViolation(
                _(
                    "instrument {code} version {version} is already in use with a different definition: "
                    "give the changed definition a new version"
                ).format(code=definition.code, version=definition.version)
            )
        return row
    low, high = definition.scale
    return OutcomeInstrument.objects.create(
        code=definition.code,
        version=definition.version,
        name_en=definition.name["en"][:200],
        name_ja=definition.name["ja"][:200],
        scale_min=low,
        scale_max=high,
        unit=definition.unit,
        score_rule=definition.score_rule,
        direction=definition.direction,
        minimal_important_difference=definition.mid,
        licensed=definition.licensed,
        licence_note_en=definition.licence["en"],
        licence_note_ja=definition.licence["ja"],
        definition=definition.raw,
        definition_hash=digest,
        source=definition.source,
        loaded_at=timezone.now(),
    )


def parse_months(value) -> list[int]:
    """'1, 3, 6, 12' or a list -> [1, 3, 6, 12]: whole months from 1 to 120, increasing, no repeats."""
    parts = value.replace(",", " ").split() if isinstance(value, str) else list(value or [])
    try:
        months = [int(str(p).strip()) for p in parts]
    except ValueError:
        raise InputError(
            _("the follow-up months are whole numbers, e.g. 1, 3, 6, 12"), where="follow_up_months"
        ) from None
    if not months:
        raise InputError(_("name at least one follow-up month"), where="follow_up_months")
    if any(not 1 <= m <= 120 for m in months) or months != sorted(set(months)):
        raise InputError(
            _("the follow-up months increase from 1 to 120 without repeats"), where="follow_up_months"
        )
    return months


@transaction.atomic
def enable_instrument(
    *,
    actor,
    product: Product,
    instrument: str,
    indication_code: str = "",
    follow_up_months=DEFAULT_MONTHS,
    window_days: int = 14,
    licence_reference: str = "",
) -> InstrumentUse:
    """Measure `product`'s outcome (for one indication, or any when blank) with an instrument, and
    follow patients up at `follow_up_months` after each administration, within ± `window_days`."""
    require(actor, "clinical.manage_outcomes")
    definition = definition_of(instrument)
    months = parse_months(follow_up_months)
    try:
        window = int(window_days)
    except (TypeError, ValueError):
        raise InputError(_("the window is a whole number of days"), where="window_days") from None
    if not 0 <= window <= 90:
        raise InputError(_("the window is from 0 to 90 days"), where="window_days")
    indication_code = (indication_code or "").strip()
    licence_reference = (licence_reference or "").strip()
    if definition.licensed and not licence_reference:
        raise InputError(
            _("{name} is licensed: name the site's licence to use it").format(name=definition.name["en"]),
            where="licence_reference",
        )
    if not definition.items:
        raise RuleViolation(
            _(
                "{name}: its items are not shipped; put the site's licensed definition in {folder} first"
            ).format(name=definition.name["en"], folder=str(site_folder()))
        )
    row = _instrument_row(definition)
    clash = InstrumentUse.objects.filter(
        product=product, instrument__code=row.code, indication_code=indication_code, active=True
    ).first()
    if clash is not None:
        raise RuleViolation(
            _("product {product} already uses {code} for this indication").format(
                product=product.code, code=row.code
            )
        )
    use = InstrumentUse.objects.create(
        product=product,
        instrument=row,
        indication_code=indication_code,
        follow_up_months=months,
        window_days=window,
        licence_reference=licence_reference,
        enabled_by=actor,
        enabled_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="instrument_use.enable",
        object_type="instrument_use",
        object_id=use.pk,
        after=instrument_use_record(use),
    )
    return use


@transaction.atomic
def disable_instrument(*, actor, use: InstrumentUse, reason: str) -> InstrumentUse:
    """Stop using an instrument for new baselines; evaluations and scheduled visits stay."""
    require(actor, "clinical.manage_outcomes")
    if not (reason or "").strip():
        raise InputError(_("a reason is required"), where="reason")
    locked = (
        lock_for_update(InstrumentUse.objects.filter(pk=use.pk)).select_related("product", "instrument").get()
    )
    if not locked.active:
        raise RuleViolation(
            _("{code} is no longer used for {product}").format(
                code=locked.instrument.code, product=locked.product.code
            )
        )
    before = instrument_use_record(locked)
    locked.active = False
    locked.disabled_by = actor
    locked.disabled_at = timezone.now()
    locked.save(update_fields=["active", "disabled_by", "disabled_at"])
    record_event(
        actor=actor,
        action="instrument_use.disable",
        object_type="instrument_use",
        object_id=locked.pk,
        before=before,
        after=instrument_use_record(locked),
        reason=reason.strip(),
    )
    return locked


# --- baseline ----------------------------------------------------------------------------------


def administered_products(administration: Administration) -> set[int]:
    """The products of the lots whose aliquots this administration used."""
    return set(administration.used.values_list("aliquot__lot__product_id", flat=True))


def uses_for(administration: Administration):
    """The active instrument uses of the administered product(s)."""
    return (
        InstrumentUse.objects.filter(product_id__in=administered_products(administration), active=True)
        .select_related("instrument", "product")
        .order_by("product__code", "instrument__code", "indication_code")
    )
