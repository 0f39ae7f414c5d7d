"""In-vivo and dose studies, the dossier records of biodistribution and the dose range."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.errors import InputError
from evqms.guidance import vocabulary
from evqms.i18n import _
from evqms.lots import evaluation
from evqms.studies.models import BiodistributionStudy, DoseResponseStudy
from evqms.studies.services.common import now, required_text


def _route_code(text: str) -> str:
    """Routes use the one code list ('intra-articular' is intra_articular)."""
    code = vocabulary.match("route", text)
    if code is None:
        raise InputError(
            _("{value} is not a route; use one of: {codes}").format(
                value=text, codes=", ".join(vocabulary.codes("route"))
            ),
            where="route",
        )
    return code


@transaction.atomic
def create_biodistribution_study(
    *, actor, product, title: str, species: str, route: str, label_method: str, target: str, time_points: str,
    fraction_in_target_pct, threshold_pct, second_method: str = "", summary: str = "",
) -> BiodistributionStudy:  # fmt: skip
    require(actor, "studies.define")
    title = required_text(title, "title", _("a title is required"))
    fraction = evaluation.to_decimal(fraction_in_target_pct, field="fraction_in_target_pct")
    threshold = evaluation.to_decimal(threshold_pct, field="threshold_pct")
    for number, field in ((fraction, "fraction_in_target_pct"), (threshold, "threshold_pct")):
        if not 0 <= number <= 100:
            raise InputError(_("a percentage must lie between 0 and 100"), where=field)
    study = BiodistributionStudy.objects.create(
        product=product, title=title, species=required_text(species, "species", _("name the animal model")),
        route=_route_code(required_text(route, "route", _("a route is required"))),
        label_method=required_text(label_method, "label_method", _("name the label or detection method")),
        target=required_text(target, "target", _("name the target")), time_points=(time_points or "").strip(),
        fraction_in_target_pct=fraction, threshold_pct=threshold, second_method=(second_method or "").strip(),
        summary=summary or "", created_by=actor, created_at=now(),
    )  # fmt: skip
    record_event(actor=actor, action="biodistribution.create", object_type="biodistribution_study",
                 object_id=study.pk, after={"product": product.code, "title": title, "target": study.target,
                                            "fraction_in_target_pct": fraction, "threshold_pct": threshold,
                                            "label_method": study.label_method,
                                            "second_method": study.second_method})  # fmt: skip
    return study


@transaction.atomic
def create_dose_response_study(
    *, actor, product, title: str, kind: str, unit: str, dose_low, dose_high, effective_low=None,
    effective_high=None, safe_high=None, summary: str = "",
) -> DoseResponseStudy:  # fmt: skip
    require(actor, "studies.define")
    title = required_text(title, "title", _("a title is required"))
    if kind not in dict(DoseResponseStudy.KINDS):
        raise InputError(_("choose in vitro or in vivo"), where="kind")
    unit = required_text(unit, "unit", _("a dose unit is required"))

    def dec(value, field):
        return None if value in (None, "") else evaluation.to_decimal(value, field=field)

    low, high = dec(dose_low, "dose_low"), dec(dose_high, "dose_high")
    if low is None or high is None or low < 0 or low >= high:
        raise InputError(_("the doses tested must satisfy 0 <= lowest < highest"), where="dose_low")
    eff_low, eff_high, safe = (
        dec(effective_low, "effective_low"),
        dec(effective_high, "effective_high"),
        dec(safe_high, "safe_high"),
    )
    if eff_low is not None and eff_high is not None and eff_low > eff_high:
        raise InputError(_("the effective range is reversed"), where="effective_low")
    study = DoseResponseStudy.objects.create(
        product=product, title=title, kind=kind, unit=unit, dose_low=low, dose_high=high, effective_low=eff_low,
        effective_high=eff_high, safe_high=safe, summary=summary or "", created_by=actor, created_at=now(),
    )  # fmt: skip
    record_event(actor=actor, action="dose_response.create", object_type="dose_response_study",
                 object_id=study.pk, after={"product": product.code, "title": title, "kind": kind, "unit": unit,
                                            "dose_low": low, "dose_high": high, "effective_low": eff_low,
                                            "effective_high": eff_high, "safe_high": safe})  # fmt: skip
    return study
