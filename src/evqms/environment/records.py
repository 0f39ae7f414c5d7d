"""Plain-dict records of environmental-monitoring rows: the before/after of their audit events."""

from __future__ import annotations

from evqms.environment.models import LimitSetting, Sample, SamplingPoint, Schedule


def _iso(value):
    return value.isoformat() if value is not None else None


def _str(value):
    return str(value) if value is not None else None


def number_text(value) -> str | None:
    """A stored decimal as plain text without trailing zeros ('10', not '10.000'): the same before
    and after the row is read back."""
    from decimal import Decimal

    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def limit_setting_record(setting: LimitSetting) -> dict:
    return {
        "grade": setting.grade,
        "method": setting.method,
        "occupancy": setting.occupancy,
        "alert": number_text(setting.alert),
        "action": number_text(setting.action),
        "alert_source": setting.alert_source,
        "action_source": setting.action_source,
        "reference": setting.reference,
        "effective_from": _iso(setting.effective_from),
        "reason": setting.reason,
    }


def sampling_point_record(point: SamplingPoint) -> dict:
    return {
        "code": point.code,
        "room": point.room.code,
        "location": point.location,
        "methods": list(point.methods),
        "active": point.active,
    }


def schedule_record(schedule: Schedule) -> dict:
    return {
        "point": schedule.point.code,
        "method": schedule.method,
        "occupancy": schedule.occupancy,
        "frequency": schedule.frequency,
        "starts_on": _iso(schedule.starts_on),
        "active": schedule.active,
    }


def sample_record(sample: Sample) -> dict:
    return {
        "number": sample.number,
        "point": sample.point.code,
        "method": sample.method,
        "occupancy": sample.occupancy,
        "due_on": _iso(sample.due_on),
        "status": sample.status,
        "missed_reason": sample.missed_reason or None,
        "count": sample.count,
        "exposure_minutes": sample.exposure_minutes,
        "volume_litres": _str(sample.volume_litres),
        "particles_per_m3": sample.particles_per_m3,
        "value": _str(sample.value),
        "sampled_at": _iso(sample.sampled_at),
        "sampled_by": sample.sampled_by.username if sample.sampled_by_id else None,
        "verdict": sample.verdict or None,
        "limits": sample.limits,
        "import_sha256": sample.import_sha256 or None,
        "deviation": sample.deviation.number if sample.deviation_id else None,
        "reviewed_by": sample.reviewed_by.username if sample.reviewed_by_id else None,
        "review_note": sample.review_note or None,
    }
