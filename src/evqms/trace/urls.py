from django.urls import path

from evqms.trace import views

app_name = "trace"
urlpatterns = [
    path("", views.index, name="index"),
    path("holds/new/", views.hold_new, name="hold-new"),
    path("holds/<hold:number>/", views.hold_detail, name="hold-detail"),
    path("adverse-events/<adverse_event:number>/hold/", views.event_hold, name="event-hold"),
    path("adverse-events/<adverse_event:number>/holds/", views.event_hold_list, name="event-holds"),
    path("recall/<lot:lot>/", views.recall, name="recall"),
    path("recalls/<recall:number>/", views.recall_detail, name="recall-detail"),
    path("recalls/<recall:number>/recipients.csv", views.recall_csv, name="recall-csv"),
    path("recalls/<recall:number>/recipients.pdf", views.recall_pdf, name="recall-pdf"),
    path("<slug:direction>/<identifier:code>/", views.trace_page, name="trace"),
]
