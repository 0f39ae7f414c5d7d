"""What the lot service tests share: a QC result recorded now, a lot made and submitted to QC."""

from django.utils import timezone

from evqms.lots import services
from evqms.testing.world import passing_controls

NOW = timezone.now


def record(world, lot, code, value=None, unit="", text="", **kw):
    kw.setdefault("controls", passing_controls(world.attr(code)))
    return services.record_qc_result(
        actor=kw.pop("actor", world.analyst),
        lot=lot,
        attribute=world.attr(code),
        value=value,
        unit=unit,
        text_value=text,
        tested_at=NOW(),
        **kw,
    )


def qc_lot(world, number="UCEV-T-001"):
    return world.manufacture(world.new_lot(number))
