from django.urls import path

from evqms.studies import views

app_name = "studies"

urlpatterns = [
    path("", views.index, name="index"),
    path("nta/lot/<lot:lot_number>/", views.nta_upload, name="nta-upload"),
    path("nta/lot/<lot:lot_number>/preview/", views.nta_preview, name="nta-preview"),
    path("nta/<int:pk>/", views.nta_detail, name="nta-detail"),
    path("nta/<int:pk>/size.svg", views.nta_svg, name="nta-svg"),
    path("potency/new/", views.assay_create, name="assay-create"),
    path("potency/<int:pk>/", views.assay_detail, name="assay-detail"),
    path("potency/run/<int:pk>/", views.run_detail, name="run-detail"),
    path("potency/run/<int:pk>/curves.svg", views.run_svg, name="run-svg"),
    path("trend/<product:product_code>/<slug:code>/", views.trend, name="trend"),
    path("trend/<product:product_code>/<slug:code>/chart.svg", views.trend_svg, name="trend-svg"),
    path("stability/new/", views.stability_create, name="stability-create"),
    path("stability/<int:pk>/", views.stability_detail, name="stability-detail"),
    path("stability/<int:pk>/plot.svg", views.stability_svg, name="stability-svg"),
    path("biodistribution/new/", views.biodistribution_create, name="biodistribution-create"),
    path("dose-response/new/", views.dose_response_create, name="dose-response-create"),
]
