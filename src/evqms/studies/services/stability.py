"""Stability studies and their results (time point, batch, value)."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.lots.models import Lot
from evqms.studies.models import StabilityResult, StabilityStudy
from evqms.studies.services.common import now, required_text


@transaction.atomic
def create_stability_study(
    *, actor, product, name: str, attribute_code: str, condition: str, lots, attribute_name: str = "",
    unit: str = "", lower=None, upper=None,
) -> StabilityStudy:  # fmt: skip
    require(actor, "studies.define")
    name = required_text(name, "name", _("a name is required"))
    attribute_code = required_text(attribute_code, "attribute_code", _("an attribute code is required"))
    condition = required_text(condition, "condition", _("a storage condition is required"))
    low = None if lower in (None, "") else evaluation.to_decimal(lower, field="lower")
    high = None if upper in (None, "") else evaluation.to_decimal(upper, field="upper")
    if low is None and high is None:
        raise InputError(_("give a lower and/or an upper specification limit"), where="lower")
    if low is not None and high is not None and low >= high:
        raise InputError(_("the lower limit must be below the upper limit"), where="lower")
    lots = list(lots)
    if not lots:
        raise InputError(_("choose at least one batch (lot)"), where="lots")
    for lot in lots:
        if lot.product_id != product.pk:
            raise InputError(_("lot {lot} is not a lot of this product").format(lot=lot.number), where="lots")
    if StabilityStudy.objects.filter(product=product, name=name).exists():
        raise InputError(_("a study named {name} already exists").format(name=name), where="name")
    study = StabilityStudy.objects.create(
        product=product, name=name, attribute_code=attribute_code, attribute_name=attribute_name or attribute_code,
        unit=unit or "", condition=condition, lower=low, upper=high, created_by=actor, created_at=now(),
    )  # fmt: skip
    study.lots.set(lots)
    record_event(actor=actor, action="stability_study.create", object_type="stability_study",
                 object_id=study.pk, after={"product": product.code, "name": name, "attribute": attribute_code,
                                            "condition": condition, "lower": low, "upper": high,
                                            "lots": [lot.number for lot in lots]})  # fmt: skip
    return study


@transaction.atomic
def add_stability_result(*, actor, study: StabilityStudy, lot: Lot, time_months, value) -> StabilityResult:
    require(actor, "studies.record")
    if not study.lots.filter(pk=lot.pk).exists():
        raise InputError(_("lot {lot} is not a batch of this study").format(lot=lot.number), where="lot")
    t = evaluation.to_decimal(time_months, field="time_months")
    if t < 0:
        raise InputError(_("a time cannot be negative"), where="time_months")
    censor, v = evaluation.parse_value(value, field="value")
    if censor:
        # Refused, not substituted: ICH Q1E fits a regression to measured values, and a bound put
        # in their place (the LOQ, or half of it) biases the slope and the confidence bound that
        # the shelf life is read from; no substitution is defensible for a shelf-life claim.
        raise InputError(
            _(
                "{value} is a censored result: a shelf-life regression needs measured values; "
                "record the measured value, or leave this time point out and say why in the study"
            ).format(value=f"{censor}{v.normalize()}"),
            where="value",
        )
    result = StabilityResult.objects.create(
        study=study, lot=lot, time_months=t, value=v, recorded_by=actor, recorded_at=now()
    )
    record_event(actor=actor, action="stability_result.add", object_type="stability_study", object_id=study.pk,
                 after={"result_id": result.pk, "lot": lot.number, "time_months": t, "value": v})  # fmt: skip
    return result
