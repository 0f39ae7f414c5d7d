"""Read-only landscape API under /api/v1/landscape/: the same figures as the pages, as of a
date (`?as_of=YYYY-MM-DD`, default today), each with its source, query and date."""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from evqms.accounts.rules import require
from evqms.errors import InputError
from evqms.i18n import gettext
from evqms.landscape import selectors

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="YYYY-MM-DD (default today)")


def _as_of(request) -> dt.date:
    require(request.user, "landscape.view")
    text = request.query_params.get("as_of")
    if not text:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            gettext("not a date (YYYY-MM-DD): {value}").format(value=text), where="as_of"
        ) from None


@extend_schema(parameters=[AS_OF], responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def trials_report(request):
    """Counts by phase and category, late-phase therapeutic trials, every trial's classification."""
    report = selectors.trials_report_as_of(_as_of(request))
    return Response(report)


@extend_schema(parameters=[AS_OF], responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def pubmed_series(request):
    """PubMed records per publication year: the latest series of each query retrieved by the date."""
    series = selectors.pubmed_as_of(_as_of(request))
    return Response(
        [
            {
                "name": s["name"],
                "query": s["query"],
                "source": s["source"],
                "retrieved_on": s["retrieved_on"].isoformat(),
                "counts": [{"year": c["year"], "count": c["count"]} for c in s["counts"]],
                "total": s["total"],
            }
            for s in series
        ]
    )


@extend_schema(parameters=[AS_OF], responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def clinic_survey(request):
    """The latest clinic-survey run on or before the date: summary, results with reasons, institutions."""
    run = selectors.clinic_run_as_of(_as_of(request))
    if run is None:
        return Response({"error": gettext("No clinic survey on or before this date.")}, status=404)
    report = selectors.clinic_report(run)
    report.update(
        {
            "surveyed_on": run.surveyed_on.isoformat(),
            "source": run.source,
            "queries": run.queries,
            "input": run.input_name,
            "sha256": run.sha256,
        }
    )
    return Response(report)


urlpatterns = [
    path("landscape/trials/report/", trials_report, name="landscape-api-trials-report"),
    path("landscape/pubmed/", pubmed_series, name="landscape-api-pubmed"),
    path("landscape/clinics/", clinic_survey, name="landscape-api-clinics"),
]
