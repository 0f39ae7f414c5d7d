"""/api/v1/: every area's API routes, plus the OpenAPI schema."""

import importlib

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("token/", obtain_auth_token, name="api-token"),
]
for _app in (
    "accounts",
    "audit",
    "dossier",
    "lots",
    "inventory",
    "clinical",
    "trace",
    "studies",
    "compliance",
    "landscape",
):
    try:
        importlib.import_module(f"evqms.{_app}.api")
    except ModuleNotFoundError:
        continue
    urlpatterns.append(path("", include(f"evqms.{_app}.api")))
