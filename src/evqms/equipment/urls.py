from django.urls import path

from evqms.equipment import views

app_name = "equipment"
urlpatterns = [
    path("", views.register, name="register"),
    path("rooms/", views.room_list, name="room-list"),
    path("rooms/<room:code>/", views.room_detail, name="room-detail"),
    path("instruments/<instrument:identifier>/", views.instrument_detail, name="instrument-detail"),
    path(
        "instruments/<instrument:identifier>/calibrations/<int:pk>/certificate",
        views.certificate,
        name="certificate",
    ),
]
