"""Reads for sterility, endotoxin and mycoplasma tests: which attributes they are, the method
suitability records of a product (the one in force for a method, those awaiting QA) and a result's
run controls."""

from __future__ import annotations

import re
from decimal import Decimal

from evqms.core import readonce
from evqms.guidance import vocabulary
from evqms.i18n import _
from evqms.lots.models import MICROBIOLOGY_TESTS, MethodSuitability, QCResult, QCRunControls

TEST_TYPES = tuple(code for code, _label in MICROBIOLOGY_TESTS)
# Ph. Eur. 2.6.14 / JP 4.01 (and USP <85>): the positive product control must recover 50-200 % of
# the endotoxin spiked into the sample for the test to be valid (the same range the test for
# interfering factors asks of a method suitability record).
RECOVERY_LOW = Decimal("50")
RECOVERY_HIGH = Decimal("200")


def recovery_in_range(recovery: Decimal) -> bool:
    return RECOVERY_LOW <= recovery <= RECOVERY_HIGH


def invalid_reasons(*, positive: bool | None, recovery: Decimal | None, negative: bool | None) -> list[str]:
    """Why a run's controls fail it, in the current language (empty: the run is valid)."""
    reasons = []
    if positive is False:
        reasons.append(_("the positive control was not detected"))
    if recovery is not None and not recovery_in_range(recovery):
        reasons.append(
            _("the positive product control recovered {recovery} %, outside 50-200 %").format(
                recovery=recovery.normalize()
            )
        )
    if negative:
        reasons.append(_("the negative control was detected"))
    return reasons


def test_type_of(attribute) -> str | None:
    """ "sterility", "endotoxin" or "mycoplasma" when the attribute is such a test, else None: its
    coded test category, inferred from its code and name for attributes made before categories."""
    category = attribute.category or vocabulary.infer_category(attribute.code, attribute.name)
    return category if category in TEST_TYPES else None


def same_method(a: str, b: str) -> bool:
    """One method however it is spaced or capitalised ("JP 4.06" = "jp  4.06")."""
    return _normal(a) == _normal(b)


def _normal(method: str) -> str:
    return re.sub(r"\s+", " ", (method or "").strip()).casefold()


@readonce.shared  # asked for each sterility, endotoxin or mycoplasma row of an import
def suitability_in_force(product_id: int, test_type: str, method: str) -> MethodSuitability | None:
    """The latest approved method suitability record of the product for this test and method (by
    the day it was performed), suitable or not; None when there is none."""
    approved = MethodSuitability.objects.filter(
        product_id=product_id, test_type=test_type, status="approved"
    ).order_by("-performed_on", "-id")
    for record in approved:
        if same_method(record.method, method):
            return record
    return None


def suitability_list(*, product_id: int | None = None, status: str = ""):
    query = MethodSuitability.objects.select_related("product", "analyst", "approved_by")
    if product_id:
        query = query.filter(product_id=product_id)
    if status:
        query = query.filter(status=status)
    return query.order_by("product__code", "test_type", "-performed_on", "-id")


def get_suitability(pk: int) -> MethodSuitability | None:
    return (
        MethodSuitability.objects.select_related("product", "analyst", "recorded_by", "approved_by")
        .filter(pk=pk)
        .first()
    )


def controls_of(result: QCResult) -> QCRunControls | None:
    try:
        return result.run_controls
    except QCRunControls.DoesNotExist:
        return None


def controls_by_result(result_ids) -> dict[int, QCRunControls]:
    """The run controls of these results, by result id (one query, for the lot page)."""
    return {c.result_id: c for c in QCRunControls.objects.filter(result_id__in=list(result_ids))}


def controls_text(controls: QCRunControls) -> str:
    """The run's controls as the lot page shows them, in the current language."""
    parts = []
    if controls.positive_detected is not None:
        shown = _("detected") if controls.positive_detected else _("not detected")
        parts.append(_("positive control: {shown}").format(shown=shown))
    if controls.positive_recovery_pct is not None:
        parts.append(
            _("positive product control recovery: {recovery} %").format(
                recovery=controls.positive_recovery_pct.normalize()
            )
        )
    shown = _("detected") if controls.negative_detected else _("not detected")
    parts.append(_("negative control: {shown}").format(shown=shown))
    return " · ".join(parts)


def known_methods() -> list[str]:
    """The methods of the sterility, endotoxin and mycoplasma attributes of every specification (the
    record form offers them, so a record names the method exactly as results do)."""
    from evqms.dossier.models import SpecAttribute

    seen = {}
    for attribute in SpecAttribute.objects.only("code", "name", "category", "method"):
        if test_type_of(attribute) and attribute.method.strip():
            seen.setdefault(_normal(attribute.method), attribute.method.strip())
    return sorted(seen.values())


def pending_count() -> int:
    return MethodSuitability.objects.filter(status="pending").count()
