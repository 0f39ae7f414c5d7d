"""/api/v1/: every area's API routes, plus the OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from evqms.accounts.api import TokenView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("token/", TokenView.as_view(), name="api-token"),
    *(
        path("", include(f"evqms.{app}.api"))
        for app in (
            "changes",
            "dossier",
            "lots",
            "capa",
            "equipment",
            "inventory",
            "clinical",
            "trace",
            "landscape",
            "studies",
            "reports",
            "environment",
            "training",
            "audit",
        )
    ),
]
