from django.urls import path

from evqms.training import views

app_name = "training"
urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("record/", views.record_training, name="record"),
    path("people/<username:username>/", views.person, name="person"),
    path("records/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("media-fills/", views.media_fill_list, name="media-fill-list"),
    path("media-fills/new/", views.media_fill_record, name="media-fill-record"),
    path("media-fills/<int:pk>/", views.media_fill_detail, name="media-fill-detail"),
]
