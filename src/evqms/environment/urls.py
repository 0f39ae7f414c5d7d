from django.urls import path

from evqms.environment import views

app_name = "environment"
urlpatterns = [
    path("", views.index, name="index"),
    path("limits/", views.limits_page, name="limits"),
    path("schedule/", views.schedule, name="schedule"),
    path("samples/<slug:number>/", views.sample, name="sample"),
    path("results/new/", views.result_entry, name="result-entry"),
    path("results/import/", views.import_page, name="import"),
    path("points/new/", views.point_create, name="point-create"),
    path("points/<int:pk>/", views.point, name="point"),
    path("points/<int:pk>/trend/<slug:method>/", views.trend, name="trend"),
]
