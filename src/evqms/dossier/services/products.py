"""Products."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.concurrency import require_unchanged
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.dossier import models as m
from evqms.dossier import records
from evqms.dossier.services._common import _choice
from evqms.dossier.validation import (
    check_unit,
)
from evqms.errors import InputError
from evqms.guidance import vocabulary
from evqms.i18n import _

PRODUCT_FIELDS = (
    "name",
    "ev_type",
    "source_cell_type",
    "origin",
    "indication_code",
    "indications",
    "routes",
    "dose_unit",
    "responsible_physician",
    "retention_sample_required",
)


def _clean_product(data: dict) -> dict:
    out = {}
    if "name" in data:
        out["name"] = required_text(data["name"], "name")
    if "ev_type" in data:
        out["ev_type"] = _choice(data["ev_type"], m.EV_TYPES, "ev_type")
    if "source_cell_type" in data:
        out["source_cell_type"] = _choice(data["source_cell_type"], m.SOURCE_CELL_TYPES, "source_cell_type")
    if "origin" in data:
        out["origin"] = _choice(data["origin"], m.ORIGINS, "origin")
    lines: list[str] = []
    if "indications" in data:
        lines = [x.strip() for x in (data["indications"] or "").splitlines() if x.strip()]
        if not lines:
            raise InputError(_("this field is required"), where="indications")
        out["indications"] = "\n".join(lines)
    if "indication_code" in data:
        code = (data["indication_code"] or "").strip()
        if not code and lines:
            # A known indication text names its code ("Knee osteoarthritis (KL II-III)"); an
            # unknown one stays uncoded and the compliance assessment reports it.
            found = vocabulary.match_indication(lines[0])
            code = found[0] if found else ""
        if code and vocabulary.term("indication", code) is None:
            raise InputError(
                _("{value} is not a coded indication").format(value=code), where="indication_code"
            )
        out["indication_code"] = code
    if "routes" in data:
        routes = list(dict.fromkeys(data["routes"] or []))
        if not routes:
            raise InputError(_("choose at least one route"), where="routes")
        for r in routes:
            _choice(r, m.ROUTES, "routes")
        out["routes"] = routes
    if "dose_unit" in data:
        out["dose_unit"] = check_unit(required_text(data["dose_unit"], "dose_unit"), "dose_unit")
    if "responsible_physician" in data:
        physician = data["responsible_physician"]
        if physician is not None and not physician.groups.filter(name="physician").exists():
            raise InputError(
                _("the responsible physician must have the physician role"), where="responsible_physician"
            )
        out["responsible_physician"] = physician
    if "retention_sample_required" in data:
        out["retention_sample_required"] = bool(data["retention_sample_required"])
    return out


@transaction.atomic
def create_product(
    *,
    actor,
    code: str,
    name: str,
    source_cell_type: str,
    origin: str,
    indications: str,
    routes: list[str],
    indication_code: str = "",
    ev_type: str = "natural",
    dose_unit: str = "particles",
    responsible_physician=None,
    retention_sample_required: bool = True,
) -> m.Product:
    require(actor, "dossier.manage_product")
    code = identifiers.clean("product", code, field="code")
    identifiers.require_unique("product", code, field="code")
    fields = _clean_product(
        dict(
            name=name,
            ev_type=ev_type,
            source_cell_type=source_cell_type,
            origin=origin,
            indications=indications,
            indication_code=indication_code,
            routes=routes,
            dose_unit=dose_unit,
            responsible_physician=responsible_physician,
            retention_sample_required=retention_sample_required,
        )
    )
    product = m.Product.objects.create(code=code, **fields)
    record_event(
        actor=actor,
        action="product.create",
        object_type="product",
        object_id=product.pk,
        after=records.product_record(product),
    )
    return product


@transaction.atomic
def update_product(
    *, actor, product: m.Product, reason: str = "", seen: str | None = None, **changes
) -> m.Product:
    require(actor, "dossier.manage_product")
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise InputError(_("unknown field {field}").format(field=", ".join(sorted(unknown))), where="product")
    locked = lock_for_update(m.Product.objects.filter(pk=product.pk)).get()
    before = records.product_record(locked)
    require_unchanged(seen, before, what=_("product {code}").format(code=locked.code))
    for field, value in _clean_product(changes).items():
        setattr(locked, field, value)
    after = records.product_record(locked)
    if after == before:
        return locked
    locked.save()
    record_event(
        actor=actor,
        action="product.update",
        object_type="product",
        object_id=locked.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return locked
