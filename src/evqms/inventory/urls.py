from django.urls import path

from evqms.inventory import views

app_name = "inventory"
urlpatterns = [
    path("", views.aliquot_list, name="aliquot-list"),
    path("aliquots/new/", views.aliquot_create, name="aliquot-create"),
    path("aliquots/<aliquot:container_id>/", views.aliquot_detail, name="aliquot-detail"),
    path("aliquots/<aliquot:container_id>/label.svg", views.label_svg, name="aliquot-label"),
    path("labels/<lot:lot>/", views.labels, name="labels"),
    path("locations/", views.location_list, name="location-list"),
    path("locations/<location:code>/", views.location_detail, name="location-detail"),
    path("retention/", views.retention_page, name="retention"),
    path("consignees/", views.consignee_list, name="consignee-list"),
    path("shipments/", views.shipment_list, name="shipment-list"),
    path("shipments/<shipment:number>/", views.shipment_detail, name="shipment-detail"),
]
