"""Environmental-monitoring pages: rooms and points, limits, the schedule with due and missed
samples, a sample (result, missed, review), result entry, import, a point's trend."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core.views import attempt, page_language, require
from evqms.environment import forms, importer, selectors, services
from evqms.environment import limits as L
from evqms.environment.listings import POINTS, SAMPLES
from evqms.environment.models import Sample, SamplingPoint
from evqms.equipment.models import Room
from evqms.i18n import _


def index(request):
    require(request, "environment.view")
    table = POINTS.table(request, selectors.points())
    if table.export_format:
        return table.export()
    return render(
        request,
        "environment/index.html",
        {
            "table": table,
            "rooms": selectors.rooms_with_points(),
            "to_review": selectors.to_review()[:50],
            "overdue": selectors.overdue_samples()[:50],
            "recent": selectors.recent_results(20),
            "can_manage": request.user.has_perm("environment.manage"),
            "can_record": request.user.has_perm("environment.record"),
        },
    )


@require_http_methods(["GET", "POST"])
def limits_page(request):
    require(request, "environment.view")
    can_set = request.user.has_perm("environment.set_limits")
    form = forms.LimitForm(request.POST or None) if can_set else None
    if request.method == "POST":
        require(request, "environment.set_limits")

        def save(data):
            return services.set_limit(actor=request.user, **data)

        if attempt(request, form, save, success=_("The new limit is in force from now.")):
            return redirect("environment:limits")
    lang = page_language(request)
    rows = selectors.limits_table()
    for row in rows:
        row["alert_reference_text"] = row["alert_reference"].get(lang) or row["alert_reference"].get("en", "")
        row["action_reference_text"] = row["action_reference"].get(lang) or row["action_reference"].get(
            "en", ""
        )
    from evqms.environment.models import LimitSetting

    history = LimitSetting.objects.select_related("set_by").order_by("-effective_from", "-id")[:50]
    return render(request, "environment/limits.html", {"rows": rows, "form": form, "history": history})


def _period(request) -> tuple[dt.date, dt.date]:
    # by default the past week and the next: what was missed and what falls due
    start = selectors.today() - dt.timedelta(days=7)
    try:
        if request.GET.get("start"):
            start = dt.date.fromisoformat(request.GET["start"])
        end = start + dt.timedelta(days=13)
        if request.GET.get("end"):
            end = dt.date.fromisoformat(request.GET["end"])
    except ValueError:
        raise Http404 from None
    if end < start or (end - start).days > 92:
        raise Http404
    return start, end


@require_http_methods(["GET", "POST"])
def schedule(request):
    require(request, "environment.view")
    start, end = _period(request)
    can_plan = request.user.has_perm("environment.plan")
    form = forms.PlanForm(request.POST or None, initial={"start": start, "end": end}) if can_plan else None
    if request.method == "POST":
        require(request, "environment.plan")

        def plan(data):
            return services.plan_samples(actor=request.user, start=data["start"], end=data["end"])

        if attempt(
            request, form, plan, success=lambda made: _("{n} due samples planned.").format(n=len(made))
        ):
            d = form.cleaned_data
            return redirect(f"{reverse('environment:schedule')}?start={d['start']}&end={d['end']}")
    table = SAMPLES.table(request, selectors.period_samples(start, end))
    if request.method == "GET" and table.export_format:
        return table.export()
    samples = list(table.rows)
    today = selectors.today()
    for s in samples:
        s.overdue = s.status == "due" and s.due_on < today
    return render(
        request,
        "environment/schedule.html",
        {
            "samples": samples,
            "table": table,
            "start": start,
            "end": end,
            "today": today,
            "form": form,
            "previous": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "overdue_total": selectors.overdue_samples().count(),
        },
    )


def _sample(number: str) -> Sample:
    return get_object_or_404(
        Sample.objects.select_related(
            "point__room", "sampled_by", "recorded_by", "reviewed_by", "missed_by", "deviation"
        ),
        number=number,
    )


@require_http_methods(["GET", "POST"])
def sample(request, number):
    require(request, "environment.view")
    s = _sample(number)
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    result_form = forms.ResultFields(request.POST if action == "result" else None)
    missed_form = forms.MissedForm(request.POST if action == "missed" else None)
    review_form = forms.ReviewForm(request.POST if action == "review" else None)
    if action in ("result", "missed"):
        require(request, "environment.record")
    if action == "review":
        require(request, "environment.review")
    done = None
    if action == "result":
        done = attempt(
            request, result_form,
            lambda d: services.record_result(actor=user, sample=s, **d),
            success=_("Result recorded."),
        )  # fmt: skip
    elif action == "missed":
        done = attempt(
            request, missed_form,
            lambda d: services.record_missed(actor=user, sample=s, reason=d["reason"]),
            success=_("Recorded as missed."),
        )  # fmt: skip
    elif action == "review":
        done = attempt(
            request, review_form,
            lambda d: services.review_result(actor=user, sample=s, note=d["note"]),
            success=_("Review recorded."),
        )  # fmt: skip
    if done:
        return redirect("environment:sample", number=s.number)
    lang = page_language(request)
    limit = s.limits or {}
    return render(
        request,
        "environment/sample.html",
        {
            "s": s,
            "result_form": result_form,
            "missed_form": missed_form,
            "review_form": review_form,
            "can_record": user.has_perm("environment.record") and s.status == "due",
            "can_review": user.has_perm("environment.review")
            and s.verdict in ("alert", "action")
            and not s.reviewed_at,
            "verdict_text": L.verdict_label(s.verdict) if s.verdict else "",
            "alert_text": L.limit_text(limit.get("alert"), s.method) if limit else "",
            "action_text": L.limit_text(limit.get("action"), s.method) if limit else "",
            "alert_reference": (limit.get("alert_reference") or {}).get(lang, ""),
            "action_reference": (limit.get("action_reference") or {}).get(lang, ""),
            "unit": L.method_unit(s.method),
            "overdue": s.status == "due" and s.due_on < selectors.today(),
        },
    )


@require_http_methods(["GET", "POST"])
def result_entry(request):
    require(request, "environment.record")
    points = list(selectors.points().filter(active=True))
    initial = {"point": request.GET.get("point", "")}
    form = forms.ResultForm(request.POST or None, points=points, initial=initial)

    def save(data):
        point = next((p for p in points if str(p.pk) == data.pop("point")), None)
        return services.record_result(actor=request.user, point=point, **data)

    if done := attempt(
        request, form, save, success=lambda s: _("Result {number} recorded: {verdict}.").format(
            number=s.number, verdict=L.verdict_label(s.verdict))
    ):  # fmt: skip
        return redirect("environment:sample", number=done.result.number)
    return render(request, "environment/result_entry.html", {"form": form})


@require_http_methods(["GET", "POST"])
def import_page(request):
    require(request, "environment.record")
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        from evqms.core.uploads import read_upload

        try:
            report = importer.import_results(
                actor=request.user, filename=upload.name, data=read_upload(upload)
            )
        except errors.InputError as exc:
            form.add_error("file", str(exc))
    return render(
        request, "environment/import.html", {"form": form, "report": report, "columns": importer.COLUMNS}
    )


@require_http_methods(["GET", "POST"])
def point_create(request):
    require(request, "environment.manage")
    rooms = list(Room.objects.filter(active=True).order_by("code"))
    form = forms.PointForm(request.POST or None, rooms=rooms, initial={"room": request.GET.get("room", "")})

    def save(data):
        room = next((r for r in rooms if r.code == data["room"]), None)
        if room is None:
            raise errors.InputError(_("choose a room"), where="room")
        return services.create_point(
            actor=request.user,
            room=room,
            code=data["code"],
            location=data["location"],
            methods=data["methods"],
        )

    if done := attempt(request, form, save, success=_("Sampling point created.")):
        return redirect("environment:point", pk=done.result.pk)
    return render(request, "environment/point_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
def point(request, pk):
    require(request, "environment.view")
    p = get_object_or_404(SamplingPoint.objects.select_related("room"), pk=pk)
    can_manage = request.user.has_perm("environment.manage")
    form = forms.ScheduleForm(request.POST or None, point=p) if can_manage else None
    if request.method == "POST":
        require(request, "environment.manage")
        if attempt(
            request, form, lambda d: services.add_schedule(actor=request.user, point=p, **d),
            success=_("Schedule added."),
        ):  # fmt: skip
            return redirect("environment:point", pk=p.pk)
    methods = [{"code": m, "label": L.method_label(m)} for m in p.methods]
    return render(
        request,
        "environment/point.html",
        {
            "p": p,
            "methods": methods,
            "schedules": p.schedules.all(),
            "form": form,
            "samples": p.samples.select_related("deviation").order_by("-due_on", "-id")[:30],
        },  # fmt: skip
    )


def trend(request, pk, method):
    require(request, "environment.view")
    p = get_object_or_404(SamplingPoint.objects.select_related("room"), pk=pk)
    if method not in p.methods:
        raise Http404
    t = selectors.trend(p, method)
    return render(
        request,
        "environment/trend.html",
        {"t": t, "chart_data": selectors.trend_chart_data(t), "text": selectors.trend_text(t)},
    )
