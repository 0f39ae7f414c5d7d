"""The environmental-monitoring demo: points in the graded rooms, a month of results up to
yesterday, one missed sample with its reason, one action-level excursion in the grade B room on
the day a lot was made there (its deviation names that lot), today's samples left due; idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.accounts import roles
from evqms.environment import demo
from evqms.environment.models import Sample, SamplingPoint
from evqms.testing import factories

pytestmark = pytest.mark.django_db


def test_demo_loads_a_month_with_one_excursion_naming_the_lot(rooms, step_in_room):
    users = {
        "qa": factories.user("qa", roles.QA_REVIEWER),
        "analyst": factories.user("analyst", roles.QC_ANALYST),
        "analyst2": factories.user("analyst2", roles.QC_ANALYST),
    }
    made_on = timezone.localdate() - dt.timedelta(days=12)
    lot = factories.lot("UCEV-26-010")
    start = timezone.make_aware(dt.datetime.combine(made_on, dt.time(9)))
    step_in_room(lot, rooms["B"], start, start + dt.timedelta(hours=4))

    demo.load(users)

    assert SamplingPoint.objects.count() == 3
    actions = Sample.objects.filter(verdict="action")
    assert actions.count() == 1
    excursion = actions.get()
    assert excursion.point.room == rooms["B"] and excursion.sampled_at.date() == made_on
    assert [x.number for x in excursion.deviation.affected_lots.all()] == ["UCEV-26-010"]
    assert excursion.deviation.status == "open" and excursion.deviation.classification == "critical"
    assert Sample.objects.filter(status="missed").exclude(missed_reason="").count() == 1
    today = timezone.localdate()
    assert not Sample.objects.filter(status="due", due_on__lt=today).exists()  # history complete
    taken = Sample.objects.filter(status="taken")
    assert taken.count() > 60
    assert min(s.due_on for s in taken) <= today - dt.timedelta(days=28)

    demo.load(users)  # idempotent
    assert Sample.objects.filter(verdict="action").count() == 1
