"""The demo's training file: every aseptic step record was made by an operator qualified that day,
and the operator whose media fill lapsed is refused the waiting aseptic step, naming it."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from evqms.core.timefmt import local_date
from evqms.lots import services as lots
from evqms.lots.models import Lot, StepRecord
from evqms.training.selectors import NotQualified, qualification_problems, tasks_for
from evqms.training.services import add_months
from evqms.web.demo import load_demo

pytestmark = pytest.mark.django_db


def test_demo_aseptic_records_were_qualified_and_operator2_is_refused():
    load_demo()
    aseptic = StepRecord.objects.filter(step__aseptic=True).select_related("step", "operator")
    assert aseptic.count() == 8  # sterile filtration and fill of the four lots made to the end
    assert {r.step.sop for r in aseptic} == {"SOP-EV-001"}
    for record in aseptic:
        assert (
            qualification_problems(record.operator, step=record.step, on=local_date(record.started_at)) == []
        )
    lot = Lot.objects.get(number="UCEV-24-005")
    assert lot.status == "in_process"
    step = lot.process.steps.get(kind="sterile_filtration")
    operator2 = get_user_model().objects.get(username="operator2")
    lapsed = add_months(timezone.localdate() - dt.timedelta(days=200), 6)
    start = timezone.now() - dt.timedelta(hours=2)
    with pytest.raises(NotQualified) as exc:
        lots.record_step(actor=operator2, lot=lot, step=step, started_at=start, finished_at=start)
    assert (
        str(exc.value)
        == f"Kobayashi Sho (Operator)'s media fill qualification expired on {lapsed.isoformat()}"
    )
    operator = get_user_model().objects.get(username="operator")
    assert qualification_problems(operator, step=step, on=timezone.localdate()) == []
    titles = [t.title for t in tasks_for(get_user_model().objects.get(username="qa"))]
    assert "Train Sato Hanako (Operator) on SOP-GOWN-001 v2 (trained on v1)" in titles
    assert any(t.startswith("Media fill requalification of Kobayashi Sho (Operator)") for t in titles)
