from django.urls import path

from evqms.web import identifier_views, views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tasks/", views.my_tasks, name="tasks"),
    path("search/", views.find, name="search"),
    path("scan/", views.scan, name="scan"),
    path("identifiers/", identifier_views.identifier_check, name="identifier-check"),
]
