from django.urls import path

from evqms.dossier import views

app_name = "dossier"
urlpatterns = [
    path("", views.product_list, name="product-list"),
    path("new/", views.product_create, name="product-create"),
    path("p/<slug:code>/", views.product_detail, name="product-detail"),
    path("p/<slug:code>/edit/", views.product_edit, name="product-edit"),
    path("p/<slug:code>/process/new/", views.process_new, name="process-new"),
    path("p/<slug:code>/specification/new/", views.specification_new, name="specification-new"),
    path("process/<int:pk>/", views.process_detail, name="process-detail"),
    path("process/<int:pk>/steps/", views.step_add, name="step-add"),
    path("process/<int:pk>/approve/", views.process_approve, name="process-approve"),
    path("step/<int:pk>/parameters/", views.parameter_add, name="parameter-add"),
    path("step/<int:pk>/remove/", views.step_remove, name="step-remove"),
    path("parameter/<int:pk>/remove/", views.parameter_remove, name="parameter-remove"),
    path("specification/<int:pk>/", views.specification_detail, name="specification-detail"),
    path("specification/<int:pk>/attributes/new/", views.attribute_add, name="attribute-add"),
    path("specification/<int:pk>/approve/", views.specification_approve, name="specification-approve"),
    path("attribute/<int:pk>/edit/", views.attribute_edit, name="attribute-edit"),
    path("attribute/<int:pk>/remove/", views.attribute_remove, name="attribute-remove"),
    path("donors/new/", views.donor_create, name="donor-create"),
    path("donors/<int:pk>/edit/", views.donor_edit, name="donor-edit"),
    path("donors/<int:pk>/tests/", views.donor_test, name="donor-test"),
    path("donors/<int:pk>/eligibility/", views.donor_eligibility, name="donor-eligibility"),
    path("cell-banks/new/", views.cell_bank_create, name="cell-bank-create"),
    path("cell-banks/<int:pk>/edit/", views.cell_bank_edit, name="cell-bank-edit"),
    path("materials/new/", views.material_create, name="material-create"),
    path("materials/<int:pk>/edit/", views.material_edit, name="material-edit"),
    path("material-lots/new/", views.material_lot_create, name="material-lot-create"),
    path("material-lots/<int:pk>/decide/", views.material_lot_decide, name="material-lot-decide"),
    path("material-lots/<int:pk>/edit/", views.material_lot_edit, name="material-lot-edit"),
    path("documents/new/", views.document_upload, name="document-upload"),
    path("documents/<int:pk>/approve/", views.document_approve, name="document-approve"),
    path("documents/<int:pk>/download/", views.document_download, name="document-download"),
]
