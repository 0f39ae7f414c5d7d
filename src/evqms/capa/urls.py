from django.urls import path

from evqms.capa import views

app_name = "capa"

urlpatterns = [
    path("", views.capa_list, name="list"),
    path("new/", views.capa_new, name="new"),
    path("<capa:number>/", views.capa_detail, name="detail"),
]
