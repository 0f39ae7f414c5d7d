from django.urls import path

from evqms.audit import views

app_name = "audit"
urlpatterns = [path("", views.trail, name="trail")]
