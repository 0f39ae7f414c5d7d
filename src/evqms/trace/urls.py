from django.urls import path

from evqms.trace import views

app_name = "trace"
urlpatterns = [
    path("", views.index, name="index"),
    path("recall/<str:lot>/", views.recall, name="recall"),
    path("recalls/<str:number>/", views.recall_detail, name="recall-detail"),
    path("recalls/<str:number>/recipients.csv", views.recall_csv, name="recall-csv"),
    path("recalls/<str:number>/recipients.pdf", views.recall_pdf, name="recall-pdf"),
    path("<str:direction>/<str:code>/", views.trace_page, name="trace"),
]
