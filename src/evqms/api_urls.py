"""/api/v1/: every area's API routes, plus the OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("token/", obtain_auth_token, name="api-token"),
    *(
        path("", include(f"evqms.{app}.api"))
        for app in ("dossier", "lots", "inventory", "clinical", "trace", "landscape", "studies")
    ),
]
