from django.urls import path

from evqms.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("<product:code>/", views.product_page, name="product"),
    path("<product:code>/assess/", views.assess_now, name="assess"),
    path("<product:code>/attest/", views.attest, name="attest"),
    path("<product:code>/qms-documents/", views.qms_link, name="qms-link"),
    path("<product:code>/comparability/", views.comparability_approve, name="comparability-approve"),
    path("<product:code>/report.<str:fmt>", views.report, name="report"),
    path("<product:code>/risk/", views.register_page, name="register"),
    path("<product:code>/risk/new/", views.register_create, name="register-create"),
    path("<product:code>/risk/starter/", views.register_starter, name="register-starter"),
    path("<product:code>/risk/items/", views.item_add, name="item-add"),
    path("<product:code>/risk/items/<int:pk>/", views.item_update, name="item-update"),
    path("<product:code>/risk/none-identified/", views.none_identified, name="none-identified"),
    path("<product:code>/risk/approve/", views.register_approve, name="register-approve"),
]
