from django.urls import path

from evqms.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("events/<int:seq>/", views.event_detail, name="event"),
    path("export.csv", views.export_csv, name="export-csv"),
    path("export.pdf", views.export_pdf, name="export-pdf"),
]
