from django.urls import path

from evqms.reports import views

app_name = "reports"
urlpatterns = [path("coa/<lot:number>.pdf", views.coa_pdf, name="coa")]
