from django.urls import path

from evqms.clinical import views

app_name = "clinical"
urlpatterns = [
    path("", views.administration_list, name="administration-list"),
    path("administrations/new/", views.administration_create, name="administration-create"),
    path(
        "administrations/<administration:number>/", views.administration_detail, name="administration-detail"
    ),
    path("patients/", views.patient_list, name="patient-list"),
    path("adverse-events/", views.adverse_event_list, name="adverse-event-list"),
    path("adverse-events/new/", views.adverse_event_create, name="adverse-event-create"),
    path("adverse-events/<adverse_event:number>/", views.adverse_event_detail, name="adverse-event-detail"),
    path("outcomes/", views.instrument_uses, name="instrument-uses"),
    path("administrations/<administration:number>/plan-visits/", views.plan_visits, name="plan-visits"),
    path(
        "administrations/<administration:number>/baseline/<int:use>/",
        views.baseline_create,
        name="baseline-create",
    ),
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("safety-reports/", views.safety_report_list, name="safety-report-list"),
    path("safety-reports/<slug:number>/", views.safety_report_detail, name="safety-report-detail"),
]
