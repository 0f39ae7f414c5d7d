"""The rows of the registry export, read for one product over an optional period.

The administrations are those that used an aliquot of one of the product's lots, given within the
period; everything else hangs off them: their patients (DM), the administrations themselves (EX),
their adverse events (AE), the evaluations of the product's instruments (QS) and the follow-up
visits planned from them (SV). A fixed number of queries whatever the number of patients.

Only pseudonymised, coded fields leave: the patient's code, sex and age in whole years; never the
birth year, the keyed hash of the clinic's identifier, any person's name, or a free-text narrative
(the adverse event's description and investigation, notes). The one free text kept is why a visit
was missed, which a registry asks for.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from evqms.clinical.models import (
    AdministeredAliquot,
    Administration,
    AdverseEvent,
    Evaluation,
    FollowUpVisit,
)
from evqms.core.timefmt import iso_local, local_date
from evqms.dossier.models import Product
from evqms.reports.registry.columns import BY_NAME
from evqms.reports.registry.period import ExportPeriod

SEX_CODES = {"female": "F", "male": "M", "other": "O"}
# Criteria (clinical.models.SERIOUSNESS_CRITERIA) to their SDTM flag variables.
CRITERION_FLAGS = {
    "death": "AESDTH",
    "life_threatening": "AESLIFE",
    "hospitalisation": "AESHOSP",
    "disability": "AESDISAB",
    "congenital_anomaly": "AESCONG",
    "other_important": "AESMIE",
}
ENDED = ("recovered", "sequelae", "fatal")


def age_in_years(birth_year: int | None, first_day) -> int | None:
    """Whole years reached in the calendar year of `first_day`: that year minus the birth year.

    evqms keeps the birth year, never the birth date, so this is the age at the birthday of that
    year; on `first_day` itself the patient may be one year younger (as clinical.records counts for
    the safety case). None when either is unknown."""
    if not birth_year or first_day is None:
        return None
    return first_day.year - int(birth_year)


def _num(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return format(value.normalize(), "f")


def _day(value) -> str:
    day = local_date(value) if value is not None else None
    return day.isoformat() if day else ""


def _yes_no(flag: bool) -> str:
    return "Y" if flag else "N"


def _criteria(value) -> list:
    # a stored value that is not a list of codes must not break the export
    return [c for c in value if isinstance(c, str)] if isinstance(value, list) else []


def _administrations(product: Product, period: ExportPeriod | None) -> list[Administration]:
    adm_ids = AdministeredAliquot.objects.filter(aliquot__lot__product=product).values("administration_id")
    qs = Administration.objects.filter(pk__in=adm_ids)
    if period is not None:
        start, end = period.bounds()
        if start:
            qs = qs.filter(administered_at__gte=start)
        if end:
            qs = qs.filter(administered_at__lt=end)
    return list(qs.select_related("patient").order_by("patient__code", "administered_at", "id"))


def _lots_of(product: Product, adm_ids: list[int]) -> dict[int, list[str]]:
    lots: dict[int, set] = defaultdict(set)
    for row in (
        AdministeredAliquot.objects.filter(administration_id__in=adm_ids, aliquot__lot__product=product)
        .values("administration_id", "aliquot__lot__number")
        .distinct()
    ):
        lots[row["administration_id"]].add(row["aliquot__lot__number"])
    return {adm: sorted(numbers) for adm, numbers in lots.items()}


def _numbering():
    counters: dict[str, int] = defaultdict(int)

    def next_for(subject: str) -> int:
        counters[subject] += 1
        return counters[subject]

    return next_for


def _dm(product, adms) -> list[dict]:
    first: dict[str, Administration] = {}
    for adm in adms:  # ordered by patient, then time: the first seen is the first given
        first.setdefault(adm.patient.code, adm)
    rows = []
    for code, adm in first.items():
        patient = adm.patient
        day = local_date(adm.administered_at)
        age = age_in_years(patient.birth_year, day)
        rows.append(
            {
                "STUDYID": product.code,
                "DOMAIN": "DM",
                "USUBJID": code,
                "RFSTDTC": day.isoformat(),
                "AGE": "" if age is None else str(age),
                "AGEU": "" if age is None else "YEARS",
                "SEX": SEX_CODES.get(patient.sex, "U"),
            }
        )
    return rows


def _ex(product, adms, lots) -> list[dict]:
    seq = _numbering()
    rows = []
    for adm in adms:
        code = adm.patient.code
        rows.append(
            {
                "STUDYID": product.code,
                "DOMAIN": "EX",
                "USUBJID": code,
                "EXSEQ": str(seq(code)),
                "EXREFID": adm.number,
                "EXTRT": product.name,
                "EXLOT": ";".join(lots.get(adm.pk, [])),
                "EXDOSE": _num(adm.dose_particles),
                "EXDOSU": "particles" if adm.dose_particles is not None else "",
                "EXDOSPR": _num(adm.dose_protein_ug),
                "EXDOSPRU": "ug" if adm.dose_protein_ug is not None else "",
                "EXROUTE": adm.route,
                "EXSTDTC": iso_local(adm.administered_at),
            }
        )
    return rows


def _ae(product, adms) -> list[dict]:
    numbers = {adm.pk: adm.number for adm in adms}
    codes = {adm.pk: adm.patient.code for adm in adms}
    events = sorted(
        AdverseEvent.objects.filter(administration_id__in=list(numbers)).values(
            "administration_id", "number", "ctcae_term", "ctcae_grade", "serious", "seriousness_criteria",
            "causality", "expectedness", "outcome", "outcome_on", "onset", "id",
        ),
        key=lambda e: (codes[e["administration_id"]], e["onset"], e["id"]),
    )  # fmt: skip
    seq = _numbering()
    rows = []
    for e in events:
        code = codes[e["administration_id"]]
        criteria = _criteria(e["seriousness_criteria"])
        row = {
            "STUDYID": product.code,
            "DOMAIN": "AE",
            "USUBJID": code,
            "AESEQ": str(seq(code)),
            "AEREFID": e["number"],
            "EXREFID": numbers[e["administration_id"]],
            "AETERM": e["ctcae_term"] or "",
            "AETOXGR": str(e["ctcae_grade"]),
            "AESER": _yes_no(bool(e["serious"]) or bool(criteria)),
        }
        row.update({flag: _yes_no(c in criteria) for c, flag in CRITERION_FLAGS.items()})
        row.update(
            {
                "AEREL": e["causality"],
                "AEEXPECT": e["expectedness"],
                "AEOUT": e["outcome"],
                "AESTDTC": iso_local(e["onset"]),
                "AEENDTC": e["outcome_on"].isoformat() if e["outcome_on"] and e["outcome"] in ENDED else "",
            }
        )
        rows.append(row)
    return rows


def _items(instrument) -> list[tuple[str, str]]:
    """(code, English text) of the instrument's items in its order; a definition stored in another
    shape yields none (the score row is still written)."""
    definition = instrument.definition if isinstance(instrument.definition, dict) else {}
    items = definition.get("items") if isinstance(definition.get("items"), list) else []
    out = []
    for item in items:
        if isinstance(item, dict) and item.get("code"):
            text = item.get("text")
            out.append(
                (str(item["code"]), str(text.get("en", "")) if isinstance(text, dict) else str(text or ""))
            )
    return out


def _visit(kind: str, month: int | None) -> tuple[str, str]:
    if kind == "baseline" or month is None:
        return "0", "BASELINE"
    return str(month), f"MONTH {month}"


def _qs(product, adms) -> list[dict]:
    numbers = {adm.pk: adm.number for adm in adms}
    codes = {adm.pk: adm.patient.code for adm in adms}
    evaluations = sorted(
        Evaluation.objects.filter(
            administration_id__in=list(numbers), instrument_use__product=product
        ).select_related("instrument", "follow_up_visit"),
        key=lambda ev: (codes[ev.administration_id], ev.evaluated_at, ev.id),
    )
    seq = _numbering()
    rows = []
    for ev in evaluations:
        code = codes[ev.administration_id]
        visit = getattr(ev, "follow_up_visit", None)
        visitnum, visit_name = _visit(ev.kind, visit.month if visit else None)
        values = ev.values if isinstance(ev.values, dict) else {}
        common = {
            "STUDYID": product.code,
            "DOMAIN": "QS",
            "USUBJID": code,
            "EXREFID": numbers[ev.administration_id],
            "QSCAT": ev.instrument.code,
            "QSCATVER": str(ev.instrument.version),
            "QSORRESU": ev.instrument.unit,
            "VISITNUM": visitnum,
            "VISIT": visit_name,
            "QSDTC": iso_local(ev.evaluated_at),
        }
        for item_code, text in _items(ev.instrument):
            if item_code not in values:
                continue
            value = str(values[item_code])
            rows.append(
                {
                    **common,
                    "QSSEQ": str(seq(code)),
                    "QSTESTCD": item_code,
                    "QSTEST": text,
                    "QSORRES": value,
                    "QSSTRESN": _numeric(value),
                }
            )
        rows.append(
            {
                **common,
                "QSSEQ": str(seq(code)),
                "QSTESTCD": "SCORE",
                "QSTEST": f"Score ({ev.instrument.score_rule})",
                "QSORRES": _num(ev.score),
                "QSSTRESN": _num(ev.score),
            }
        )
    return [{c.name: row.get(c.name, "") for c in BY_NAME["QS"].columns} for row in rows]


def _numeric(value: str) -> str:
    try:
        return _num(Decimal(value))
    except (ArithmeticError, ValueError):
        return ""


def _sv(product, adms) -> list[dict]:
    numbers = {adm.pk: adm.number for adm in adms}
    codes = {adm.pk: adm.patient.code for adm in adms}
    visits = sorted(
        FollowUpVisit.objects.filter(
            administration_id__in=list(numbers), instrument_use__product=product
        ).select_related("instrument_use__instrument", "evaluation"),
        key=lambda v: (codes[v.administration_id], v.due_on, v.month, v.id),
    )
    seq = _numbering()
    rows = []
    for v in visits:
        code = codes[v.administration_id]
        rows.append(
            {
                "STUDYID": product.code,
                "DOMAIN": "SV",
                "USUBJID": code,
                "SVSEQ": str(seq(code)),
                "EXREFID": numbers[v.administration_id],
                "QSCAT": v.instrument_use.instrument.code,
                "VISITNUM": str(v.month),
                "VISIT": f"MONTH {v.month}",
                "SVSTATUS": v.status,
                "SVOCCUR": {"done": "Y", "missed": "N"}.get(v.status, ""),
                "SVREASOC": v.missed_reason if v.status == "missed" else "",
                "SVDUEDTC": v.due_on.isoformat(),
                "SVWINSTD": v.window_start.isoformat(),
                "SVWINEND": v.window_end.isoformat(),
                "SVSTDTC": _day(v.evaluation.evaluated_at) if v.evaluation_id else "",
            }
        )
    return rows


def registry_rows(product: Product, period: ExportPeriod | None = None) -> dict[str, list[dict]]:
    """Every dataset's rows (dicts keyed by column name, values as written), by dataset name."""
    adms = _administrations(product, period)
    lots = _lots_of(product, [a.pk for a in adms]) if adms else {}
    return {
        "DM": _dm(product, adms),
        "EX": _ex(product, adms, lots),
        "AE": _ae(product, adms) if adms else [],
        "QS": _qs(product, adms) if adms else [],
        "SV": _sv(product, adms) if adms else [],
    }
