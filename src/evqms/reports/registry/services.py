"""Exporting the registry datasets of a product: a read, but one that sends clinical data out of
the system, so it is checked (`clinical.view`, the permission of the evidence page it starts from)
and audited: who exported which product over which period, and the SHA-256 of the zip and of each
file in it, so a copy found later can be matched to its export."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.reports.registry.datasets import registry_rows
from evqms.reports.registry.package import RegistryPackage, build_package
from evqms.reports.registry.period import ExportPeriod, parse_period

PERMISSION = "clinical.view"


@transaction.atomic
def export_registry(
    *, actor, product, date_from=None, date_to=None, lang: str = "ja", now=None
) -> RegistryPackage:
    """The zip of `product`'s registry datasets over the period (`date_from`/`date_to`: texts or
    dates, both days included, either may be blank). InputError naming `from` or `to` for a bad
    period; one audit event `registry.export` on the product."""
    require(actor, PERMISSION)
    period: ExportPeriod = parse_period(date_from, date_to)
    now = now or timezone.now()
    rows = registry_rows(product, period)  # one transaction: the files agree with each other
    package = build_package(product, period, rows, now=now, lang=lang)
    record_event(
        actor=actor,
        action="registry.export",
        object_type="product",
        object_id=product.pk,
        after={
            "product": product.code,
            "period": period.record(),
            "file": package.filename,
            "sha256": package.sha256,
            "rows": package.rows,
            "files": package.files,
        },
    )
    return package
