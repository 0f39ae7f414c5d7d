from django.urls import path

from evqms.reports import views

app_name = "reports"
urlpatterns = [
    path("coa/<lot:number>.pdf", views.coa_pdf, name="coa"),
    path("safety/<adverse_event:number>.pdf", views.safety_report_pdf, name="safety-pdf"),
    path("safety/<adverse_event:number>.json", views.safety_report_e2b, name="safety-e2b"),
    path("evidence/<product:code>/", views.evidence_page, name="evidence"),
    path("evidence/<product:code>/yearly.pdf", views.evidence_yearly_pdf, name="evidence-yearly"),
    path("evidence/<product:code>/registry.zip", views.evidence_registry, name="evidence-registry"),
    path("evidence/<product:code>/<int:year>/", views.evidence_yearly_page, name="evidence-yearly-page"),
    path(
        "evidence/<product:code>/<int:year>/issue/", views.evidence_yearly_issue, name="evidence-yearly-issue"
    ),
]
