"""Safety-report pages: the reports due (and made), one report with its clock and the signed
record of its submission."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evqms.clinical import forms, selectors, services
from evqms.clinical.listings import SAFETY_REPORTS
from evqms.clinical.services.safety import clock
from evqms.core.views import attempt, require
from evqms.i18n import _


def safety_report_list(request):
    require(request, "clinical.view")
    table = SAFETY_REPORTS.table(request, selectors.safety_reports())
    if table.export_format:
        return table.export()
    return render(
        request,
        "clinical/safety_report_list.html",
        {
            "rows": table.rows,
            "table": table,
            "show_patients": request.user.has_perm("clinical.view_patient_codes"),
        },
    )


@require_http_methods(["GET", "POST"])
def safety_report_detail(request, number: str):
    require(request, "clinical.view")
    report = selectors.get_safety_report(number)
    if report is None:
        raise Http404
    form = forms.SubmissionForm(request.POST or None, initial={"submitted_to": _("Certified committee")})
    if request.method == "POST":
        require(request, "clinical.record_safety_report")

        def submit(data):
            return services.record_submission(request=request, actor=request.user, report=report, **data)

        if attempt(request, form, submit, success=_("Submission recorded and signed.")):
            return redirect(reverse("clinical:safety-report-detail", args=[number]))
    return render(
        request,
        "clinical/safety_report_detail.html",
        {
            "report": report,
            "clock": clock(report),
            "form": form,
            "can_submit": request.user.has_perm("clinical.record_safety_report"),
        },
    )
