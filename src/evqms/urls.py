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
    path("changes/", include("evqms.changes.urls")),
    path("dossier/", include("evqms.dossier.urls")),
    path("equipment/", include("evqms.equipment.urls")),
    path("lots/", include("evqms.lots.urls")),
    path("deviations/", include("evqms.capa.deviation_urls")),
    path("capa/", include("evqms.capa.urls")),
    path("environment/", include("evqms.environment.urls")),
    path("training/", include("evqms.training.urls")),
    path("inventory/", include("evqms.inventory.urls")),
    path("clinical/", include("evqms.clinical.urls")),
    path("trace/", include("evqms.trace.urls")),
    path("studies/", include("evqms.studies.urls")),
    path("compliance/", include("evqms.compliance.urls")),
    path("reports/", include("evqms.reports.urls")),
    path("landscape/", include("evqms.landscape.urls")),
]
