from django.urls import path

from evqms.lots import views
from evqms.lots.views import qc_import, suitability

app_name = "lots"
urlpatterns = [
    path("", views.lot_list, name="lot-list"),
    # before "<lot:number>/": "suitability" would read as a lot number
    path("suitability/", suitability.suitability_list, name="suitability-list"),
    path("suitability/new/", suitability.suitability_record, name="suitability-record"),
    path(
        "suitability/<method_suitability:number>/", suitability.suitability_detail, name="suitability-detail"
    ),
    path(
        "suitability/<method_suitability:number>/approve/",
        suitability.suitability_approve,
        name="suitability-approve",
    ),
    path("new/", views.lot_create, name="lot-create"),
    path("qc/verify/", views.qc_verify_select, name="qc-verify-select"),
    path("qc/verify/review/", views.qc_verify_review, name="qc-verify-review"),
    path("qc-import/", qc_import.qc_import, name="qc-import"),
    path("qc-import/template/<int:spec_id>/<str:fmt>/", qc_import.qc_template_download, name="qc-template"),
    path("qc-import/mappings/", qc_import.qc_mappings, name="qc-mappings"),
    path("qc-import/mappings/<int:mapping_id>/", qc_import.qc_mappings, name="qc-mapping-edit"),
    path("<lot:number>/", views.lot_detail, name="lot-detail"),
    path("<lot:number>/materials/", views.material_add, name="material-add"),
    path("<lot:number>/steps/<int:step_id>/", views.step_record, name="step-record"),
    path("<lot:number>/submit-to-qc/", views.submit_qc, name="submit-qc"),
    path("<lot:number>/qc/<int:attribute_id>/", views.qc_entry, name="qc-entry"),
    path("<lot:number>/qc/grid/", views.qc_grid, name="qc-grid"),
    path("<lot:number>/results/<int:result_id>/raw/", views.qc_raw_file, name="qc-raw"),
    path("<lot:number>/results/<int:result_id>/retest/", views.qc_retest, name="qc-retest"),
    path("<lot:number>/results/<int:result_id>/verify/", views.qc_verify, name="qc-verify"),
    path("<lot:number>/results/<int:result_id>/invalidate/", views.qc_invalidate, name="qc-invalidate"),
    path("<lot:number>/qc-import/", qc_import.qc_import_lot, name="qc-import-lot"),
    path("<lot:number>/qc-import/template/<str:fmt>/", qc_import.qc_template_lot, name="qc-template-lot"),
    path("<lot:number>/complete-qc/", views.complete_qc, name="complete-qc"),
    path("<lot:number>/deviations/", views.deviation_open, name="deviation-open"),
    path("<lot:number>/expiry/", views.set_expiry, name="set-expiry"),
    path("<lot:number>/release/", views.release, name="release"),
    path("<lot:number>/reject/", views.reject, name="reject"),
]
