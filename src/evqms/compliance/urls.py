from django.urls import path

from evqms.compliance.views import product, risk_register

app_name = "compliance"
urlpatterns = [
    path("", product.index, name="index"),
    path("<product:code>/", product.product_page, name="product"),
    path("<product:code>/assess/", product.assess_now, name="assess"),
    path("<product:code>/attest/", product.attest, name="attest"),
    path("<product:code>/qms-documents/", product.qms_link, name="qms-link"),
    path("<product:code>/comparability/", product.comparability_approve, name="comparability-approve"),
    path("<product:code>/report.<str:fmt>", product.report, name="report"),
    path("<product:code>/risk/", risk_register.register_page, name="register"),
    path("<product:code>/risk/new/", risk_register.register_create, name="register-create"),
    path("<product:code>/risk/starter/", risk_register.register_starter, name="register-starter"),
    path("<product:code>/risk/items/", risk_register.item_add, name="item-add"),
    path("<product:code>/risk/items/<int:pk>/", risk_register.item_update, name="item-update"),
    path("<product:code>/risk/none-identified/", risk_register.none_identified, name="none-identified"),
    path("<product:code>/risk/approve/", risk_register.register_approve, name="register-approve"),
]
