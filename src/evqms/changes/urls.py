from django.urls import path

from evqms.changes import views

app_name = "changes"

urlpatterns = [
    path("", views.change_list, name="list"),
    path("new/", views.change_new, name="new"),
    path("<change_request:number>/", views.change_detail, name="detail"),
]
