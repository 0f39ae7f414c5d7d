"""Forms parse input; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evqms.core.uploads import validate_upload_size
from evqms.environment import limits as L
from evqms.environment.models import FREQUENCIES

SOURCES = [("site", _("set by the site")), ("annex1", _("EU GMP Annex 1 / PIC/S"))]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def method_choices():
    return [(m, L.method_label(m)) for m in L.METHODS]


def state_choices():
    return [("in_operation", L.occupancy_label("in_operation")), ("at_rest", L.occupancy_label("at_rest"))]


class ResultFields(forms.Form):
    sampled_at = forms.DateTimeField(
        label=_("Sampled at"),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    count = forms.IntegerField(label=_("Colony count (cfu)"), required=False, min_value=0)
    exposure_minutes = forms.IntegerField(
        label=_("Exposure (minutes)"), required=False, min_value=1, help_text=_("settle plates: at most 240")
    )
    volume_litres = forms.DecimalField(
        label=_("Volume sampled (L)"),
        required=False,
        max_digits=10,
        decimal_places=2,
        help_text=_("active air"),
    )
    particles_per_m3 = forms.IntegerField(label=_("Particles per m³"), required=False, min_value=0)


class ResultForm(ResultFields):
    """A result at a point without a due sample (or for one, found by point, method and day)."""

    point = forms.ChoiceField(label=_("Sampling point"), choices=())
    method = forms.ChoiceField(label=_("Method"), choices=())
    occupancy = forms.ChoiceField(label=_("Room state"), choices=())
    field_order = ["point", "method", "occupancy", "sampled_at", "count", "exposure_minutes", "volume_litres",
                   "particles_per_m3"]  # fmt: skip

    def __init__(self, *args, points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].choices = [("", "—")] + [
            (str(p.pk), f"{p.code} — {p.room.code} ({p.room.grade}) {p.location}") for p in points
        ]
        self.fields["method"].choices = method_choices()
        self.fields["occupancy"].choices = state_choices()


class MissedForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason not taken"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Review"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


class LimitForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=[(g, g) for g in L.GRADES])
    method = forms.ChoiceField(label=_("Method"), choices=())
    occupancy = forms.ChoiceField(label=_("Room state"), choices=())
    alert = forms.DecimalField(
        label=_("Alert limit"), required=False, max_digits=14, decimal_places=3, min_value=0
    )
    alert_source = forms.ChoiceField(label=_("Alert limit source"), choices=SOURCES, initial="site")
    action = forms.DecimalField(
        label=_("Action limit"), required=False, max_digits=14, decimal_places=3, min_value=0
    )
    action_source = forms.ChoiceField(label=_("Action limit source"), choices=SOURCES, initial="site")
    reference = forms.CharField(label=_("Reference"), max_length=300, required=False,
                                help_text=_("the document that sets it, e.g. the contamination control strategy"))  # fmt: skip
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = method_choices()
        self.fields["occupancy"].choices = [("any", L.occupancy_label("any")), *state_choices()]


class PointForm(forms.Form):
    room = forms.ChoiceField(label=_("Room"), choices=())
    code = forms.CharField(label=_("Code"), max_length=40)
    location = forms.CharField(label=_("Sampling location"), max_length=300)
    methods = forms.MultipleChoiceField(label=_("Methods"), choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [("", "—")] + [
            (r.code, f"{r.code} — {r.name} ({r.grade})") for r in rooms
        ]
        self.fields["methods"].choices = method_choices()


class ScheduleForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=())
    occupancy = forms.ChoiceField(label=_("Room state"), choices=())
    frequency = forms.ChoiceField(label=_("Frequency"), choices=FREQUENCIES)
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, point=None, **kwargs):
        super().__init__(*args, **kwargs)
        methods = point.methods if point is not None else L.METHODS
        self.fields["method"].choices = [(m, L.method_label(m)) for m in methods]
        self.fields["occupancy"].choices = state_choices()


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Results file (CSV)"), validators=[validate_upload_size])
