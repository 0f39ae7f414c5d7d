"""The deviation pages (mounted at /deviations/): a deviation is a lots record, worked here because
its closure reads the CAPA linked to it."""

from django.urls import path

from evqms.capa import views

app_name = "deviations"

urlpatterns = [
    path("", views.deviation_list, name="list"),
    path("new/", views.deviation_new, name="new"),
    path("<deviation:number>/", views.deviation_detail, name="detail"),
]
