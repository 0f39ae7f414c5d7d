from django.urls import path

from evqms.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("session/ping/", views.session_ping, name="session-ping"),
    path("tokens/", views.my_tokens, name="my-tokens"),
    path("notifications/", views.notifications, name="notifications"),
    path("users/", views.user_list, name="user-list"),
    path("users/<username:username>/", views.user_detail, name="user-detail"),
]
