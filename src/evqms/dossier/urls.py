from django.urls import path

from evqms.dossier.views import (
    change_requests,
    documents,
    donors,
    materials,
    processes,
    products,
    specifications,
)

app_name = "dossier"
urlpatterns = [
    path("", products.product_list, name="product-list"),
    path("new/", products.product_create, name="product-create"),
    path("p/<product:code>/", products.product_detail, name="product-detail"),
    path("p/<product:code>/edit/", products.product_edit, name="product-edit"),
    path("p/<product:code>/process/new/", processes.process_new, name="process-new"),
    path("p/<product:code>/specification/new/", specifications.specification_new, name="specification-new"),
    path("process/<int:pk>/", processes.process_detail, name="process-detail"),
    path("process/<int:pk>/steps/", processes.step_add, name="step-add"),
    path("process/<int:pk>/approve/", processes.process_approve, name="process-approve"),
    path("process/<int:pk>/materials/", processes.process_materials, name="process-materials"),
    path(
        "process/<int:pk>/change-request/",
        change_requests.process_change_request,
        name="process-change-request",
    ),
    path(
        "specification/<int:pk>/change-request/",
        change_requests.specification_change_request,
        name="specification-change-request",
    ),
    path("step/<int:pk>/parameters/", processes.parameter_add, name="parameter-add"),
    path("step/<int:pk>/remove/", processes.step_remove, name="step-remove"),
    path("parameter/<int:pk>/remove/", processes.parameter_remove, name="parameter-remove"),
    path("specification/<int:pk>/", specifications.specification_detail, name="specification-detail"),
    path("specification/<int:pk>/attributes/new/", specifications.attribute_add, name="attribute-add"),
    path(
        "specification/<int:pk>/approve/", specifications.specification_approve, name="specification-approve"
    ),
    path(
        "specification/<int:pk>/shelf-life/",
        specifications.specification_shelf_life,
        name="specification-shelf-life",
    ),
    path("attribute/<int:pk>/edit/", specifications.attribute_edit, name="attribute-edit"),
    path("attribute/<int:pk>/remove/", specifications.attribute_remove, name="attribute-remove"),
    path("donors/new/", donors.donor_create, name="donor-create"),
    path("donors/<int:pk>/edit/", donors.donor_edit, name="donor-edit"),
    path("donors/<int:pk>/tests/", donors.donor_test, name="donor-test"),
    path("donors/<int:pk>/eligibility/", donors.donor_eligibility, name="donor-eligibility"),
    path("cell-banks/new/", donors.cell_bank_create, name="cell-bank-create"),
    path("cell-banks/<int:pk>/edit/", donors.cell_bank_edit, name="cell-bank-edit"),
    path("materials/new/", materials.material_create, name="material-create"),
    path("materials/<int:pk>/edit/", materials.material_edit, name="material-edit"),
    path("material-lots/new/", materials.material_lot_create, name="material-lot-create"),
    path("material-lots/<int:pk>/decide/", materials.material_lot_decide, name="material-lot-decide"),
    path("material-lots/<int:pk>/edit/", materials.material_lot_edit, name="material-lot-edit"),
    path("documents/new/", documents.document_upload, name="document-upload"),
    path("documents/<int:pk>/approve/", documents.document_approve, name="document-approve"),
    path("documents/<int:pk>/download/", documents.document_download, name="document-download"),
]
