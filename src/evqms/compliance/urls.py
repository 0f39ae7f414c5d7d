from django.urls import path

from evqms.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:code>/", views.product_page, name="product"),
    path("<slug:code>/assess/", views.assess_now, name="assess"),
    path("<slug:code>/attest/", views.attest, name="attest"),
    path("<slug:code>/qms-documents/", views.qms_link, name="qms-link"),
    path("<slug:code>/comparability/", views.comparability_approve, name="comparability-approve"),
    path("<slug:code>/report.<str:fmt>", views.report, name="report"),
    path("<slug:code>/risk/", views.register_page, name="register"),
    path("<slug:code>/risk/new/", views.register_create, name="register-create"),
    path("<slug:code>/risk/starter/", views.register_starter, name="register-starter"),
    path("<slug:code>/risk/items/", views.item_add, name="item-add"),
    path("<slug:code>/risk/items/<int:pk>/", views.item_update, name="item-update"),
    path("<slug:code>/risk/none-identified/", views.none_identified, name="none-identified"),
    path("<slug:code>/risk/approve/", views.register_approve, name="register-approve"),
]
