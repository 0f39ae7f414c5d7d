import importlib

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

urlpatterns = [
    path("", include("evqms.web.urls")),
    path("accounts/", include("evqms.accounts.urls")),
    path("audit/", include("evqms.audit.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("i18n/js/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("evqms.api_urls")),
]

# Areas built later mount themselves here when present.
for _app, _prefix in (
    ("dossier", "dossier/"),
    ("lots", "lots/"),
    ("inventory", "inventory/"),
    ("clinical", "clinical/"),
    ("trace", "trace/"),
    ("studies", "studies/"),
    ("compliance", "compliance/"),
    ("reports", "reports/"),
    ("landscape", "landscape/"),
):
    try:
        importlib.import_module(f"evqms.{_app}.urls")
    except ModuleNotFoundError:
        continue
    urlpatterns.append(path(_prefix, include(f"evqms.{_app}.urls")))
